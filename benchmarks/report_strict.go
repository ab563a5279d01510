package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// smuggles reports whether server key mishandled a smuggling case, and
// how many.
func (r *results) smuggles(key string) (int, bool) {
	sr := r.Strict[key]
	if sr == nil {
		return 0, false
	}
	return len(sr.Smuggled), len(sr.Smuggled) > 0
}

// labelFor is a server's label in the throughput tables, marked when the
// strictness phase found it mishandling smuggling cases.
func (r *results) labelFor(d *serverDef) string {
	if n, bad := r.smuggles(d.Key); bad && d.Key != "rawgnet" {
		return fmt.Sprintf("%s — mishandles %d smuggling case(s), not a peer on equal terms", d.Label, n)
	}
	return d.Label
}

// strictSummary writes the strictness table beside each server's
// plaintext and pipelined req/s.
func (r *results) strictSummary(p func(string, ...any)) {
	if !has(r.Opts, kindStrict) {
		return
	}
	p("## Strictness beside speed\n\n")
	p("Measured by sending raw requests to each server's echo build (`-echo`; gnetworker's is `examples/httpecho`), one fresh connection per case, all bytes at once, and reading until the server closes or stays quiet for %v (a failing case is run again with %v, so that a slow answer on a loaded machine is not taken for a server that waits). ", strictQuiet, strictRetryQuiet)
	p("\"corpus\" counts the cases of the shared conformance corpus (%s) handled as it expects: the requests dispatched (method, target, version, body, and header and trailer fields compared as a case-insensitive multiset, apart from Content-Length, Transfer-Encoding and Connection, which each stack consumes differently), then the connection's fate, with a 4xx/5xx refusal and a close where it expects a rejection. ", r.StrictCorpus)
	p("The other columns are the harness's own held-out cases (strictcases.go): each may be refused, or handled in the way RFC 9112 allows where it allows one (CL with TE read as chunked and the connection closed; identical Content-Length values read as one; obs-fold replaced by a space; a bare LF ending a start-line or field line). ")
	p("A smuggling case is one a proxy in front could read differently, most with a second request hidden behind the first; it counts as mishandled when the server, instead of handling it as allowed, dispatched a request (answered anything but a refusal). A server that mishandles one is not a peer on equal terms, whatever its req/s.\n\n")
	p("| server | plaintext-256 req/s | pipeline-16 req/s | corpus |")
	for _, k := range heldOutKinds {
		p(" %s |", k)
	}
	p(" smuggling cases mishandled | peer on equal terms |\n|---|---:|---:|---:|")
	for range heldOutKinds {
		p("---:|")
	}
	p("---:|---|\n")
	for _, d := range servers {
		rps := func(sc string) string {
			if st, ok := r.httpStat(sc, d.Key); ok {
				return fmt.Sprintf("%.0f", st.RPS)
			}
			return "—"
		}
		sr := r.Strict[d.Key]
		if sr == nil {
			p("| %s | %s | %s | not measured: %s |", d.Label, rps("plaintext-256"), rps("pipeline-16"), r.StrictErr[d.Key])
			for range heldOutKinds {
				p(" |")
			}
			p(" | |\n")
			continue
		}
		p("| %s | %s | %s | %s |", d.Label, rps("plaintext-256"), rps("pipeline-16"), frac(sr, kindCorpus))
		for _, k := range heldOutKinds {
			p(" %s |", frac(sr, k))
		}
		peer := "yes"
		if len(sr.Smuggled) > 0 {
			peer = "**no**: dispatches requests a proxy could have smuggled"
		}
		if d.Key == "rawgnet" {
			peer = "no: parses nothing (an upper bound)"
		}
		p(" %d of %d | %s |\n", len(sr.Smuggled), smuggleCases(), peer)
	}
	p("\n")
}

func frac(sr *strictResult, kind string) string {
	if sr.Total[kind] == 0 {
		return "—"
	}
	return fmt.Sprintf("%d/%d", sr.Pass[kind], sr.Total[kind])
}

// strictDetails lists every case each server did not handle as expected.
func (r *results) strictDetails(p func(string, ...any), s *scenario) {
	p("## %s — `%s`\n\n", s.Title, s.Name)
	if r.StrictCorpus != "" && !strings.HasPrefix(r.StrictCorpus, "not run") {
		p("Corpus: `%s`. ", r.StrictCorpus)
	} else {
		p("Corpus: %s. ", r.StrictCorpus)
	}
	p("The summary is under \"Strictness beside speed\" above; these are the cases each server did not handle as expected, with what it did.\n\n")
	for _, d := range servers {
		sr := r.Strict[d.Key]
		if sr == nil {
			p("- **%s**: not measured: %s\n", d.Label, r.StrictErr[d.Key])
			continue
		}
		if len(sr.Failures) == 0 {
			p("- **%s**: every case as expected\n", d.Label)
			continue
		}
		if d.Key == "rawgnet" {
			p("- **%s**: %d case(s) not as expected; it parses nothing, so they are not listed\n", d.Label, len(sr.Failures))
			continue
		}
		p("<details><summary><b>%s</b>: %d case(s) not as expected</summary>\n\n", d.Label, len(sr.Failures))
		for _, id := range slices.Sorted(maps.Keys(sr.Failures)) {
			p("- %s — %s\n", mdEscape(id), mdEscape(sr.Failures[id]))
		}
		p("\n</details>\n\n")
	}
	p("\n")
}

// smuggleCases counts the held-out cases marked as smuggling.
func smuggleCases() int {
	n := 0
	for _, c := range heldOut {
		if c.Smuggle {
			n++
		}
	}
	return n
}

// mdEscape keeps raw bytes quoted by %q from breaking the Markdown.
func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;", "`", "'", "*", "\\*", "_", "\\_").Replace(s)
}

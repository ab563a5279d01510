package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

func (r *results) tlsIdleStat(key string) (sseStat, bool) { return streamStat(r.TLSIdle[key]) }

// tlsTable is the load table of tls-plaintext or tls-handshake.
func (r *results) tlsTable(s *scenario) loadTable {
	if s.Kind == kindTLSHandshake {
		t := r.httpTable(s, tlsServers, plainLabel, "handshakes")
		t.unit = "handshake"
		return t
	}
	return r.httpTable(s, tlsServers, plainLabel, "req")
}

// tlsTargets are the TLS goals.
func (r *results) tlsTargets(ts *[]target) {
	t := target{What: "TLS keep-alive: server CPU per request below net/http's", Met: "not measured", Measured: "—"}
	g, okg := r.httpStat("tls-plaintext", "gnetworker")
	if n, ok := r.httpStat("tls-plaintext", "nethttp"); okg && ok {
		t.Measured = fmt.Sprintf("%.2f vs %.2f µs/req", g.USPerReq, n.USPerReq)
		t.Met = verdict(g.USPerReq < n.USPerReq)
	}
	*ts = append(*ts, t)

	t = target{What: "idle TLS: RSS per connection at most 1/5 of net/http's", Met: "not measured", Measured: "—"}
	gi, okg := r.tlsIdleStat("gnetworker")
	if n, ok := r.tlsIdleStat("nethttp"); okg && ok && has(r.Opts, kindTLSIdle) {
		t.Measured = fmt.Sprintf("%s vs %s (1/%.1f)", bytesStr(gi.PerConn), bytesStr(n.PerConn), n.PerConn/gi.PerConn)
		t.Met = verdict(gi.PerConn*5 <= n.PerConn)
	}
	*ts = append(*ts, t)
}

// tlsSection writes the table of one TLS scenario.
func (r *results) tlsSection(p func(string, ...any), s *scenario) {
	o := r.Opts
	p("## %s — `%s`\n\n", s.Title, s.Name)
	p("Every server holds the same certificate, ECDSA P-256 for 127.0.0.1 from a CA made for the run: gnetworker a worker with Transport \"ssl\" (crypto/tls on its event loop), net/http `ListenAndServeTLS`, fasthttp `ListenAndServeTLS` (`tls.NewListener` under its worker pool). ")
	switch s.Kind {
	case kindTLSPlain:
		p("%s with %d keep-alive connections to `https://127.0.0.1:PORT/` for %v, %d round(s), every server in turn after one %v warm-up each; medians. ", r.Loadgen, s.Conns, o.Duration, o.Rounds, o.Warmup)
		p("wrk speaks TLS through OpenSSL and does not verify the certificate; the %d handshakes it makes as each run starts are inside the measured time and the server's CPU", s.Conns)
		if hs, ok := r.tlsHandshakeCost(s); ok {
			p(" (at tls-handshake's CPU per handshake, about %s per request)", hs)
		}
		p(". \"server CPU\" is the server's CPU time (all threads, from /proc/PID/task/*/schedstat) per response, the cost that does not depend on who won the CPU.\n\n")
		r.tlsTable(s).print(p)
		p("\n![%s](charts/%s.png)\n\n![%s server CPU](charts/%s-cpu.png)\n\n", s.Name, s.Name, s.Name, s.Name)
	case kindTLSHandshake:
		p("%d goroutines of the harness's Go client, each in a loop for %v: a new TCP connection, a full handshake with a fresh `tls.Config` without a `ClientSessionCache` (so nothing resumes, neither a TLS 1.2 ticket nor a TLS 1.3 PSK; a resumed handshake would count as an error), GET / and its 200 read, then a close with a RST (SO_LINGER 0, no close_notify). ", s.Conns, o.Duration)
		p("The clients do not verify the certificate; once per server a probe verifies it against the run's CA and checks its key is ECDSA P-256. %d round(s), every server in turn, interleaved with `tls-plaintext` when both run; medians. ", o.Rounds)
		p("The rate is completed cycles per second; \"server CPU\" per handshake is the server's CPU time (schedstat) over the run divided by them, so it includes the request, the accept and the close; \"load gen CPU\" is the harness's share of one core (its handshakes share the %d cores with the server's).\n\n", r.Machine.Cores)
		r.tlsTable(s).print(p)
		p("\nNegotiated with the Go client: ")
		var neg []string
		for _, d := range tlsServers {
			if v, ok := r.TLSParams[d.Key]; ok {
				neg = append(neg, fmt.Sprintf("%s %s", d.Label, v))
			}
		}
		p("%s.\n", strings.Join(neg, "; "))
		p("\n![%s](charts/%s.png)\n\n![%s server CPU](charts/%s-cpu.png)\n\n", s.Name, s.Name, s.Name, s.Name)
	case kindTLSIdle:
		p("%d clients, spread over %d source addresses as in `sse-idle` and `ws-idle`, each complete a full handshake (the Go client of `tls-handshake`), send GET / on a keep-alive connection and read the 200, then stay idle. ", o.SSEClients, o.SrcAddrs)
		p("VmRSS of the server before the first client and with all of them idle for 0.5 s; per connection = delta / clients. A fresh server per session, %d session(s) per server (capped at %d, as the WebSocket sessions); medians.\n\n", min(o.Rounds, wsSessionRounds), wsSessionRounds)
		idleTable(p, tlsServers, "nethttp", "net/http", r.tlsIdleStat, r.TLSIdleErr)
		p("\n![%s](charts/%s.png)\n\n", s.Name, s.Name)
	}
}

// tlsHandshakeCost estimates, per server, the share of tls-plaintext's
// CPU per request that wrk's opening handshakes took: the median CPU per
// handshake of tls-handshake in the same run, times the connections,
// over the median requests of a run.
func (r *results) tlsHandshakeCost(s *scenario) (string, bool) {
	var parts []string
	for _, d := range tlsServers {
		hs, okh := r.httpStat("tls-handshake", d.Key)
		st, oks := r.httpStat(s.Name, d.Key)
		if !okh || !oks || st.RPS == 0 {
			continue
		}
		reqs := st.RPS * r.Opts.Duration.Seconds()
		parts = append(parts, fmt.Sprintf("%.2f µs for %s", hs.USPerReq*float64(s.Conns)/reqs, d.Label))
	}
	return strings.Join(parts, ", "), len(parts) > 0
}

// tlsChart draws one TLS scenario's chart(s) into dir.
func (r *results) tlsChart(dir string, s *scenario) error {
	path := filepath.Join(dir, s.Name+".png")
	switch s.Kind {
	case kindTLSPlain:
		return r.tlsTable(s).charts(path, s.Title, "requests/s (median)", "TLS keep-alive: server CPU per request", "server CPU µs per request (median)")
	case kindTLSHandshake:
		return r.tlsTable(s).charts(path, s.Title, "handshakes/s (median)", "full TLS handshakes: server CPU per handshake", "server CPU µs per handshake (median)")
	case kindTLSIdle:
		return idleChart(path, fmt.Sprintf("server RSS per idle TLS connection (%d clients)", r.Opts.SSEClients), tlsServers, r.tlsIdleStat)
	}
	return nil
}

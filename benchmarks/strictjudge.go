package main

// Judging what a server did with a strictness case.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

// rejectStatuses are the final statuses a "reject" outcome allows.
var rejectStatuses = []int{400, 411, 413, 414, 417, 431, 501, 505}

// judge returns "" when got and closed match one of c's acceptable
// outcomes, or else what the server did and what was acceptable, with the
// mismatch of the alternative that dispatched as many requests.
func judge(c strictCase, got []byte, closed bool) string {
	var wants, detail []string
	for _, e := range c.Accept {
		why := judgeOne(e, got, closed)
		if why == "" {
			return ""
		}
		wants = append(wants, e.String())
		if !strings.HasPrefix(why, "count:") {
			detail = append(detail, why)
		}
	}
	out := "got " + observed(got, closed) + "; want " + strings.Join(wants, ", or ")
	if len(detail) > 0 {
		out += " (" + strings.Join(detail, "; ") + ")"
	}
	return out
}

func (e expect) String() string {
	n := len(e.Messages)
	switch e.Outcome {
	case "reject":
		if n == 0 {
			return "a refusal (4xx/5xx) and a close"
		}
		return fmt.Sprintf("%d request(s), then a refusal and a close", n)
	case "close":
		return fmt.Sprintf("%d request(s), then a close", n)
	case "incomplete":
		return fmt.Sprintf("%d request(s), then waiting for the rest", n)
	}
	if n > 0 && !e.Messages[n-1].KeepAlive {
		return fmt.Sprintf("%d request(s), then a close", n)
	}
	return fmt.Sprintf("%d request(s), connection kept open", n)
}

// observed describes what the server did: the statuses it answered and
// the connection's fate.
func observed(got []byte, closed bool) string {
	resps, err := parseResponses(got, closed, func(int) bool { return false })
	var st []string
	for _, r := range resps {
		st = append(st, strconv.Itoa(r.Status))
	}
	out := "no response"
	if len(st) > 0 {
		out = strings.Join(st, ", ")
	}
	if err != nil {
		out += fmt.Sprintf(" then bytes it could not read (%v)", err)
	}
	if closed {
		return out + ", closed"
	}
	return out + ", left open"
}

// dispatched reports whether got holds a response other than a refusal:
// a server that fails a smuggling case that way handed a request to its
// handler that it should not have (or read its body wrong), where one
// that only refused, closed or waited did not.
func dispatched(got []byte, closed bool) bool {
	resps, _ := parseResponses(got, closed, func(int) bool { return false })
	return slices.ContainsFunc(resps, func(r wireResponse) bool { return !slices.Contains(rejectStatuses, r.Status) })
}

func judgeOne(e expect, got []byte, closed bool) string {
	resps, err := parseResponses(got, closed, func(i int) bool {
		return i < len(e.Messages) && e.Messages[i].Method == "HEAD"
	})
	if err != nil {
		return "count:" // observed() says so
	}
	want := len(e.Messages)
	if e.Outcome == "reject" {
		want++
	}
	if len(resps) != want {
		return "count:"
	}
	for i, m := range e.Messages {
		r := resps[i]
		if r.Status != 200 {
			return fmt.Sprintf("message %d answered %d", i, r.Status)
		}
		if m.Method == "HEAD" {
			continue
		}
		var got common.Echo
		if err := json.Unmarshal(r.Body, &got); err != nil {
			return fmt.Sprintf("message %d: not an echo: %q", i, clip(r.Body))
		}
		if why := sameRequest(m, got); why != "" {
			return fmt.Sprintf("message %d: %s", i, why)
		}
	}
	switch e.Outcome {
	case "ok":
		wantClosed := len(e.Messages) > 0 && !e.Messages[len(e.Messages)-1].KeepAlive
		if closed != wantClosed {
			return fmt.Sprintf("connection closed: %v, want %v", closed, wantClosed)
		}
	case "incomplete":
		if closed {
			return "closed while a request was unfinished"
		}
	case "close":
		if !closed {
			return "connection left open"
		}
	case "reject":
		if s := resps[len(resps)-1].Status; !slices.Contains(rejectStatuses, s) {
			return fmt.Sprintf("answered %d, not a refusal", s)
		}
		if !closed {
			return "refused but left the connection open"
		}
	}
	return ""
}

// framing fields are consumed differently by each stack (net/http keeps
// Transfer-Encoding out of Header, fasthttp reports its own
// Content-Length); requests' framing is checked through their count and
// bodies instead.
var framing = []string{"content-length", "transfer-encoding", "connection"}

// sameRequest compares an echo with the expected request: method, target,
// version and body exactly; header and trailer fields together, as a
// multiset of lower-cased name and value with runs of spaces and tabs
// collapsed, apart from the framing fields. Header order, name case and
// where trailers are reported differ between stacks without bearing on
// strictness.
func sameRequest(want, got common.Echo) string {
	switch {
	case got.Method != want.Method:
		return fmt.Sprintf("method %q, want %q", got.Method, want.Method)
	case got.Target != want.Target:
		return fmt.Sprintf("target %q, want %q", got.Target, want.Target)
	case got.Version != want.Version:
		return fmt.Sprintf("version %q, want %q", got.Version, want.Version)
	case got.Body != want.Body:
		return fmt.Sprintf("body %q, want %q", clip([]byte(got.Body)), clip([]byte(want.Body)))
	}
	g, w := fields(got), fields(want)
	if strings.Contains(want.Target, "://") {
		// An absolute-form target's authority replaces Host (RFC 9112
		// §3.2.2), and net/http reports only that.
		g, w = dropHost(g), dropHost(w)
	}
	if !slices.Equal(g, w) {
		return fmt.Sprintf("fields %q, want %q", g, w)
	}
	return ""
}

func fields(e common.Echo) []string {
	var out []string
	for _, f := range append(slices.Clone(e.Headers), e.Trailers...) {
		name := strings.ToLower(f[0])
		if slices.Contains(framing, name) {
			continue
		}
		out = append(out, name+": "+strings.Join(strings.FieldsFunc(f[1], func(r rune) bool { return r == ' ' || r == '\t' }), " "))
	}
	slices.Sort(out)
	return out
}

func dropHost(fs []string) []string {
	return slices.DeleteFunc(fs, func(f string) bool { return strings.HasPrefix(f, "host: ") })
}

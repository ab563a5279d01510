package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

// The strictness phase sends raw requests to each server's echo binary
// and checks what it does with them: the shared corpus's cases and the
// held-out kinds of strictcases.go. Each case gets a fresh connection and
// its bytes at once.

// strictResult is one server's strictness: per kind, cases handled as
// expected and cases run; the smuggling cases it mishandled by
// dispatching a request it should not have; and, for the log, why each
// failing case failed.
type strictResult struct {
	Pass, Total map[string]int
	Smuggled    []string
	Failures    map[string]string
}

const (
	strictQuiet = 300 * time.Millisecond // silence that means "waiting"
	strictConns = 24                     // cases in flight at once
)

// rejectStatuses are the final statuses a "reject" outcome allows.
var rejectStatuses = []int{400, 411, 413, 414, 417, 431, 501, 505}

// runStrictPhase starts each server's echo binary in turn and runs every
// case against it.
func runStrictPhase(ctx context.Context, o options, bin, tmp string, res *results) error {
	if !has(o, kindStrict) {
		return nil
	}
	cases, err := loadCorpus(corpusPath())
	if err != nil {
		res.StrictCorpus = "not run: " + err.Error()
		log.Printf("strictness: corpus: %v", err)
	} else {
		res.StrictCorpus = corpusPath()
	}
	cases = append(cases, heldOut...)
	for _, d := range servers {
		if e := res.BuildErr[d.Echo]; e != "" {
			res.StrictErr[d.Key] = "build failed: " + firstLine(e)
			continue
		}
		p, err := startServer(launchOf(d, d.Echo, bin, o.Procs, tmp))
		if err != nil {
			res.StrictErr[d.Key] = err.Error()
			continue
		}
		sr, err := runStrict(ctx, p.addr, cases)
		p.stop()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			res.StrictErr[d.Key] = err.Error()
			continue
		}
		res.Strict[d.Key] = sr
		var parts []string
		for _, k := range append([]string{kindCorpus}, heldOutKinds...) {
			parts = append(parts, fmt.Sprintf("%s %d/%d", k, sr.Pass[k], sr.Total[k]))
		}
		log.Printf("strictness %-10s %s; smuggling cases mishandled: %d", d.Key, strings.Join(parts, ", "), len(sr.Smuggled))
		for _, id := range slices.Sorted(maps.Keys(sr.Failures)) {
			if !strings.HasPrefix(id, kindCorpus+": ") && d.Key != "rawgnet" {
				log.Printf("strictness %-10s   %s: %s", d.Key, id, clip([]byte(sr.Failures[id])))
			}
		}
	}
	return nil
}

// runStrict runs cases against addr, strictConns at a time.
func runStrict(ctx context.Context, addr string, cases []strictCase) (*strictResult, error) {
	sr := &strictResult{Pass: map[string]int{}, Total: map[string]int{}, Failures: map[string]string{}}
	var mu sync.Mutex
	var firstErr error
	slots := make(chan struct{}, strictConns)
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			if ctx.Err() != nil {
				return
			}
			got, closed, err := exchange(addr, c.Raw)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("%s: %v", c.ID, err)
				}
				return
			}
			sr.Total[c.Kind]++
			why := judge(c, got, closed)
			if why == "" {
				sr.Pass[c.Kind]++
				return
			}
			sr.Failures[c.Kind+": "+c.ID] = why
			if c.Smuggle && dispatched(got, closed) {
				sr.Smuggled = append(sr.Smuggled, c.ID)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	slices.Sort(sr.Smuggled)
	return sr, firstErr
}

// exchange writes raw to a fresh connection and returns what the server
// wrote until it closed the connection (EOF or reset) or stayed quiet for
// strictQuiet.
func exchange(addr string, raw []byte) (got []byte, closed bool, err error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, false, err
	}
	defer conn.Close()
	if _, err := conn.Write(raw); err != nil {
		return nil, true, nil // closed before reading all of it
	}
	var buf bytes.Buffer
	p := make([]byte, 4096)
	stop := time.Now().Add(10 * time.Second)
	for time.Now().Before(stop) {
		_ = conn.SetReadDeadline(time.Now().Add(strictQuiet))
		n, err := conn.Read(p)
		buf.Write(p[:n])
		var ne net.Error
		switch {
		case err == nil:
		case errors.As(err, &ne) && ne.Timeout():
			return buf.Bytes(), false, nil
		case err == io.EOF || errors.Is(err, syscall.ECONNRESET):
			return buf.Bytes(), true, nil
		default:
			return buf.Bytes(), false, err
		}
	}
	return buf.Bytes(), false, errors.New("server kept writing for 10 s")
}

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

// wireResponse is one response as read off the wire.
type wireResponse struct {
	Status int
	Body   []byte
}

// parseResponses splits data into responses. A body is framed by
// Content-Length, by chunked coding, or, with neither, by the connection's
// close (net/http's own 400s are written that way); 1xx responses are
// skipped, and responses to HEAD (head(i) for the i-th final response) and
// 204/304 have none.
func parseResponses(data []byte, closed bool, head func(i int) bool) ([]wireResponse, error) {
	br := bufio.NewReader(bytes.NewReader(data))
	var out []wireResponse
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return out, nil
		}
		line, err := br.ReadString('\n')
		if err != nil {
			return out, fmt.Errorf("truncated status line")
		}
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") || len(f[1]) != 3 {
			return out, fmt.Errorf("bad status line %q", line)
		}
		status, err := strconv.Atoi(f[1])
		if err != nil {
			return out, fmt.Errorf("bad status line %q", line)
		}
		cl, chunked := -1, false
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return out, fmt.Errorf("truncated header")
			}
			l = strings.TrimRight(l, "\r\n")
			if l == "" {
				break
			}
			k, v, _ := strings.Cut(l, ":")
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "content-length":
				if cl, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
					return out, fmt.Errorf("bad Content-Length %q", v)
				}
			case "transfer-encoding":
				chunked = strings.Contains(strings.ToLower(v), "chunked")
			}
		}
		if status < 200 {
			continue
		}
		r := wireResponse{Status: status}
		switch {
		case head(len(out)) || status == 204 || status == 304:
		case chunked:
			if r.Body, err = readChunked(br); err != nil {
				return out, err
			}
		case cl >= 0:
			r.Body = make([]byte, cl)
			if _, err := io.ReadFull(br, r.Body); err != nil {
				return out, fmt.Errorf("truncated body")
			}
		case closed:
			r.Body, _ = io.ReadAll(br)
		default:
			return out, fmt.Errorf("status %d without framing on an open connection", status)
		}
		out = append(out, r)
	}
}

func readChunked(br *bufio.Reader) ([]byte, error) {
	var body []byte
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("truncated chunk")
		}
		size, _, _ := strings.Cut(strings.TrimSpace(l), ";")
		n, err := strconv.ParseInt(size, 16, 32)
		if err != nil {
			return nil, fmt.Errorf("bad chunk size %q", l)
		}
		if n == 0 {
			for { // trailer section
				t, err := br.ReadString('\n')
				if err != nil || strings.TrimRight(t, "\r\n") == "" {
					return body, nil
				}
			}
		}
		c := make([]byte, n+2)
		if _, err := io.ReadFull(br, c); err != nil {
			return nil, fmt.Errorf("truncated chunk")
		}
		body = append(body, c[:n]...)
	}
}

func clip(b []byte) []byte {
	if len(b) > 160 {
		return append(b[:160:160], "..."...)
	}
	return b
}

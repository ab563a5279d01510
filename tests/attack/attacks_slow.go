//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"time"
)

// attackSilent: connections that send nothing. Target: each is closed
// within the header timeout, counted from accept.
func attackSilent(ctx context.Context, h *harness, r *result) error {
	m := h.mode
	return h.holdAndWatch(ctx, r, trickle{conns: 10, limit: scale(m.header, m.factor)},
		fmt.Sprintf("closed within %g× the header timeout (%s)", m.factor, m.header))
}

// attackCRLF: connections that send an empty line every few seconds (2 s;
// quick: 250 ms). Target: as a silent one, the header timeout closes them.
func attackCRLF(ctx context.Context, h *harness, r *result) error {
	m := h.mode
	return h.holdAndWatch(ctx, r, trickle{conns: 5, limit: scale(m.header, m.factor), piece: "\r\n", every: m.crlfEvery},
		fmt.Sprintf("closed within %g× the header timeout (%s)", m.factor, m.header))
}

// attackSlowBody: a POST whose head arrives at once and whose body
// (10,000 bytes announced) arrives a byte every second (quick: every
// 250 ms), under the idle timeout. Target: the body timeout cuts it (20 s
// + 1 s per 500 bytes; quick 2 s).
func attackSlowBody(ctx context.Context, h *harness, r *result) error {
	m := h.mode
	head := "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 10000\r\n\r\n"
	return h.holdAndWatch(ctx, r, trickle{conns: 5, limit: scale(m.body, m.factor), head: head, piece: "x", every: m.trickleEvery},
		fmt.Sprintf("cut within %g× the body timeout (%s)", m.factor, m.body))
}

func scale(d time.Duration, f float64) time.Duration { return time.Duration(float64(d) * f) }

// trickle is a slow client: it sends head at once, then piece every
// interval (nothing when every is 0), and waits up to limit from the end of
// head for the server to end the connection.
type trickle struct {
	conns int
	limit time.Duration
	head  string
	piece string
	every time.Duration
}

// ending is how one trickling connection ended.
type ending struct {
	after   time.Duration // from the end of its head (from connect without one)
	open    bool          // still open at the limit
	sent    int           // bytes trickled
	answer  string        // the status line the server sent, if any
	dialErr error
}

// holdAndWatch runs t against hello with the mode's limits and checks
// that the server ends every connection within t.limit.
func (h *harness) holdAndWatch(ctx context.Context, r *result, t trickle, target string) error {
	s, err := h.begin(ctx, r, serverSpec{bin: h.hello, args: h.mode.serverFlags()}, "", true)
	if err != nil {
		return err
	}
	defer s.end(r)
	ends := make([]ending, t.conns)
	var wg sync.WaitGroup
	for i := range ends {
		wg.Go(func() { ends[i] = runTrickle(ctx, s.srv.addr, t) })
	}
	wg.Wait()
	s.end(r)

	var closed, open, failed, sent int
	var lo, hi time.Duration
	answers := map[string]int{}
	for _, e := range ends {
		switch {
		case e.dialErr != nil:
			failed++
			continue
		case e.open:
			open++
		default:
			if closed == 0 || e.after < lo {
				lo = e.after
			}
			hi = max(hi, e.after)
			closed++
		}
		sent += e.sent
		if e.answer != "" {
			answers[e.answer]++
		}
	}
	switch {
	case closed == 0:
		r.what = fmt.Sprintf("none of %d connections was closed within %s", t.conns, t.limit)
	case open > 0:
		r.what = fmt.Sprintf("%d closed after %s–%s, %d still open at %s", closed, ms(lo), ms(hi), open, t.limit)
	default:
		r.what = fmt.Sprintf("all %d closed after %s–%s", closed, ms(lo), ms(hi))
	}
	if failed > 0 {
		r.what += fmt.Sprintf(", %d could not connect", failed)
	}
	r.check("every connection "+target, closed == t.conns,
		"%d of %d closed by the server, the last after %s (limit %s)", closed, t.conns, ms(hi), t.limit)
	if t.piece != "" {
		r.figure("trickled %d bytes in all, one %q every %s", sent, t.piece, t.every)
	}
	for _, a := range slices.Sorted(maps.Keys(answers)) {
		r.figure("server answered %d× %q before closing", answers[a], a)
	}
	return nil
}

func runTrickle(ctx context.Context, addr string, t trickle) ending {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return ending{dialErr: err}
	}
	defer c.Close()
	if t.head != "" {
		_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.WriteString(c, t.head); err != nil {
			return ending{dialErr: err}
		}
	}
	start := time.Now()
	stop := make(chan struct{})
	var e ending
	var wg sync.WaitGroup
	if t.every > 0 {
		wg.Go(func() {
			tick := time.NewTicker(t.every)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				_ = c.SetWriteDeadline(time.Now().Add(time.Second))
				n, err := io.WriteString(c, t.piece)
				e.sent += n
				if err != nil {
					return
				}
			}
		})
	}
	deadline := start.Add(t.limit)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	ended, first, err := closedBy(c, deadline)
	close(stop)
	wg.Wait()
	e.after, e.open = ended.Sub(start), err == errTimeout
	if len(first) > 0 {
		e.answer = strings.TrimSpace(statusLine(first))
	}
	return e
}

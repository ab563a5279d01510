//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// attackFDLimit: the server runs with RLIMIT_NOFILE 1024 and the harness
// opens 2,000 silent connections and holds them. Target: it keeps
// accepting, holds up to its budget (at least half the fd limit) and closes
// those over it at once, a healthy request
// succeeds during the flood (once the held ones time out) and after it,
// and it never lives on deaf.
func attackFDLimit(ctx context.Context, h *harness, r *result) error {
	m := h.mode
	s, err := h.begin(ctx, r, serverSpec{bin: h.hello, nofile: m.fdLimit,
		args: []string{"-header-timeout", m.fdHeader.String()}}, "", true)
	if err != nil {
		return err
	}
	defer s.end(r)

	// Dial the flood; each connection gets a reader that notes when the
	// server ends it. Hold until the held ones should have timed out.
	type conn struct {
		at, ended time.Time
		open      bool
	}
	const atOnce = time.Second
	floodStart := time.Now()
	holdEnd := floodStart.Add(m.fdHeader + 3*time.Second)
	conns := make([]conn, m.fdConns)
	var dialFails atomic.Int64
	var firstDialErr atomic.Value
	var readers, dialers sync.WaitGroup
	next := make(chan int)
	for range 32 {
		dialers.Go(func() {
			d := net.Dialer{Timeout: 2 * time.Second}
			for i := range next {
				c, err := d.DialContext(ctx, "tcp", s.srv.addr)
				if err != nil {
					dialFails.Add(1)
					firstDialErr.CompareAndSwap(nil, err.Error())
					continue
				}
				conns[i].at = time.Now()
				readers.Go(func() {
					defer c.Close()
					ended, _, err := closedBy(c, holdEnd)
					conns[i].ended, conns[i].open = ended, err == errTimeout
				})
			}
		})
	}
	for i := range conns {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	dialers.Wait()
	floodDialed := time.Now()
	h.logf("flood dialed in %s: %d failed; holding until %s", floodDialed.Sub(floodStart).Round(time.Millisecond),
		dialFails.Load(), holdEnd.Format(time.TimeOnly))
	select {
	case <-time.After(time.Until(holdEnd)):
	case <-ctx.Done():
	}
	readers.Wait() // each closes its connection by holdEnd: the release
	release := time.Now()
	select {
	case <-time.After(3 * time.Second):
	case <-ctx.Done():
	}
	u := s.smp.now()
	alive := !s.srv.exited()
	ps := s.end(r)

	var connected, closedAtOnce, held, timedOut, stillOpen int
	var heldFor time.Duration
	for _, c := range conns {
		if c.at.IsZero() {
			continue
		}
		connected++
		life := c.ended.Sub(c.at)
		switch {
		case c.open:
			held++
			stillOpen++
		case life < atOnce:
			closedAtOnce++
		default:
			held++
			timedOut++
			heldFor = max(heldFor, life)
		}
	}
	during := summarize(between(ps, floodDialed, holdEnd))
	after := summarize(between(ps, release, time.Now()))
	lastAfterOK := false
	if ps := between(ps, release, time.Now()); len(ps) > 0 {
		lastAfterOK = ps[len(ps)-1].err == nil
	}
	n := m.fdConns
	r.what = fmt.Sprintf("%d of %d connected (%d dials failed), %d closed at once, %d held (%d closed by the server within %s, %d open at release); server %s",
		connected, n, dialFails.Load(), closedAtOnce, held, timedOut, heldFor.Round(100*time.Millisecond), stillOpen, serverState(s.srv, alive))
	dialDetail := "none failed"
	if v := firstDialErr.Load(); v != nil {
		dialDetail = fmt.Sprintf("%d failed, first: %v", dialFails.Load(), v)
	}
	r.check("keeps accepting", dialFails.Load() == 0 && connected == n,
		"%d of %d connections established; %s", connected, n, dialDetail)
	limit := int(m.fdLimit)
	r.check("holds its budget, closes the rest at once", held >= limit/2 && held <= limit && closedAtOnce >= n-limit,
		"%d held (want %d to %d: the budget under fd limit %d), %d closed within %s", held, limit/2, limit, limit, closedAtOnce, atOnce)
	r.check("healthy GET during the flood", during.ok > 0,
		"%d of %d probes answered while the flood was held (%s)", during.ok, during.n, lastErr(during))
	r.check("healthy GET after the flood", alive && after.ok > 0 && lastAfterOK,
		"%d of %d probes answered in the 3 s after release (%s)", after.ok, after.n, lastErr(after))
	deaf := alive && after.ok == 0
	r.check("never alive and deaf", !deaf && (alive || s.srv.exitCode() != 0),
		"server %s", serverState(s.srv, alive))
	r.figure("flood dialed in %s; server peak fds %d of %d", floodDialed.Sub(floodStart).Round(time.Millisecond), u.peakFDs, m.fdLimit)
	if s.srv.logContains("too many open files") {
		r.figure("server log: %q", "too many open files")
	}
	return nil
}

func serverState(s *server, alive bool) string {
	if alive {
		return "alive"
	}
	return "exited (" + s.exitString() + ")"
}

func lastErr(p probeStats) string {
	if p.lastErr == nil {
		return "no failure"
	}
	return "last failure: " + p.lastErr.Error()
}

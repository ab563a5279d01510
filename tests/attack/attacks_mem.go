//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

const (
	// junkLimit: a closing connection fed junk must keep the server below it.
	junkLimit = 100 * miB
	// jsonCPU: the server's CPU time for refusing the JSON array stays below it.
	jsonCPU = 500 * time.Millisecond
)

// attackJunk: a client that never reads pipelines 50,000 GETs (their
// answers fill the socket buffers, so no answer can be written any more),
// then "GET / ... Connection: close", then junk as fast as possible (300
// MiB; quick 100 MiB). The connection is closing and its last answer is
// stuck. Target: the server drops what such a connection still sends: its
// RSS stays below 100 MiB.
func attackJunk(ctx context.Context, h *harness, r *result) error {
	m := h.mode
	s, err := h.begin(ctx, r, serverSpec{bin: h.hello, args: m.serverFlags()}, "", true)
	if err != nil {
		return err
	}
	defer s.end(r)
	d := net.Dialer{Timeout: 2 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		// A small receive window: the server's answers stop at once.
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4*kiB) })
	}}
	c, err := d.DialContext(ctx, "tcp", s.srv.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	const pipelined = 50_000
	junk := bytes.Repeat([]byte("junk that is no request\r\n"), 256*kiB/25)
	start := time.Now()
	var sent int64
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Write(append(bytes.Repeat([]byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), pipelined),
		"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"...))
	for err == nil && sent < m.junk && ctx.Err() == nil {
		_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		var n int
		n, err = c.Write(junk[:min(int64(len(junk)), m.junk-sent)])
		sent += int64(n)
	}
	took := time.Since(start)
	var ne net.Error
	how := "all of it was written"
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		how = "then the server stopped reading (a write waited 2 s)"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		how = "then the server reset the connection"
	case err != nil:
		how = "then " + err.Error()
	}
	time.Sleep(300 * time.Millisecond) // let the server settle before the last sample
	s.end(r)
	r.what = fmt.Sprintf("%s of junk accepted in %.1f s after %d unread pipelined GETs, %s; peak RSS %s",
		mib(sent), took.Seconds(), pipelined, how, mib(r.usage.peakRSS))
	r.check("RSS stays below 100 MiB", r.usage.peakRSS > 0 && r.usage.peakRSS < junkLimit,
		"peak RSS %s (VmHWM) while %s of junk was offered", mib(r.usage.peakRSS), mib(m.junk))
	return nil
}

// attackUploads: concurrent uploads of 9 MiB each (100; quick 20), each
// paced to take several seconds. Target: every one is answered 200 and the
// server's RSS stays below 300 MiB (quick: 100 MiB, for 180 MiB in flight):
// bodies over 1 MiB are spooled to temporary files, which are gone after.
func attackUploads(ctx context.Context, h *harness, r *result) error {
	m := h.mode
	spool, err := h.scratch("spool")
	if err != nil {
		return err
	}
	if spool, err = filepath.EvalSymlinks(spool); err != nil {
		return err
	}
	s, err := h.begin(ctx, r, serverSpec{bin: h.hello, args: m.serverFlags(), env: []string{"TMPDIR=" + spool}}, spool, true)
	if err != nil {
		return err
	}
	defer s.end(r)
	chunk := bytes.Repeat([]byte("u"), 64*kiB)
	type upload struct {
		status int
		err    error
		took   time.Duration
	}
	ups := make([]upload, m.uploads)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range ups {
		wg.Go(func() {
			st, err := slowUpload(ctx, s.srv.addr, chunk, m.uploadSize, m.uploadTime)
			ups[i] = upload{status: st, err: err, took: time.Since(start)}
		})
	}
	wg.Wait()
	took := time.Since(start)
	// Spooled files must be gone once every request was answered.
	left := -1
	for deadline := time.Now().Add(3 * time.Second); ; {
		left = countEntries(spool)
		if left == 0 || time.Now().After(deadline) || s.srv.exited() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	u := s.smp.now()
	s.end(r)

	ok := 0
	var firstErr string
	for _, up := range ups {
		if up.err == nil && up.status == 200 {
			ok++
		} else if firstErr == "" {
			if up.err != nil {
				firstErr = up.err.Error()
			} else {
				firstErr = fmt.Sprintf("status %d", up.status)
			}
		}
	}
	inFlight := int64(m.uploads) * m.uploadSize
	r.what = fmt.Sprintf("%d of %d uploads of %s answered 200 in %.1f s; peak RSS %s for %s in flight; spool peak %d files",
		ok, m.uploads, mib(m.uploadSize), took.Seconds(), mib(r.usage.peakRSS), mib(inFlight), u.peakSpool)
	if firstErr != "" {
		r.what += "; first failure: " + firstErr
	}
	r.check("every upload answered 200", ok == m.uploads, "%d of %d", ok, m.uploads)
	r.check("RSS stays below "+mib(m.uploadRSS), r.usage.peakRSS > 0 && r.usage.peakRSS < m.uploadRSS,
		"peak RSS %s (VmHWM) for %d × %s uploads", mib(r.usage.peakRSS), m.uploads, mib(m.uploadSize))
	r.check("spool files removed", left == 0, "%d entries left in the spool directory after every answer", left)
	r.figure("spool (TMPDIR): peak %d files open, %s", u.peakSpool, mib(u.spoolSize))
	return nil
}

// slowUpload POSTs size bytes to / paced to take d, and reads the answer.
func slowUpload(ctx context.Context, addr string, chunk []byte, size int64, d time.Duration) (int, error) {
	c, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", size)
	if _, err := io.WriteString(c, head); err != nil {
		return 0, err
	}
	start := time.Now()
	for sent := int64(0); sent < size; {
		// Pace: by now, sent/size of d should have passed.
		if wait := time.Duration(float64(d)*float64(sent)/float64(size)) - time.Since(start); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		n, err := c.Write(chunk[:min(int64(len(chunk)), size-sent)])
		sent += int64(n)
		if err != nil {
			return 0, fmt.Errorf("after %s: %w", mib(sent), err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := readResponse(bufio.NewReader(c))
	if err != nil {
		return 0, err
	}
	return resp.status, nil
}

func countEntries(dir string) int {
	es, err := os.ReadDir(dir)
	if err != nil {
		return -1
	}
	return len(es)
}

// attackJSONArray: a JSON array of 10,000,000 bytes of small numbers
// POSTed to ssehub's /messages (under the 10 MiB package limit), served by
// one event loop. Target: refused with 400 quickly (within 1 s of the last
// byte; quick 2 s), the loop not stalled: the server spends under 0.5 s of
// CPU on it (decoding the array took 1.5–2.5 s), and no probe on that loop
// takes 2 s.
func attackJSONArray(ctx context.Context, h *harness, r *result) error {
	m := h.mode
	s, err := h.begin(ctx, r, serverSpec{bin: h.ssehub, args: append(m.serverFlags(), "-count", "1")}, "", true)
	if err != nil {
		return err
	}
	defer s.end(r)
	// [1,1,...,1]: 10,000,000 bytes, a valid array of 4,999,999 numbers.
	body := append(append([]byte("["), bytes.Repeat([]byte("1,"), 4_999_998)...), "1]"...)
	time.Sleep(300 * time.Millisecond) // a few probes before; then dial, and send at once (the header timeout runs from accept)
	c, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp", s.srv.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	// Read while writing: the server may answer (and close) before the body
	// is all sent.
	type answer struct {
		resp *response
		err  error
		at   time.Time
	}
	answers := make(chan answer, 1)
	start := time.Now()
	_ = c.SetDeadline(start.Add(30 * time.Second))
	go func() {
		resp, err := readResponse(bufio.NewReader(c))
		answers <- answer{resp, err, time.Now()}
	}()
	head := fmt.Sprintf("POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	_, werr := c.Write(append([]byte(head), body...))
	sent := time.Now()
	a := <-answers
	answered := max(a.at.Sub(sent), 0) // 0: answered before the body was all sent
	time.Sleep(300 * time.Millisecond) // and a few probes after
	s.end(r)
	status := 0
	switch {
	case a.err == nil:
		status = a.resp.status
		r.what = fmt.Sprintf("answered %d %.1f s after the last byte; probes p50 %s max %s; server CPU %.2f s, peak RSS %s",
			status, answered.Seconds(), ms(r.probes.p50), ms(r.probes.max), r.usage.cpu.Seconds(), mib(r.usage.peakRSS))
		if werr != nil {
			r.what += fmt.Sprintf(" (answered before the whole body was sent: %v)", werr)
		}
		r.figure("answer: %d %q", status, string(a.resp.body[:min(len(a.resp.body), 80)]))
	case werr != nil:
		r.what = fmt.Sprintf("the server ended the connection mid-body without an answer: %v; %v", werr, a.err)
	default:
		r.what = fmt.Sprintf("no answer within %.1f s: %v", answered.Seconds(), a.err)
	}
	rerr := a.err
	r.check("refused with 400", status == 400, "status %d (%s sent in %.1f s)", status, mib(int64(len(body))), sent.Sub(start).Seconds())
	quickly := scale(time.Second, m.factor/1.5) // 1 s; quick 2 s
	r.check("refused quickly", rerr == nil && answered < quickly, "answered %s after the last byte (limit %s)", ms(answered), quickly)
	// A stall is CPU spent parsing on the loop: judged by the server's CPU
	// time, which a busy host does not inflate, and by the probes only
	// with a wide margin.
	r.check("loop not stalled", r.usage.cpu < jsonCPU && r.probes.n > 0 && r.probes.max < 2*time.Second,
		"server CPU %.2f s (limit %.1f s), slowest probe %s (limit 2 s), %d/%d answered",
		r.usage.cpu.Seconds(), jsonCPU.Seconds(), ms(r.probes.max), r.probes.ok, r.probes.n)
	return nil
}

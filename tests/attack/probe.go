//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"slices"
	"sync"
	"time"
)

// probe is one healthy request: a new connection, GET /, the whole
// response read, then the connection closed.
type probe struct {
	at      time.Time
	latency time.Duration
	err     error // nil when answered 200
}

// prober sends a healthy GET every interval until stopped, one at a time.
type prober struct {
	addr string
	stop chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	probes []probe
}

// probeTimeout bounds one probe; a probe that takes longer failed.
const probeTimeout = 2 * time.Second

func startProber(addr string) *prober {
	p := &prober{addr: addr, stop: make(chan struct{})}
	p.wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			start := time.Now()
			err := healthyGet(p.addr, probeTimeout)
			p.mu.Lock()
			p.probes = append(p.probes, probe{at: start, latency: time.Since(start), err: err})
			p.mu.Unlock()
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	})
	return p
}

// finish stops the prober and returns every probe.
func (p *prober) finish() []probe {
	close(p.stop)
	p.wg.Wait()
	return p.probes
}

// probeStats summarizes probes.
type probeStats struct {
	n, ok    int
	p50, max time.Duration // over every probe; a failed one counts its time
	lastErr  error
}

func summarize(ps []probe) probeStats {
	s := probeStats{n: len(ps)}
	var lat []time.Duration
	for _, p := range ps {
		lat = append(lat, p.latency)
		if p.err == nil {
			s.ok++
		} else {
			s.lastErr = p.err
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		s.p50, s.max = lat[len(lat)/2], lat[len(lat)-1]
	}
	return s
}

// between keeps the probes that started in [from, to).
func between(ps []probe, from, to time.Time) []probe {
	var out []probe
	for _, p := range ps {
		if !p.at.Before(from) && p.at.Before(to) {
			out = append(out, p)
		}
	}
	return out
}

// healthyGet sends GET / on a new connection and wants a 200.
func healthyGet(addr string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: attack-probe\r\n\r\n"); err != nil {
		return err
	}
	resp, err := readResponse(bufio.NewReader(c))
	if err != nil {
		return err
	}
	if resp.status != 200 {
		return fmt.Errorf("status %d", resp.status)
	}
	return nil
}

// response is what the harness needs of an HTTP response.
type response struct {
	status int
	close  bool // Connection: close
	body   []byte
}

// readResponse reads one response (with at most 1 MiB of body).
func readResponse(br *bufio.Reader) (*response, error) {
	r, err := nethttp.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	defer r.Body.Close()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return &response{status: r.StatusCode, close: r.Close, body: body}, nil
}

// closedBy waits for the peer to end c, reading and discarding what it
// sends, until deadline. It returns when c ended (nil, io.EOF or a reset)
// or errTimeout, and the first bytes read.
func closedBy(c net.Conn, deadline time.Time) (time.Time, []byte, error) {
	_ = c.SetReadDeadline(deadline)
	var first []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if len(first) < 256 {
			first = append(first, buf[:min(n, 256-len(first))]...)
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return time.Now(), first, errTimeout
			}
			return time.Now(), first, nil
		}
	}
}

var errTimeout = errors.New("still open")

// statusLine is the first line of raw response bytes, for reports.
func statusLine(b []byte) string {
	for i, ch := range b {
		if ch == '\r' || ch == '\n' {
			return string(b[:i])
		}
	}
	return string(b)
}

//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// attackRestart: ssehub serves SSE clients and Connection: close requests
// (both leave the server's side of each connection in TIME_WAIT), is
// stopped with SIGTERM and started again at once on the same port.
// Target: the new process binds at once (SO_REUSEADDR).
func attackRestart(ctx context.Context, h *harness, r *result) error {
	m := h.mode
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	spec := serverSpec{bin: h.ssehub, addr: addr, args: m.serverFlags()}
	s, err := h.begin(ctx, r, spec, "", false)
	if err != nil {
		return err
	}
	defer s.end(r)

	var streams []net.Conn
	defer func() {
		for _, c := range streams {
			c.Close()
		}
	}()
	for range 20 {
		c, err := openStream(ctx, addr)
		if err != nil {
			return fmt.Errorf("SSE client: %w", err)
		}
		streams = append(streams, c)
	}
	for range 50 {
		if err := closingGet(ctx, addr); err != nil {
			return fmt.Errorf("Connection: close request: %w", err)
		}
	}
	s.srv.signal(syscall.SIGTERM)
	stopped := s.srv.wait(m.stop + 5*time.Second)
	firstExit := s.srv.exitString()
	tw := timeWaits(port)
	s.end(r)

	start := time.Now()
	s2, err := h.spawn(spec)
	if err != nil {
		return err
	}
	defer s2.kill()
	err = s2.waitAccepting(ctx, 5*time.Second)
	took := time.Since(start)
	bound := err == nil
	answered := bound && healthyGet(addr, probeTimeout) == nil
	if bound {
		r.what = fmt.Sprintf("with %d TIME_WAIT sockets on the port, the new process accepted after %s", tw, ms(took))
	} else {
		r.what = fmt.Sprintf("with %d TIME_WAIT sockets on the port, the new process failed: %v", tw, err)
	}
	r.check("SIGTERM stops the first server", stopped && s.srv.exitCode() == 0, "first server %s", firstExit)
	if bound {
		r.check("restart binds at once", took < 2*time.Second, "accepting after %s (limit 2 s)", ms(took))
	} else {
		r.check("restart binds at once", false, "the new process did not accept: %v", err)
	}
	r.check("restarted server answers", answered, "healthy GET on the new process")
	r.figure("TIME_WAIT sockets on port %d at restart: %d (20 SSE clients, 50 Connection: close requests)", port, tw)
	return nil
}

// openStream subscribes to ssehub's /events and reads the response head.
func openStream(ctx context.Context, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"); err != nil {
		c.Close()
		return nil, err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.Contains(line, " 200 ") {
		c.Close()
		return nil, fmt.Errorf("no event stream: %q %v", line, err)
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// closingGet sends GET / with Connection: close and waits for the server
// to close, so that the server's side is the one in TIME_WAIT.
func closingGet(ctx context.Context, addr string) error {
	c, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, c) // to the server's FIN
	return err
}

// timeWaits counts sockets in TIME_WAIT whose local port is port.
func timeWaits(port int) int {
	n := 0
	want := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) > 3 && strings.HasSuffix(fs[1], want) && fs[3] == "06" {
				n++
			}
		}
	}
	return n
}

// attackSigterm: a POST announces 2,000 bytes and sends 1,000; SIGTERM
// reaches the server; 300 ms later the rest arrives. Target: the request
// is finished and answered 200, with Connection: close, within
// StopTimeout (2 s) of the signal, and the server then exits 0.
func attackSigterm(ctx context.Context, h *harness, r *result) error {
	m := h.mode
	args := m.serverFlags()
	if m.name == "quick" {
		args = append(args, "-stop-timeout", m.stop.String())
	}
	s, err := h.begin(ctx, r, serverSpec{bin: h.hello, args: args}, "", false)
	if err != nil {
		return err
	}
	defer s.end(r)
	c, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp", s.srv.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	body := strings.Repeat("b", 2000)
	_ = c.SetDeadline(time.Now().Add(m.stop + 5*time.Second))
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 2000\r\n\r\n"+body[:1000]); err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond)
	sig := time.Now()
	s.srv.signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	_, werr := io.WriteString(c, body[1000:])
	resp, rerr := readResponse(bufio.NewReader(c))
	answered := time.Since(sig)
	exited := s.srv.wait(m.stop + 3*time.Second)
	exit := s.srv.exitString()
	s.end(r)

	switch {
	case rerr != nil && werr != nil:
		r.what = fmt.Sprintf("the rest of the body could not be sent (%v); no answer: %v; server %s", werr, rerr, exit)
	case rerr != nil:
		r.what = fmt.Sprintf("no answer (%v) %s after SIGTERM; server %s", rerr, ms(answered), exit)
	default:
		r.what = fmt.Sprintf("answered %d (Connection: close %v) %s after SIGTERM; server %s", resp.status, resp.close, ms(answered), exit)
	}
	r.check("request answered 200", rerr == nil && resp.status == 200, "%v", describe(resp, rerr))
	r.check("within StopTimeout", rerr == nil && answered <= m.stop, "answered %s after SIGTERM (StopTimeout %s)", ms(answered), m.stop)
	r.check("with Connection: close", rerr == nil && resp.close, "%v", describe(resp, rerr))
	r.check("server exits 0", exited && s.srv.exitCode() == 0, "server %s", exit)
	return nil
}

func describe(resp *response, err error) string {
	if err != nil {
		return "no response: " + err.Error()
	}
	return fmt.Sprintf("status %d, Connection: close %v", resp.status, resp.close)
}

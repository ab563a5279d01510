package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sseResult is one SSE session against one server: idle RSS with N
// subscribed clients, then a few publishes of one 64-byte event.
type sseResult struct {
	Clients    int
	Connected  int
	RSSBase    int64 // bytes, before the first client
	RSSAfter   int64 // bytes, with every client subscribed and idle
	PerConn    float64
	ConnectDur time.Duration
	// Per publish: latency percentiles from the publish request's write
	// to each client's receipt, and until the last client.
	P50, P99, Last []time.Duration
	// ServerCPU is the server's CPU time per publish, from the publish
	// request until the last client has the event.
	ServerCPU []time.Duration
	Missing   int // client receipts that never came (summed over publishes)
}

var sseEvent = []byte("\ndata: ")

// sseClient is one subscriber (an SSE or a WebSocket client): a raw TCP
// connection read by its own goroutine with blocking reads, recording when
// each event arrives. carry and count are touched only by that goroutine.
type sseClient struct {
	conn  net.Conn
	carry []byte // the previous read's unused tail: a split marker or frame
	count int    // events seen
}

// streamProto is what a session's clients speak: SSE (sseProto) or
// WebSocket (wsProto in ws.go).
type streamProto struct {
	// tls, when set, has each client complete a TLS handshake with it
	// before it sends request (tls-idle, in tls.go).
	tls *tls.Config
	// request is what each client sends once connected.
	request []byte
	// started reports whether a response head (up to "\r\n\r\n")
	// starts the stream.
	started func(head []byte) bool
	// keep is how many bytes of the head's final "\r\n\r\n" scan sees.
	keep int
	// scan records the events in one read.
	scan func(c *sseClient, i int, data []byte, st *fanState)
	// control readies the control connection; publish has the server
	// publish one event over it and returns the subscribers it reached.
	control func(ctl net.Conn, br *bufio.Reader) error
	publish func(ctl net.Conn, br *bufio.Reader) (int, error)
}

// sseProto: GET /sse, events counted by their "\ndata: " markers,
// published by GET /publish, which answers the number of subscribers.
var sseProto = &streamProto{
	request: []byte(sseRequest),
	started: func(head []byte) bool { return bytes.HasPrefix(head, []byte("HTTP/1.1 200")) },
	keep:    1, // the final "\n", so that a leading "data:" matches
	scan:    (*sseClient).scan,
	control: func(net.Conn, *bufio.Reader) error { return nil },
	publish: func(ctl net.Conn, br *bufio.Reader) (int, error) {
		if _, err := io.WriteString(ctl, "GET /publish HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
			return 0, err
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return 0, fmt.Errorf("publish: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		subs, _ := strconv.Atoi(string(bytes.TrimSpace(body)))
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("publish answered %d %q", resp.StatusCode, body)
		}
		return subs, nil
	},
}

// fanState is shared by the clients of one session.
type fanState struct {
	n     int
	recv  [][]time.Time // [publish][client]
	got   []atomic.Int32
	done  []chan struct{}
	ready sync.WaitGroup
	bad   atomic.Int32
}

func newFanState(n, publishes int) *fanState {
	st := &fanState{n: n, recv: make([][]time.Time, publishes), got: make([]atomic.Int32, publishes), done: make([]chan struct{}, publishes)}
	for i := range publishes {
		st.recv[i] = make([]time.Time, n)
		st.done[i] = make(chan struct{})
	}
	return st
}

// dialer spreads connections over 127.0.0.2..127.0.0.(1+addrs) and lets the
// kernel choose the port at connect time (IP_BIND_ADDRESS_NO_PORT), so
// ports are unique per 4-tuple rather than per source address.
func dialer(i, addrs int) *net.Dialer {
	ip := net.IPv4(127, 0, 0, byte(2+i%addrs))
	return &net.Dialer{
		Timeout:   5 * time.Second,
		LocalAddr: &net.TCPAddr{IP: ip},
		Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
			})
			if err != nil {
				return err
			}
			return serr
		},
	}
}

// read runs in the client's goroutine: it waits for the response head
// that starts the stream, then hands what follows to p.scan.
func (c *sseClient) read(p *streamProto, i int, st *fanState) {
	buf := make([]byte, 1024)
	var head []byte
	readyDone := false
	defer func() {
		if !readyDone {
			st.bad.Add(1)
			st.ready.Done()
		}
	}()
	for {
		n, err := c.conn.Read(buf)
		if n > 0 {
			data := buf[:n]
			if !readyDone {
				head = append(head, data...)
				k := bytes.Index(head, []byte("\r\n\r\n"))
				if k < 0 {
					if len(head) > 8192 {
						return
					}
					continue
				}
				if !p.started(head[:k+4]) {
					return
				}
				readyDone = true
				st.ready.Done()
				data = head[k+4-p.keep:]
				head = nil
			}
			p.scan(c, i, data, st)
		}
		if err != nil {
			return
		}
	}
}

// scan counts the events in data (with the previous read's tail).
func (c *sseClient) scan(i int, data []byte, st *fanState) {
	if len(c.carry) > 0 {
		data = append(c.carry, data...)
	}
	for {
		k := bytes.Index(data, sseEvent)
		if k < 0 {
			break
		}
		data = data[k+len(sseEvent):]
		c.event(i, st)
	}
	if keep := len(sseEvent) - 1; len(data) > keep {
		data = data[len(data)-keep:]
	}
	c.carry = append(c.carry[:0:0], data...)
}

// event records the client's next event as received now.
func (c *sseClient) event(i int, st *fanState) {
	now := time.Now()
	e := c.count
	c.count++
	if e < len(st.recv) {
		st.recv[e][i] = now
		if int(st.got[e].Add(1)) == st.n {
			close(st.done[e])
		}
	}
}

// begin readies a client's connection, with its TLS handshake when p
// speaks TLS, and sends p.request.
func (p *streamProto) begin(conn net.Conn) (net.Conn, error) {
	if p.tls != nil {
		tc := tls.Client(conn, p.tls)
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		err := tc.Handshake()
		_ = tc.SetDeadline(time.Time{})
		if err != nil {
			return conn, err
		}
		conn = tc
	}
	_, err := conn.Write(p.request)
	return conn, err
}

// closeConn closes c with SO_LINGER 0 (a RST), so neither side is left in
// TIME_WAIT holding ports for the next session. A TLS connection's TCP
// connection is closed so, without a close_notify.
func closeConn(c net.Conn) {
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	if t, ok := c.(*net.TCPConn); ok {
		_ = t.SetLinger(0)
	}
	_ = c.Close()
}

// sseRequest is what every client sends.
const sseRequest = "GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"

// runSSE connects n SSE clients to srv, measures its RSS once they are
// all subscribed and idle, then publishes `publishes` events one after the
// other, each time waiting (at most 10 s) for every client to receive it.
func runSSE(ctx context.Context, srv *server, n, publishes, srcAddrs int) (sseResult, error) {
	return runStream(ctx, srv, sseProto, n, publishes, srcAddrs)
}

// runStream is runSSE for clients speaking p.
func runStream(ctx context.Context, srv *server, p *streamProto, n, publishes, srcAddrs int) (sseResult, error) {
	res := sseResult{Clients: n}
	time.Sleep(300 * time.Millisecond) // let the server settle after start
	var err error
	if res.RSSBase, err = rssBytes(srv.pid); err != nil {
		return res, err
	}
	st := newFanState(n, publishes)
	clients := make([]*sseClient, n)
	defer func() {
		for _, c := range clients {
			if c != nil {
				closeConn(c.conn)
			}
		}
	}()

	start := time.Now()
	st.ready.Add(n)
	dialErrs := dialClients(ctx, srv.addr, p, clients, 0, n, st, srcAddrs)
	if err := waitGroup(ctx, &st.ready, 60*time.Second); err != nil {
		return res, fmt.Errorf("clients not subscribed: %v", err)
	}
	res.ConnectDur = time.Since(start)
	res.Connected = n - int(st.bad.Load())
	if res.Connected < n {
		return res, fmt.Errorf("%d of %d clients failed to subscribe (%d dial errors)", n-res.Connected, n, dialErrs)
	}
	time.Sleep(500 * time.Millisecond) // idle
	if res.RSSAfter, err = rssBytes(srv.pid); err != nil {
		return res, err
	}
	res.PerConn = float64(res.RSSAfter-res.RSSBase) / float64(n)
	if publishes == 0 {
		return res, nil
	}

	ctl, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
	if err != nil {
		return res, err
	}
	defer closeConn(ctl)
	br := bufio.NewReader(ctl)
	if err := p.control(ctl, br); err != nil {
		return res, fmt.Errorf("control connection: %v", err)
	}
	for e := range publishes {
		time.Sleep(200 * time.Millisecond)
		c0 := cpuTime(srv.pid)
		t0 := time.Now()
		subs, err := p.publish(ctl, br)
		if err != nil {
			return res, err
		}
		if subs != n {
			return res, fmt.Errorf("publish reached %d subscribers, want %d", subs, n)
		}
		select {
		case <-st.done[e]:
		case <-time.After(10 * time.Second):
		case <-ctx.Done():
			return res, ctx.Err()
		}
		res.ServerCPU = append(res.ServerCPU, cpuTime(srv.pid)-c0)
		lat, missing := latencies(st.recv[e], t0)
		res.Missing += missing
		if len(lat) == 0 {
			return res, fmt.Errorf("publish %d reached no client", e)
		}
		res.P50 = append(res.P50, pct(lat, 50))
		res.P99 = append(res.P99, pct(lat, 99))
		res.Last = append(res.Last, lat[len(lat)-1])
	}
	return res, nil
}

// dialClients connects clients lo..lo+n-1 of st to addr with bounded
// concurrency, each sending p.request and then read by its own goroutine,
// and returns how many could not be dialed (each also counted in st.bad
// and done in st.ready, to which the caller added n).
func dialClients(ctx context.Context, addr string, p *streamProto, clients []*sseClient, lo, n int, st *fanState, srcAddrs int) int {
	idx := make(chan int)
	var dialErrs atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				var conn net.Conn
				var err error
				for try := 0; try < 5; try++ {
					conn, err = dialer(i, srcAddrs).DialContext(ctx, "tcp", addr)
					if err == nil {
						break
					}
					time.Sleep(time.Duration(try+1) * 50 * time.Millisecond)
				}
				if err == nil {
					conn, err = p.begin(conn)
				}
				if err != nil {
					dialErrs.Add(1)
					st.bad.Add(1)
					st.ready.Done()
					if conn != nil {
						closeConn(conn)
					}
					continue
				}
				c := &sseClient{conn: conn}
				clients[i] = c
				go c.read(p, i, st)
			}
		}()
	}
	for i := lo; i < lo+n; i++ {
		if ctx.Err() != nil {
			// The clients never dialed are still to be done.
			for range lo + n - i {
				st.bad.Add(1)
				st.ready.Done()
			}
			break
		}
		idx <- i
	}
	close(idx)
	wg.Wait()
	return int(dialErrs.Load())
}

// latencies are the receipt times recv after t0, sorted, and how many
// clients never received the event.
func latencies(recv []time.Time, t0 time.Time) (lat []time.Duration, missing int) {
	lat = make([]time.Duration, 0, len(recv))
	for _, t := range recv {
		if t.IsZero() {
			missing++
			continue
		}
		lat = append(lat, t.Sub(t0))
	}
	slices.Sort(lat)
	return lat, missing
}

// pct is the p-th percentile (nearest rank) of sorted.
func pct(sorted []time.Duration, p float64) time.Duration {
	k := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[max(0, min(k, len(sorted)-1))]
}

// waitGroup waits for wg, at most d or until ctx ends.
func waitGroup(ctx context.Context, wg *sync.WaitGroup, d time.Duration) error {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	select {
	case <-ch:
		return nil
	case <-time.After(d):
		return fmt.Errorf("timed out after %v", d)
	case <-ctx.Done():
		return ctx.Err()
	}
}

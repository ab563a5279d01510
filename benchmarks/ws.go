package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The WebSocket scenarios' clients are the harness's own: raw TCP, an
// RFC 6455 handshake without extensions (no permessage-deflate), masked
// client frames. The servers' side of the protocol is in
// internal/common/ws.go.

// wsKey is every client's Sec-WebSocket-Key (RFC 6455's example nonce:
// the servers cannot tell), wsAccept the Sec-WebSocket-Accept it needs.
const wsKey = "dGhlIHNhbXBsZSBub25jZQ=="

var wsAccept = func() string {
	h := sha1.Sum([]byte(wsKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}()

// wsRequest is the handshake every client sends.
const wsRequest = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: " + wsKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n"

// The opcodes the clients use.
const (
	wsOpText   = 0x1
	wsOpBinary = 0x2
	wsOpClose  = 0x8
)

// wsPublish is the control message that has a server broadcast
// (internal/common.WSPublish).
const wsPublish = "publish"

// wsStarted: a 101 with the right Sec-WebSocket-Accept (its field name's
// case differs between servers; the value does not).
func wsStarted(head []byte) bool {
	return bytes.HasPrefix(head, []byte("HTTP/1.1 101")) && bytes.Contains(head, []byte(wsAccept))
}

// wsHeader is a frame header without its masking key: FIN, opcode op, an
// n-byte payload, the mask bit set when masked.
func wsHeader(op byte, n int, masked bool) []byte {
	var m byte
	if masked {
		m = 0x80
	}
	b := []byte{0x80 | op}
	switch {
	case n < 126:
		return append(b, m|byte(n))
	case n < 1<<16:
		return append(b, m|126, byte(n>>8), byte(n))
	}
	b = append(b, m|127)
	for sh := 56; sh >= 0; sh -= 8 {
		b = append(b, byte(uint64(n)>>sh))
	}
	return b
}

// wsFrame is one client frame: FIN, opcode op, payload masked with key.
func wsFrame(op byte, payload []byte, key [4]byte) []byte {
	b := append(wsHeader(op, len(payload), true), key[:]...)
	for i, c := range payload {
		b = append(b, c^key[i&3])
	}
	return b
}

// maskKey is a fresh random masking key.
func maskKey() [4]byte {
	var k [4]byte
	_, _ = rand.Read(k[:])
	return k
}

// wsParse finds the server frame at the start of b: n is its length (0
// while b holds only part of it). A server's frames are unmasked; a
// masked one is unmasked here all the same.
func wsParse(b []byte) (fin bool, op byte, payload []byte, n int) {
	if len(b) < 2 {
		return false, 0, nil, 0
	}
	fin, op = b[0]&0x80 != 0, b[0]&0x0F
	size, h := int(b[1]&0x7F), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return false, 0, nil, 0
		}
		size, h = int(be16(b[2:4])), 4
	case 127:
		if len(b) < 10 {
			return false, 0, nil, 0
		}
		u := be64(b[2:10])
		if u > 1<<30 {
			return false, 0, nil, 0 // never from these servers
		}
		size, h = int(u), 10
	}
	masked := b[1]&0x80 != 0
	if masked {
		h += 4
	}
	if len(b) < h+size {
		return false, 0, nil, 0
	}
	payload = b[h : h+size]
	if masked {
		key := b[h-4 : h]
		for i := range payload {
			payload[i] ^= key[i&3]
		}
	}
	return fin, op, payload, h + size
}

// scanWS counts the complete data messages in data (with the previous
// read's unfinished frame): one event each.
func (c *sseClient) scanWS(i int, data []byte, st *fanState) {
	if len(c.carry) > 0 {
		data = append(c.carry, data...)
	}
	for {
		fin, op, _, n := wsParse(data)
		if n == 0 {
			break
		}
		data = data[n:]
		if fin && (op == wsOpText || op == wsOpBinary || op == 0) {
			c.event(i, st)
		}
	}
	c.carry = append(c.carry[:0:0], data...)
}

// wsProto: the handshake on /ws, events counted as WebSocket messages,
// published by a text "publish" on the control connection, itself a
// WebSocket client, answered with the number of recipients.
var wsProto = &streamProto{
	request: []byte(wsRequest),
	started: wsStarted,
	keep:    0,
	scan:    (*sseClient).scanWS,
	control: func(ctl net.Conn, br *bufio.Reader) error { return wsHandshake(ctl, br) },
	publish: func(ctl net.Conn, br *bufio.Reader) (int, error) {
		if _, err := ctl.Write(wsFrame(wsOpText, []byte(wsPublish), maskKey())); err != nil {
			return 0, err
		}
		_ = ctl.SetReadDeadline(time.Now().Add(10 * time.Second))
		defer ctl.SetReadDeadline(time.Time{})
		for {
			op, p, err := wsReadFrame(br)
			if err != nil {
				return 0, fmt.Errorf("publish: %v", err)
			}
			if op == wsOpClose {
				return 0, errors.New("publish: the server closed the control connection")
			}
			if n, err := strconv.Atoi(string(p)); op == wsOpText && err == nil {
				return n, nil
			}
		}
	},
}

// wsHandshake upgrades c, reading the answer from br.
func wsHandshake(c net.Conn, br *bufio.Reader) error {
	if _, err := io.WriteString(c, wsRequest); err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != wsAccept {
		return fmt.Errorf("handshake answered %s (Sec-WebSocket-Accept %q)", resp.Status, resp.Header.Get("Sec-WebSocket-Accept"))
	}
	if e := resp.Header.Get("Sec-WebSocket-Extensions"); e != "" {
		return fmt.Errorf("the server negotiated %q, which was not offered", e)
	}
	return nil
}

// wsReadFrame reads one server frame from br.
func wsReadFrame(br *bufio.Reader) (op byte, payload []byte, err error) {
	var h [10]byte
	if _, err := io.ReadFull(br, h[:2]); err != nil {
		return 0, nil, err
	}
	n := int(h[1] & 0x7F)
	switch n {
	case 126:
		if _, err := io.ReadFull(br, h[2:4]); err != nil {
			return 0, nil, err
		}
		n = int(be16(h[2:4]))
	case 127:
		if _, err := io.ReadFull(br, h[2:10]); err != nil {
			return 0, nil, err
		}
		u := be64(h[2:10])
		if u > 1<<20 {
			return 0, nil, fmt.Errorf("a %d-byte frame", u)
		}
		n = int(u)
	}
	if h[1]&0x80 != 0 {
		return 0, nil, errors.New("a masked server frame")
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(br, payload)
	return h[0] & 0x0F, payload, err
}

// wsEchoConn is one upgraded connection of the echo load with the frame
// it sends (masked once: the servers cannot tell) and the one it expects.
type wsEchoConn struct {
	conn       net.Conn
	send, want []byte
}

// dialWSEcho connects and upgrades conns connections to addr, each with a
// size-byte binary message of its own.
func dialWSEcho(ctx context.Context, addr string, conns, size int) ([]*wsEchoConn, error) {
	cs := make([]*wsEchoConn, conns)
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for i := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: 5 * time.Second}
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			br := bufio.NewReaderSize(c, 1024)
			if err := wsHandshake(c, br); err != nil {
				closeConn(c)
				errs <- err
				return
			}
			if br.Buffered() > 0 {
				closeConn(c)
				errs <- errors.New("bytes after the handshake, before any message")
				return
			}
			payload := make([]byte, size)
			for j := range payload {
				payload[j] = byte(i + j)
			}
			cs[i] = &wsEchoConn{
				conn: c,
				send: wsFrame(wsOpBinary, payload, maskKey()),
				want: append(wsHeader(wsOpBinary, size, false), payload...), // unmasked
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		for _, c := range cs {
			if c != nil {
				closeConn(c.conn)
			}
		}
		return nil, fmt.Errorf("upgrading %d connections: %v", conns, err)
	}
	return cs, nil
}

// wsEcho measures echo round trips against srv: conns connections,
// upgraded first (not timed), then each sends a masked size-byte binary
// message, waits for the whole echo, checks it and repeats until d is
// over. Requests are the echoes received; ServerCPU covers the messages
// only.
func wsEcho(ctx context.Context, srv *server, conns, size int, d time.Duration) (loadResult, error) {
	cs, err := dialWSEcho(ctx, srv.addr, conns, size)
	if err != nil {
		return loadResult{}, err
	}
	defer func() {
		for _, c := range cs {
			closeConn(c.conn)
		}
	}()
	t := startTally(srv.pid)
	start := t.start
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.conn.SetDeadline(deadline)
			got := make([]byte, len(c.want))
			for ctx.Err() == nil {
				if _, err := c.conn.Write(c.send); err != nil {
					if !isTimeout(err) {
						t.bad.Add(1)
					}
					return
				}
				if _, err := io.ReadFull(c.conn, got); err != nil {
					if !isTimeout(err) {
						t.bad.Add(1)
					}
					return
				}
				if !bytes.Equal(got, c.want) {
					t.bad.Add(1)
					return
				}
				t.ok.Add(1)
			}
		}()
	}
	wg.Wait()
	return t.result(), ctx.Err()
}

// wsSessionRounds caps the rounds of the ws-idle and ws-fanout sessions
// (a fresh server and 10,000 handshakes each) to keep the full run short.
const wsSessionRounds = 3

// runWSPhase runs the WebSocket scenarios: the echo load interleaved over
// rounds against servers that stay up, then the idle and fan-out sessions,
// each against a fresh server process.
func runWSPhase(ctx context.Context, o options, bin, tmp string, res *results) error {
	if err := runWSEcho(ctx, o, bin, tmp, res); err != nil {
		return err
	}
	idle, fan := has(o, kindWSIdle), has(o, kindWSFanout)
	if !idle && !fan {
		return nil
	}
	pubs := 0
	if fan {
		pubs = o.Publishes
	}
	return sessions{
		tag: "ws", rounds: min(o.Rounds, wsSessionRounds), defs: wsServers,
		start: starterOf(o, bin, tmp, res, wsBinary),
		proto: wsProto, pubs: pubs, out: res.WS, errs: res.WSErr,
	}.run(ctx, o)
}

func wsBinary(d *serverDef) string { return d.WS }

// runWSEcho is ws-echo: every server started once and warmed up, then
// each round runs the echo load against every server in turn.
func runWSEcho(ctx context.Context, o options, bin, tmp string, res *results) error {
	i := slices.IndexFunc(o.Scenarios, func(s *scenario) bool { return s.Kind == kindWSEcho })
	if i < 0 {
		return nil
	}
	sc := o.Scenarios[i]
	echo := func(ctx context.Context, p *server, d time.Duration) (loadResult, error) {
		return wsEcho(ctx, p, sc.Conns, sc.Body, d)
	}
	f, err := startFleet(ctx, sc.Name, wsServers, starterOf(o, bin, tmp, res, wsBinary),
		func(ctx context.Context, p *server) error { _, err := echo(ctx, p, o.Warmup); return err })
	if err != nil {
		return err
	}
	defer f.stop()
	return f.interleave(ctx, o, wsServers, []measure{{name: sc.Name, unit: "msg", run: echo, out: res.WSEcho, errs: res.WSEchoErr}})
}

// be16 and be64 read big-endian lengths (servers.go's binary type hides
// encoding/binary here).
func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

func be64(b []byte) uint64 {
	var u uint64
	for _, c := range b[:8] {
		u = u<<8 | uint64(c)
	}
	return u
}

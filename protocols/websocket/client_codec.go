package websocket

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"sync/atomic"

	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/timer"
)

// ErrHandshakePending is returned by Send on a client connection whose
// handshake is under way when what it holds for after the 101 would
// exceed the connection's MaxPackageSize.
var ErrHandshakePending = errors.New("websocket: more sent before the handshake completed than MaxPackageSize")

// clientCodec is a client connection's codec: the handshake, then the
// framing of codec, with mask keys. Until the 101 is decoded it holds
// what is sent (pending) and hands it to the connection as the Reply to
// the 101's Decode, so that no frame goes ahead of the server's consent
// and the order of sends is kept.
type clientCodec struct {
	codec
	client *Client
	key    string // Sec-WebSocket-Key: 16 random bytes in base64

	open      bool // the 101 was decoded: frames from now on
	scanned   int  // head bytes searched for the blank line
	lineStart int  // where the head's current line starts
	headLen   int  // the measured 101's length, while resp waits for Decode
	resp      *HandshakeResponse
	failed    error  // the handshake's failure, sticky
	pending   []byte // frames sent before the 101
	flush     []byte // pending, for the Reply to the 101's Decode

	opened     atomic.Bool // open, for the handshake timer's goroutine
	hsTimer    timer.ID
	closeTimer timer.ID
	hb         *heartbeat // when Client.PingInterval is set; every frame is a pong
}

func newClientCodec(p *Client, conn protocols.Conn) *clientCodec {
	var key [16]byte
	_, _ = rand.Read(key[:]) // never fails (crypto/rand)
	c := &clientCodec{
		codec: codec{
			conn:      conn,
			max:       p.max,
			masks:     newMaskKeys(),
			threshold: p.opts.CompressionThreshold,
		},
		client: p,
		key:    base64.StdEncoding.EncodeToString(key[:]),
	}
	if p.opts.PingInterval > 0 {
		c.hb = new(heartbeat)
	}
	return c
}

// Greeting returns the handshake request, and starts the handshake
// timeout (protocols.Greeter).
func (c *clientCodec) Greeting() []byte {
	p := c.client
	b := make([]byte, 0, len(p.before)+len(c.key)+len(p.after))
	b = append(append(append(b, p.before...), c.key...), p.after...)
	if d := p.opts.HandshakeTimeout; d > 0 && !c.open && c.hsTimer == 0 {
		conn := c.conn
		c.hsTimer, _ = systimer.Once(d, func(timer.ID) {
			if !c.opened.Load() {
				conn.CloseAsync()
			}
		})
	}
	return b
}

// Input measures the server's answer to the handshake, then frames. A
// failed handshake is a *HandshakeError; a frame to refuse is a
// *CloseError whose Reply is the client's (masked) close frame.
func (c *clientCodec) Input(buf []byte) (int, error) {
	if c.open {
		n, err := c.codec.Input(buf)
		if err != nil {
			return 0, c.refuse(err)
		}
		return n, nil
	}
	switch {
	case c.failed != nil:
		return 0, c.failed
	case c.resp != nil:
		return c.headLen, nil
	}
	if n := min(len(buf), 5); string(buf[:n]) != "HTTP/"[:n] {
		// Not HTTP (another protocol's banner): no need to wait for more.
		c.failed = &HandshakeError{Reason: "handshake failed: the answer is no HTTP response: " + quoteLimited(string(buf[:min(len(buf), 32)]))}
		return 0, c.failed
	}
	limit := min(maxResponseHead, c.conn.MaxPackageSize())
	end := c.headEnd(buf)
	switch {
	case end > limit, end < 0 && len(buf) > limit:
		c.failed = handshakeFailed(nil, "the answer's head exceeds "+strconv.Itoa(limit)+" bytes")
		return 0, c.failed
	case end < 0:
		return 0, nil
	}
	resp, herr := parseResponseHead(buf[:end])
	if herr == nil {
		herr = checkResponse(resp, c.key, c.client.opts.Subprotocols, c.client.deflate)
	}
	if herr != nil {
		c.failed = herr
		return 0, herr
	}
	c.resp, c.headLen = resp, end
	return end, nil
}

// headEnd returns the length of the head at the start of buf, blank line
// included, or -1 while it is incomplete. It resumes where the last call
// stopped, so a head arriving byte by byte is scanned once.
func (c *clientCodec) headEnd(buf []byte) int {
	for c.scanned < len(buf) {
		i := bytes.IndexByte(buf[c.scanned:], '\n')
		if i < 0 {
			c.scanned = len(buf)
			break
		}
		nl := c.scanned + i
		line := buf[c.lineStart:nl]
		c.scanned, c.lineStart = nl+1, nl+1
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			return nl + 1
		}
	}
	return -1
}

// Decode delivers the 101 as a *HandshakeResponse, releasing what was
// sent meanwhile to Reply; then frames, as the server side does.
func (c *clientCodec) Decode(pkg []byte) (any, error) {
	c.flush = nil
	if c.open {
		if c.hb != nil {
			c.hb.pong() // any frame says the server is alive
		}
		msg, err := c.codec.Decode(pkg)
		if err != nil {
			return nil, c.refuse(err)
		}
		return msg, nil
	}
	resp := c.resp
	if resp == nil { // Decode without Input: not a connection's way
		return nil, errors.New("websocket: Decode before Input measured the handshake's answer")
	}
	c.resp, c.open, c.deflate = nil, true, resp.Compression
	c.opened.Store(true)
	if c.hsTimer != 0 {
		systimer.Del(c.hsTimer)
		c.hsTimer = 0
	}
	resp.hb = c.hb
	c.reply = c.reply[:0]
	c.flush, c.pending = c.pending, nil
	return resp, nil
}

// Reply returns the frames to send after the last Decode: the ones held
// during the handshake after the 101, else the codec's answers (a pong,
// the echo of a close) (protocols.Responder).
func (c *clientCodec) Reply() []byte {
	if f := c.flush; f != nil {
		c.flush = nil
		return f
	}
	return c.reply
}

// Encode frames msg as the server side's codec does, masked; before the
// 101 it holds the frame for then. It fails with ErrHandshakePending when
// what it holds would exceed MaxPackageSize.
func (c *clientCodec) Encode(dst []byte, msg any) ([]byte, error) {
	if c.open {
		out, err := c.codec.Encode(dst, msg)
		c.timeClose()
		return out, err
	}
	closing, await, n := c.closing, c.awaitClose, len(c.pending)
	out, err := c.codec.Encode(c.pending, msg)
	if err != nil {
		return dst, err
	}
	if len(out) > c.conn.MaxPackageSize() {
		c.pending, c.closing, c.awaitClose = out[:n], closing, await
		return dst, ErrHandshakePending
	}
	c.pending = out
	c.timeClose()
	return dst, nil
}

// timeClose bounds the wait for the server's close once the client sent
// its own.
func (c *clientCodec) timeClose() {
	d := c.client.opts.CloseTimeout
	if !c.awaitClose || c.closeTimer != 0 || d <= 0 {
		return
	}
	conn := c.conn
	c.closeTimer, _ = systimer.Once(d, func(timer.ID) { conn.CloseAsync() })
}

// prepared returns what a Prepared message sends on this connection: a
// frame of its own, masked (SendRaw shares no bytes with a client), or
// nothing when it is held for after the 101 or follows a close frame.
func (c *clientCodec) prepared(op Opcode, data []byte) []byte {
	if c.closing {
		return nil
	}
	if c.open {
		return c.appendData(nil, op, data)
	}
	out := c.appendData(c.pending, op, data)
	if len(out) <= c.conn.MaxPackageSize() {
		c.pending = out
	}
	return nil
}

// refuse gives a frame error of the shared framing the client's reply:
// its close frame, masked.
func (c *clientCodec) refuse(err error) error {
	var ce *CloseError
	if !errors.As(err, &ce) {
		return err
	}
	c.closing, c.awaitClose = true, false
	return &clientCloseError{CloseError: ce, reply: c.appendClose(nil, ce.Code, ce.Reason)}
}

// clientCloseError is a CloseError as a client sends it: its close frame
// masked.
type clientCloseError struct {
	*CloseError
	reply []byte
}

// Reply is the masked close frame.
func (e *clientCloseError) Reply() []byte { return e.reply }

// Unwrap returns the CloseError, for errors.As.
func (e *clientCloseError) Unwrap() error { return e.CloseError }

// Drain sends the client's close (1001) for a stop or reload
// (protocols.Drainer); before the 101 there is nothing to close but the
// connection.
func (c *clientCodec) Drain() ([]byte, bool) {
	if !c.open {
		return nil, true
	}
	return c.codec.Drain()
}

// FailureReply is the close frame (1011) sent when a hook panicked
// (protocols.FailureReplier); none before the 101.
func (c *clientCodec) FailureReply() []byte {
	if !c.open {
		return nil
	}
	return c.codec.FailureReply()
}

// Release stops the codec's timers (protocols.Releaser).
func (c *clientCodec) Release() {
	for _, id := range []*timer.ID{&c.hsTimer, &c.closeTimer} {
		if *id != 0 {
			systimer.Del(*id)
			*id = 0
		}
	}
	c.pending, c.flush = nil, nil
}

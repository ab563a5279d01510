package websocket

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"

	"github.com/gnetworker/gnetworker/protocols"
)

// DefaultMaxMessageSize bounds a message (all its fragments); over it the
// connection is closed with 1009.
const DefaultMaxMessageSize = 10 << 20

// ErrClosed is returned by Send after the close handshake began.
var ErrClosed = errors.New("websocket: connection closing")

// Message is one complete data message: text (UTF-8, validated) or
// binary. Data belongs to the receiver.
type Message struct {
	Opcode Opcode // OpText or OpBinary
	Data   []byte
}

// Text returns the message's data as a string.
func (m Message) Text() string { return string(m.Data) }

// Ping and Pong are control frames received, delivered to the ping and
// pong hooks. A ping is answered with a pong by the codec itself.
type (
	Ping []byte
	Pong []byte
)

// Close is a close frame: received, it is delivered to the close hook
// (Code CloseNoStatus when the frame had none); sent, it starts the close
// handshake (Code 0 sends a close frame without a code).
type Close struct {
	Code   int
	Reason string
}

// protocol is the server side of a WebSocket connection after its
// handshake.
type protocol struct {
	maxMessage int
	deflate    bool // permessage-deflate was negotiated
	threshold  int  // the smallest message compressed
}

func (protocol) Name() string { return "websocket" }

func (p protocol) NewCodec(c protocols.Conn) protocols.Codec {
	return &codec{conn: c, max: p.maxMessage, deflate: p.deflate, threshold: p.threshold}
}

// codec is one connection's framing state, a server's or, with masks
// set, a client's (clientCodec). Its methods run under the connection's
// codec lock.
type codec struct {
	conn  protocols.Conn
	max   int
	masks *maskKeys // a client's: its frames are masked, the peer's not; nil on a server

	hdr        frameHeader // of the frame Input measured
	fragOp     Opcode      // the fragmented message's opcode; 0 when none
	frag       []byte      // its data so far
	checked    int         // frag[:checked] is valid UTF-8 (text)
	reply      []byte      // control replies for Reply
	closing    bool        // a close frame was received or sent
	awaitClose bool        // a client sent its close and reads on until the server's
	deflate    bool        // permessage-deflate was negotiated
	compressed bool        // the message being received is compressed
	threshold  int
}

// Input measures the next frame.
func (c *codec) Input(buf []byte) (int, error) {
	if c.closing && !c.awaitClose {
		return len(buf), nil // after the close frame: read and dropped
	}
	h, ok, err := parseHeader(buf, c.max, c.deflate, c.masks == nil)
	if err != nil {
		return 0, err
	}
	if !ok || len(buf) < h.headLen+h.length {
		return 0, nil
	}
	if !h.opcode.control() {
		switch {
		case h.opcode == OpContinuation && c.fragOp == 0:
			return 0, errContinuation
		case h.opcode != OpContinuation && c.fragOp != 0:
			return 0, errInterleaved
		case len(c.frag)+h.length > c.max:
			return 0, errTooBig
		}
	}
	c.hdr = h
	return h.headLen + h.length, nil
}

// Decode takes the frame Input measured: a data frame joins its message,
// which is returned once complete; a control frame is answered (ping,
// close) and returned for the hooks.
func (c *codec) Decode(pkg []byte) (any, error) {
	c.reply = c.reply[:0]
	if c.closing && !c.awaitClose {
		return nil, nil
	}
	h := c.hdr
	payload := pkg[h.headLen:]
	switch h.opcode {
	case OpPing:
		data := unmask(nil, payload, h.mask)
		if !c.closing { // nothing follows one's own close frame
			c.reply = appendFrameTo(c.reply, 0x80|byte(OpPong), data, c.masks)
		}
		return Ping(data), nil
	case OpPong:
		return Pong(unmask(nil, payload, h.mask)), nil
	case OpClose:
		return c.decodeClose(unmask(nil, payload, h.mask))
	}
	if h.opcode != OpContinuation {
		c.fragOp, c.checked, c.compressed = h.opcode, 0, h.rsv1
	}
	c.frag = unmask(c.frag, payload, h.mask)
	// Compressed text is checked once inflated.
	if c.fragOp == OpText && !c.compressed && !c.checkUTF8(h.fin) {
		return nil, errInvalidUTF8
	}
	if !h.fin {
		return nil, nil
	}
	data := c.frag
	if c.compressed {
		var err error
		if data, err = inflate(c.frag, c.max); err != nil {
			return nil, err
		}
		if c.fragOp == OpText && !utf8.Valid(data) {
			return nil, errInvalidUTF8
		}
	}
	m := Message{Opcode: c.fragOp, Data: data}
	c.frag, c.fragOp, c.checked, c.compressed = nil, 0, 0, false
	return m, nil
}

// appendData frames a data message, compressed when permessage-deflate
// was negotiated and it is at least the threshold.
func (c *codec) appendData(dst []byte, op Opcode, payload []byte) []byte {
	if !c.deflate || len(payload) < c.threshold {
		return appendFrameTo(dst, 0x80|byte(op), payload, c.masks)
	}
	return appendFrameTo(dst, 0xC0|byte(op), compress(nil, payload), c.masks)
}

// appendClose appends a close frame from this side: masked on a client.
func (c *codec) appendClose(dst []byte, code int, reason string) []byte {
	var p [maxControlPayload]byte
	return appendFrameTo(dst, 0x80|byte(OpClose), closeBody(&p, code, reason), c.masks)
}

// checkUTF8 validates the text received so far, failing at the first
// fragment with a bad byte: an incomplete character at the end of a
// fragment waits for the next, not past the message's end.
func (c *codec) checkUTF8(fin bool) bool {
	end := len(c.frag)
	if !fin {
		// Leave out an incomplete last character (at most 3 bytes).
		for i := end - 1; i >= c.checked && i >= end-3; i-- {
			if utf8.RuneStart(c.frag[i]) {
				if !utf8.FullRune(c.frag[i:end]) {
					end = i
				}
				break
			}
		}
	}
	if !utf8.Valid(c.frag[c.checked:end]) {
		return false
	}
	c.checked = end
	return true
}

// decodeClose validates a close frame, answers it with the same code and
// asks for the connection to close once that is written. A client that
// sent its own close takes the server's as the answer: nothing is sent,
// and the connection closes.
func (c *codec) decodeClose(p []byte) (any, error) {
	ev := Close{Code: CloseNoStatus}
	switch {
	case len(p) == 1:
		return nil, errClosePayload
	case len(p) >= 2:
		ev.Code = int(binary.BigEndian.Uint16(p))
		if !validCloseCode(ev.Code) {
			return nil, errCloseCode
		}
		if !utf8.Valid(p[2:]) {
			return nil, errInvalidUTF8
		}
		ev.Reason = string(p[2:])
	}
	switch {
	case !c.closing:
		c.closing = true
		code := ev.Code
		if code == CloseNoStatus {
			code = 0
		}
		c.reply = c.appendClose(c.reply, code, "")
		c.conn.CloseAsync()
	case c.awaitClose:
		c.awaitClose = false
		c.conn.CloseAsync()
	}
	return ev, nil
}

// FailureReply is the close frame sent when a hook panicked: 1011
// (protocols.FailureReplier).
func (c *codec) FailureReply() []byte {
	if c.closing {
		return nil
	}
	c.closing, c.awaitClose = true, false
	if c.masks != nil {
		return c.appendClose(nil, CloseInternalError, "internal error")
	}
	return internalErrorClose
}

var internalErrorClose = appendClose(nil, CloseInternalError, "internal error")

// Drain ends the conversation for a worker's stop or reload: a close
// frame with 1001 (going away), after which the connection closes once it
// is written (protocols.Drainer). Browsers reconnect on it.
func (c *codec) Drain() ([]byte, bool) {
	if c.closing {
		return nil, true
	}
	c.closing, c.awaitClose = true, false
	if c.masks != nil {
		return c.appendClose(nil, CloseGoingAway, "client going away"), true
	}
	return goingAwayClose, true
}

var goingAwayClose = appendClose(nil, CloseGoingAway, "server going away")

// Reply returns the control frames to send for the last Decode.
func (c *codec) Reply() []byte { return c.reply }

// Encode frames a message: a string as a text frame, a []byte as a binary
// frame, a Message with its opcode, Ping and Pong, and Close, which starts
// the close handshake (a client then reads on until the server's close).
// Once a close frame was sent or received it fails with ErrClosed.
func (c *codec) Encode(dst []byte, msg any) ([]byte, error) {
	if c.closing {
		return dst, ErrClosed
	}
	switch m := msg.(type) {
	case string:
		if !utf8.ValidString(m) {
			return dst, errInvalidUTF8
		}
		switch {
		case c.deflate && len(m) >= c.threshold:
			dst = c.appendData(dst, OpText, []byte(m))
		case c.masks != nil:
			dst = appendMasked(dst, 0x80|byte(OpText), m, c.masks)
		default:
			dst = append(appendHeader(dst, OpText, len(m)), m...)
		}
	case []byte:
		dst = c.appendData(dst, OpBinary, m)
	case Message:
		if m.Opcode != OpText && m.Opcode != OpBinary {
			return dst, protocols.ErrUnsupportedMessage
		}
		dst = c.appendData(dst, m.Opcode, m.Data)
	case Ping:
		if len(m) > maxControlPayload {
			return dst, errBadControl
		}
		dst = appendFrameTo(dst, 0x80|byte(OpPing), []byte(m), c.masks)
	case Pong:
		if len(m) > maxControlPayload {
			return dst, errBadControl
		}
		dst = appendFrameTo(dst, 0x80|byte(OpPong), []byte(m), c.masks)
	case Close:
		if m.Code != 0 && !validCloseCode(m.Code) || len(m.Reason) > maxControlPayload-2 {
			return dst, errCloseCode
		}
		c.closing, c.awaitClose = true, c.masks != nil
		dst = c.appendClose(dst, m.Code, m.Reason)
	default:
		return dst, protocols.ErrUnsupportedMessage
	}
	return dst, nil
}

package websocket

import (
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols"
)

// Prepared is a message framed once for sending to many connections with
// SendRaw, which shares its bytes instead of copying them per connection
// (connection.Shared), as the SSE hub does. Connections that negotiated
// permessage-deflate get it compressed, when it is at least their
// compression threshold: compressed once, on the first such send, and
// shared too (without context takeover every connection inflates the same
// bytes alike).
//
// A Prepared is safe for concurrent use.
type Prepared struct {
	op    Opcode
	data  []byte             // the payload, for compressing
	plain *connection.Shared // the uncompressed frame

	once     sync.Once
	deflated *connection.Shared // the compressed frame, once made
	made     atomic.Int32       // compressions made (one at most)
}

// Prepare frames a message once for sending to many connections: a
// string as a text frame, a []byte as binary, a Message with its opcode.
// Send it with SendRaw:
//
//	p, _ := websocket.Prepare("tick")
//	for _, c := range room {
//		_ = c.SendRaw(p)
//	}
//
// SendRaw bypasses the codec: send a prepared message only to connections
// that completed their handshake (a frame may still follow a close the
// peer sent a moment before; clients ignore it).
func Prepare(msg any) (*Prepared, error) {
	p := &Prepared{}
	switch m := msg.(type) {
	case string:
		if !utf8.ValidString(m) {
			return nil, errInvalidUTF8
		}
		p.op, p.data = OpText, []byte(m)
	case []byte:
		p.op, p.data = OpBinary, append([]byte(nil), m...)
	case Message:
		if m.Opcode != OpText && m.Opcode != OpBinary {
			return nil, protocols.ErrUnsupportedMessage
		}
		p.op, p.data = m.Opcode, append([]byte(nil), m.Data...)
	default:
		return nil, protocols.ErrUnsupportedMessage
	}
	p.plain = connection.NewShared(appendFrame(nil, p.op, p.data))
	return p, nil
}

// Frame returns the uncompressed frame, which the caller must not change.
func (p *Prepared) Frame() []byte { return *p.plain }

// For returns the frame for a connection's codec (protocols.PerCodec):
// compressed for a WebSocket connection that negotiated permessage-deflate
// and compresses messages this long, else the plain frame. A client's
// connection masks every frame with a key of its own, so it gets a frame
// made for it (held until its handshake completes; none after its close).
func (p *Prepared) For(cc protocols.Codec) any {
	if cl, ok := cc.(*clientCodec); ok {
		return cl.prepared(p.op, p.data)
	}
	c, ok := cc.(*codec)
	if !ok || !c.deflate || len(p.data) < c.threshold {
		return p.plain
	}
	p.once.Do(func() {
		z := compress(nil, p.data)
		p.deflated = connection.NewShared(append(appendHeaderBits(nil, 0xC0|byte(p.op), len(z)), z...))
		p.made.Add(1)
	})
	return p.deflated
}

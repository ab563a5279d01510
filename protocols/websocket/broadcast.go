package websocket

import (
	"unicode/utf8"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols"
)

// Prepare frames a message once for sending to many connections: a
// string as a text frame, a []byte as binary, a Message with its opcode.
// Send it with SendRaw, which shares the bytes instead of copying them per
// connection (connection.Shared), as the SSE hub does:
//
//	p, _ := websocket.Prepare("tick")
//	for _, c := range room {
//		_ = c.SendRaw(p)
//	}
//
// SendRaw bypasses the codec: send a prepared frame only to connections
// that completed their handshake (a frame may still follow a close the
// peer sent a moment before; clients ignore it).
func Prepare(msg any) (*connection.Shared, error) {
	var b []byte
	switch m := msg.(type) {
	case string:
		if !utf8.ValidString(m) {
			return nil, errInvalidUTF8
		}
		b = append(appendHeader(nil, OpText, len(m)), m...)
	case []byte:
		b = appendFrame(nil, OpBinary, m)
	case Message:
		if m.Opcode != OpText && m.Opcode != OpBinary {
			return nil, protocols.ErrUnsupportedMessage
		}
		b = appendFrame(nil, m.Opcode, m.Data)
	default:
		return nil, protocols.ErrUnsupportedMessage
	}
	return connection.NewShared(b), nil
}

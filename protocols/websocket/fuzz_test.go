package websocket

import (
	"testing"
	"unicode/utf8"

	"github.com/gnetworker/gnetworker/protocols/protocoltest"
)

// FuzzCodec feeds arbitrary bytes, in pieces, to the server codec, with
// and without permessage-deflate: it
// never panics, never measures past its input, and what it delivers as
// text is valid UTF-8 within the size limit.
func FuzzCodec(f *testing.F) {
	f.Add([]byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}, uint8(3))
	f.Add([]byte{0x01, 0x81, 0, 0, 0, 0, 0xce, 0x80, 0x81, 0, 0, 0, 0, 0xba}, uint8(1))
	f.Add([]byte{0x89, 0x80, 9, 9, 9, 9, 0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8}, uint8(2))
	f.Add([]byte{0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint8(4))
	f.Add([]byte{0xc2, 0x85, 0, 0, 0, 0, 0x62, 0x64, 0x60, 0x00, 0x00}, uint8(0x13))
	f.Fuzz(func(t *testing.T, in []byte, piece uint8) {
		// The high bit of piece turns permessage-deflate on: the inflater
		// is fuzzed too, and must stay within the limit.
		conn := &protocoltest.Conn{}
		c := protocol{maxMessage: 4096, deflate: piece&0x80 != 0, threshold: 16}.NewCodec(conn).(*codec)
		res := protocoltest.Feed(c, protocoltest.Split(in, 1+int(piece%16))...)
		for _, m := range res.Messages {
			if msg, ok := m.(Message); ok {
				if len(msg.Data) > 4096 {
					t.Fatalf("a message of %d bytes passed a 4096 limit", len(msg.Data))
				}
				if msg.Opcode == OpText && !utf8.Valid(msg.Data) {
					t.Fatalf("invalid UTF-8 delivered as text: %q", msg.Data)
				}
			}
		}
	})
}

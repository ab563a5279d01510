package websocket_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/protocoltest"
	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// FuzzClientInput feeds arbitrary bytes to a client codec as the
// server's answer: alone (the response head parser) or after a valid 101
// for the codec's key (the frames), with permessage-deflate negotiated or
// not. It never panics; what it makes of the input does not depend on how
// the input is cut (whole, at a chosen point, byte by byte); text is
// valid UTF-8 within the size limit; a failure before the 101 is a
// connect failure, and one after it a close error with a masked reply.
func FuzzClientInput(f *testing.F) {
	f.Add([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"), uint8(0), uint16(9))
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"), uint8(0), uint16(30))
	f.Add([]byte("HTTP/1.0 200 OK\nA: b\n\n"), uint8(0), uint16(3))
	f.Add([]byte{0x81, 0x02, 'h', 'i', 0x89, 0x00, 0x01, 0x01, 0xce, 0x80, 0x01, 0xba}, uint8(1), uint16(5))
	f.Add([]byte{0x88, 0x02, 0x03, 0xe8, 0x81, 0x01, 'x'}, uint8(1), uint16(2))
	f.Add([]byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}, uint8(1), uint16(1))
	f.Add([]byte{0xc1, 0x05, 0xf2, 0x48, 0xcd, 0xc9, 0x07}, uint8(3), uint16(4))
	f.Add([]byte{0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint8(1), uint16(6))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8, cut uint16) {
		run := func(pieces func(all []byte) [][]byte) string {
			opts := &websocket.ClientOptions{MaxMessageSize: 4096, Compression: mode&2 != 0, CompressionThreshold: 16}
			codec, head := openedCodec(t, opts, map[bool]string{
				true:  "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n",
				false: "",
			}[mode&2 != 0])
			all := in
			if mode&1 != 0 {
				all = append(head, in...)
			}
			res := protocoltest.Feed(codec, pieces(all)...)
			opened := false
			for i, m := range res.Messages {
				switch m := m.(type) {
				case *websocket.HandshakeResponse:
					if i != 0 || m.Status != 101 {
						t.Fatalf("a handshake response as message %d, status %d", i, m.Status)
					}
					opened = true
				case websocket.Message:
					if len(m.Data) > 4096 {
						t.Fatalf("a message of %d bytes passed a 4096 limit", len(m.Data))
					}
					if m.Opcode == websocket.OpText && !utf8.Valid(m.Data) {
						t.Fatalf("invalid UTF-8 delivered as text: %q", m.Data)
					}
				}
				if !opened {
					t.Fatalf("message %d (%T) before the handshake's response", i, m)
				}
			}
			if res.Err != nil {
				var cf protocols.ConnectFailure
				var ce *websocket.CloseError
				switch {
				case !opened && !errors.As(res.Err, &cf):
					t.Fatalf("a failure before the 101 that is no connect failure: %v", res.Err)
				case opened && !errors.As(res.Err, &ce):
					t.Fatalf("a failure after the 101 that is no close error: %v", res.Err)
				case opened:
					var r protocols.Replier
					if !errors.As(res.Err, &r) || len(r.Reply()) < 2 || r.Reply()[1]&0x80 == 0 {
						t.Fatalf("the close frame for %v is not masked", res.Err)
					}
				}
			}
			// The 101 differs per codec (its key): compare what follows.
			// A non-HTTP answer is refused at its first bytes, and quoted
			// as far as it was read.
			errText := fmt.Sprint(res.Err)
			if i := strings.Index(errText, "no HTTP response"); i >= 0 {
				errText = errText[:i]
			}
			return fmt.Sprintf("%d %v %s", len(res.Messages), res.Messages[min(1, len(res.Messages)):], errText)
		}
		whole := run(func(all []byte) [][]byte { return [][]byte{all} })
		c := min(int(cut), len(in))
		split := run(func(all []byte) [][]byte { return protocoltest.SplitAt(all, len(all)-len(in)+c) })
		bytewise := run(func(all []byte) [][]byte { return protocoltest.Split(all, 1) })
		if split != whole || bytewise != whole {
			t.Fatalf("the result depends on the cut:\nwhole %s\nsplit %s\nbytes %s", whole, split, bytewise)
		}
	})
}

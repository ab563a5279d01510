package websocket

import (
	"testing"

	"github.com/gnetworker/gnetworker/protocols/protocoltest"
)

// maskedFrame is a client frame of op with payload, masked with a fixed
// key.
func maskedFrame(op Opcode, payload []byte) []byte {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	b := appendHeaderBits(nil, 0x80|byte(op), len(payload))
	b[1] |= 0x80
	b = append(b, key[:]...)
	return unmask(b, payload, key)
}

// benchDecode measures Input and Decode of one frame on the server codec.
func benchDecode(b *testing.B, op Opcode, n int) {
	c := protocol{maxMessage: DefaultMaxMessageSize}.NewCodec(&protocoltest.Conn{}).(*codec)
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	f := maskedFrame(op, payload)
	b.ReportAllocs()
	b.SetBytes(int64(len(f)))
	for b.Loop() {
		m, err := c.Input(f)
		if err != nil || m != len(f) {
			b.Fatal(m, err)
		}
		if _, err := c.Decode(f); err != nil {
			b.Fatal(err)
		}
		_ = c.Reply()
	}
}

func BenchmarkServerDecodeText125(b *testing.B)   { benchDecode(b, OpText, 125) }
func BenchmarkServerDecodeBinary64K(b *testing.B) { benchDecode(b, OpBinary, 64<<10) }
func BenchmarkServerPingPong(b *testing.B)        { benchDecode(b, OpPing, 16) }

// BenchmarkServerEncodeText125 measures framing a 125-byte string into a
// reused buffer.
func BenchmarkServerEncodeText125(b *testing.B) {
	c := protocol{maxMessage: DefaultMaxMessageSize}.NewCodec(&protocoltest.Conn{}).(*codec)
	s := string(make([]byte, 125))
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		out, err := c.Encode(dst[:0], s)
		if err != nil || len(out) != 127 {
			b.Fatal(len(out), err)
		}
	}
}

// BenchmarkServerEncodeBinary64K measures framing a 64 KiB []byte.
func BenchmarkServerEncodeBinary64K(b *testing.B) {
	c := protocol{maxMessage: DefaultMaxMessageSize}.NewCodec(&protocoltest.Conn{}).(*codec)
	p := make([]byte, 64<<10)
	dst := make([]byte, 0, 70<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, err := c.Encode(dst[:0], p); err != nil {
			b.Fatal(err)
		}
	}
}

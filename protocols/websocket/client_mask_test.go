package websocket

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/gnetworker/gnetworker/protocols/protocoltest"
)

// maskNaive is section 5.3 byte by byte: the reference for maskBytes.
func maskNaive(b []byte, key [4]byte) {
	for i := range b {
		b[i] ^= key[i%4]
	}
}

// maskBytes masks like the RFC's byte-wise loop at every length around
// its 8-byte words, at any alignment, and is its own inverse.
func TestMaskBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 80)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	for _, key := range [][4]byte{{0x37, 0xfa, 0x21, 0x3d}, {1, 0, 0, 0}, {0, 0, 0, 0xff}} {
		for start := range 8 {
			for n := range 40 {
				got := bytes.Clone(buf[start : start+n])
				want := bytes.Clone(got)
				maskBytes(got, key)
				maskNaive(want, key)
				if !bytes.Equal(got, want) {
					t.Fatalf("key %x, start %d, length %d: %x, want %x", key, start, n, got, want)
				}
				maskBytes(got, key)
				if !bytes.Equal(got, buf[start:start+n]) {
					t.Fatalf("masking twice does not restore the bytes (length %d)", n)
				}
			}
		}
	}
}

// A client's frame reads back as the server reads one: masked, with a
// fresh key each time, and the payload restored.
func TestAppendMasked(t *testing.T) {
	masks := newMaskKeys()
	seen := map[[4]byte]bool{}
	for _, n := range []int{0, 1, 125, 126, 65535, 65536} {
		payload := bytes.Repeat([]byte("ab\xffc"), n/4+1)[:n]
		f := appendFrameTo([]byte("prefix"), 0x82, payload, masks)[len("prefix"):]
		h, ok, err := parseHeader(f, 1<<20, false, true)
		if !ok || err != nil {
			t.Fatalf("length %d: the server's parser refuses the client's frame: %v", n, err)
		}
		if h.opcode != OpBinary || !h.fin || h.length != n || h.headLen+n != len(f) {
			t.Fatalf("length %d: header %+v, frame of %d bytes", n, h, len(f))
		}
		if got := unmask(nil, f[h.headLen:], h.mask); !bytes.Equal(got, payload) {
			t.Fatalf("length %d: the payload does not unmask", n)
		}
		seen[h.mask] = true
		if _, _, err := parseHeader(f, 1<<20, false, false); err != errMasked {
			t.Fatalf("a client parsing a masked frame: %v, want errMasked", err)
		}
	}
	if len(seen) < 5 {
		t.Fatalf("%d distinct keys in 6 frames", len(seen))
	}
	if s := appendMasked(nil, 0x81, "text", masks); s[1] != 0x80|4 || len(s) != 10 {
		t.Fatalf("a string frame: %x", s)
	}
}

// Encoding a text message as a client allocates nothing beyond dst.
func TestClientEncodeZeroAlloc(t *testing.T) {
	c := newClientCodec(&Client{max: DefaultMaxMessageSize}, &protocoltest.Conn{})
	c.open = true
	dst := make([]byte, 0, 256)
	msg := any("a message of some length, under one hundred and twenty-five bytes")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := c.Encode(dst[:0], msg); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per masked text frame", allocs)
	}
}

// BenchmarkClientEncodeText125 measures a masked 125-byte text frame,
// beside BenchmarkServerEncodeText125.
func BenchmarkClientEncodeText125(b *testing.B) {
	c := newClientCodec(&Client{max: DefaultMaxMessageSize}, &protocoltest.Conn{})
	c.open = true
	s := any(string(make([]byte, 125)))
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(125)
	for b.Loop() {
		if _, err := c.Encode(dst[:0], s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientEncodeBinary64K measures masking 64 KiB.
func BenchmarkClientEncodeBinary64K(b *testing.B) {
	c := newClientCodec(&Client{max: DefaultMaxMessageSize}, &protocoltest.Conn{})
	c.open = true
	p := any(make([]byte, 64<<10))
	dst := make([]byte, 0, 70<<10)
	b.ReportAllocs()
	b.SetBytes(64 << 10)
	for b.Loop() {
		if _, err := c.Encode(dst[:0], p); err != nil {
			b.Fatal(err)
		}
	}
}

// Package protocoltest drives a protocols.Codec the way a connection does,
// so codecs can be tested without sockets: bytes arrive in pieces, unused
// bytes are kept and grown, and every complete package is decoded in order.
package protocoltest

import "github.com/gnetworker/gnetworker/protocols"

// Conn is a protocols.Conn for tests.
type Conn struct {
	MaxPackage int
	Closed     bool
}

// ID returns 1.
func (c *Conn) ID() uint64 { return 1 }

// MaxPackageSize returns MaxPackage, or 10 MiB when it is 0.
func (c *Conn) MaxPackageSize() int {
	if c.MaxPackage == 0 {
		return 10 << 20
	}
	return c.MaxPackage
}

// CloseAsync records that the codec asked for a close.
func (c *Conn) CloseAsync() { c.Closed = true }

// Result is what a codec made of some input.
type Result struct {
	Messages []any
	Err      error  // the first Input or Decode error; input stops there
	Rest     []byte // bytes left waiting for more input
}

// Feed passes pieces to the codec one after another, as successive reads,
// and collects the decoded messages.
func Feed(codec protocols.Codec, pieces ...[]byte) Result {
	var r Result
	var buf []byte
	for _, p := range pieces {
		buf = append(buf, p...)
		for len(buf) > 0 {
			n, err := codec.Input(buf)
			if err != nil {
				r.Err = err
				r.Rest = buf
				return r
			}
			if n == 0 {
				break
			}
			msg, err := codec.Decode(buf[:n])
			if err != nil {
				r.Err = err
				r.Rest = buf
				return r
			}
			if msg != nil { // nil: a piece the codec absorbed (protocols.Codec)
				r.Messages = append(r.Messages, msg)
			}
			buf = append([]byte(nil), buf[n:]...) // the connection reuses its buffer
		}
	}
	r.Rest = buf
	return r
}

// Split cuts b into pieces of size n (the last may be shorter).
func Split(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

// SplitAt cuts b in two at i.
func SplitAt(b []byte, i int) [][]byte { return [][]byte{b[:i], b[i:]} }

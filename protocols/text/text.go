// Package text is workerman's Text protocol: each message is one line ended
// by "\n" (an "\r\n" ending is accepted too). Messages arrive as strings
// without their line ending; sending a string or []byte appends "\n".
package text

import (
	"bytes"

	"github.com/gnetworker/gnetworker/protocols"
)

// Protocol is the "text" scheme's protocol.
type Protocol struct{}

// Name returns "text".
func (Protocol) Name() string { return "text" }

// NewCodec returns a codec for one connection.
func (Protocol) NewCodec(c protocols.Conn) protocols.Codec { return &codec{conn: c} }

type codec struct {
	conn    protocols.Conn
	scanned int // bytes of the current line already searched for "\n"
}

// Input finds the end of the first line, resuming where the last call
// stopped so that a long line arriving in pieces is scanned once.
func (c *codec) Input(buf []byte) (int, error) {
	if c.scanned > len(buf) {
		c.scanned = 0
	}
	if i := bytes.IndexByte(buf[c.scanned:], '\n'); i >= 0 {
		n := c.scanned + i + 1
		c.scanned = 0
		if n > c.conn.MaxPackageSize() {
			return 0, protocols.ErrPackageTooLarge
		}
		return n, nil
	}
	c.scanned = len(buf)
	if len(buf) >= c.conn.MaxPackageSize() {
		return 0, protocols.ErrPackageTooLarge
	}
	return 0, nil
}

// Decode returns the line without its "\n" or "\r\n".
func (c *codec) Decode(pkg []byte) (any, error) {
	pkg = bytes.TrimSuffix(pkg, []byte{'\n'})
	pkg = bytes.TrimSuffix(pkg, []byte{'\r'})
	return string(pkg), nil
}

// Encode appends the message and "\n".
func (c *codec) Encode(dst []byte, msg any) ([]byte, error) {
	dst, err := protocols.AppendBytes(dst, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, '\n'), nil
}

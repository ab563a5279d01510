// Package frame is workerman's Frame protocol: each message is preceded by
// its total length, header included, as a 4-byte big-endian integer.
// Messages arrive as []byte (a copy the handler may keep); sending a []byte
// or string adds the header.
package frame

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/gnetworker/gnetworker/protocols"
)

// HeaderSize is the length of the frame header.
const HeaderSize = 4

// ErrBadLength is returned for a header whose total length is below
// HeaderSize.
var ErrBadLength = errors.New("frame: total length below header size")

// Protocol is the "frame" scheme's protocol.
type Protocol struct{}

// Name returns "frame".
func (Protocol) Name() string { return "frame" }

// NewCodec returns a codec for one connection.
func (Protocol) NewCodec(c protocols.Conn) protocols.Codec { return codec{conn: c} }

type codec struct{ conn protocols.Conn }

// Input reads the header, which alone says how long the package is.
func (c codec) Input(buf []byte) (int, error) {
	if len(buf) < HeaderSize {
		return 0, nil
	}
	total := binary.BigEndian.Uint32(buf)
	switch {
	case total < HeaderSize:
		return 0, ErrBadLength
	case uint64(total) > uint64(c.conn.MaxPackageSize()):
		return 0, protocols.ErrPackageTooLarge
	case int(total) > len(buf):
		return 0, nil
	}
	return int(total), nil
}

// Decode returns a copy of the payload.
func (c codec) Decode(pkg []byte) (any, error) {
	payload := make([]byte, len(pkg)-HeaderSize)
	copy(payload, pkg[HeaderSize:])
	return payload, nil
}

// Encode appends the header and the payload.
func (c codec) Encode(dst []byte, msg any) ([]byte, error) {
	var n int
	switch m := msg.(type) {
	case []byte:
		n = len(m)
	case string:
		n = len(m)
	default:
		return dst, protocols.ErrUnsupportedMessage
	}
	if n > math.MaxUint32-HeaderSize {
		return dst, protocols.ErrPackageTooLarge
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(n+HeaderSize))
	return protocols.AppendBytes(dst, msg)
}

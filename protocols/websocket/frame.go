package websocket

import (
	"crypto/rand"
	"encoding/binary"
	"math"
	mathrand "math/rand/v2"
)

// Opcode is a frame's opcode (RFC 6455 section 5.2).
type Opcode byte

// The opcodes.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

func (o Opcode) control() bool { return o&0x8 != 0 }

func (o Opcode) known() bool {
	switch o {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return true
	}
	return false
}

// frameHeader is what a frame's header says.
type frameHeader struct {
	fin     bool
	rsv1    bool // a compressed message's first frame (permessage-deflate)
	opcode  Opcode
	length  int     // payload length
	mask    [4]byte // zero in a server's frame
	headLen int     // header bytes, mask key included
}

// maxControlPayload bounds a control frame's payload (section 5.5).
const maxControlPayload = 125

// parseHeader reads a frame's header from buf: ok is false while it is
// incomplete. masked says which side sent it: a client, whose frames must
// be masked (the server's codec), or a server, whose frames must not be
// (section 5.1). Frames to refuse are errors with their close code: the
// wrong masking, reserved bits or opcodes, fragmented or long control
// frames, a length with its top bit set or over maxPayload.
func parseHeader(buf []byte, maxPayload int, deflate, masked bool) (h frameHeader, ok bool, err *CloseError) {
	if len(buf) < 2 {
		return h, false, nil
	}
	b0, b1 := buf[0], buf[1]
	h.fin = b0&0x80 != 0
	h.rsv1 = b0&0x40 != 0
	h.opcode = Opcode(b0 & 0x0F)
	switch {
	case b0&0x30 != 0 || h.rsv1 && !deflate:
		return h, false, errReservedBits
	case h.rsv1 && h.opcode != OpText && h.opcode != OpBinary:
		// Only a data message's first frame says it is compressed.
		return h, false, errReservedBits
	case !h.opcode.known():
		return h, false, errReservedOpcode
	case b1&0x80 == 0 && masked:
		return h, false, errUnmasked
	case b1&0x80 != 0 && !masked:
		return h, false, errMasked
	}
	n := int(b1 & 0x7F)
	h.headLen = 2
	switch n {
	case 126:
		if len(buf) < 4 {
			return h, false, nil
		}
		n = int(binary.BigEndian.Uint16(buf[2:4]))
		h.headLen = 4
	case 127:
		if len(buf) < 10 {
			return h, false, nil
		}
		u := binary.BigEndian.Uint64(buf[2:10])
		if u > math.MaxInt64 {
			return h, false, errBadLength
		}
		if u > uint64(maxPayload) {
			return h, false, errTooBig
		}
		n = int(u)
		h.headLen = 10
	}
	if h.opcode.control() && (!h.fin || n > maxControlPayload) {
		return h, false, errBadControl
	}
	if n > maxPayload {
		return h, false, errTooBig
	}
	if masked {
		if len(buf) < h.headLen+4 {
			return h, false, nil
		}
		copy(h.mask[:], buf[h.headLen:h.headLen+4])
		h.headLen += 4
	}
	h.length = n
	return h, true, nil
}

// unmask appends payload, unmasked with key, to dst.
func unmask(dst, payload []byte, key [4]byte) []byte {
	start := len(dst)
	dst = append(dst, payload...)
	maskBytes(dst[start:], key)
	return dst
}

// maskBytes masks (or unmasks) b in place with key, b[0] taking key[0]
// (section 5.3). A zero key, a server frame's, changes nothing.
func maskBytes(b []byte, key [4]byte) {
	k := binary.LittleEndian.Uint32(key[:])
	if k == 0 {
		return
	}
	k64 := uint64(k) | uint64(k)<<32
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k64)
	}
	for ; i < len(b); i++ {
		b[i] ^= key[i&3]
	}
}

// appendFrame appends a server frame (unmasked, FIN set) to dst.
func appendFrame(dst []byte, op Opcode, payload []byte) []byte {
	return append(appendHeader(dst, op, len(payload)), payload...)
}

// appendHeader appends the header of a server frame of n payload bytes.
func appendHeader(dst []byte, op Opcode, n int) []byte {
	return appendHeaderBits(dst, 0x80|byte(op), n)
}

// appendHeaderBits appends a header whose first byte is b0.
func appendHeaderBits(dst []byte, b0 byte, n int) []byte {
	dst = append(dst, b0)
	switch {
	case n < 126:
		return append(dst, byte(n))
	case n <= math.MaxUint16:
		dst = append(dst, 126)
		return binary.BigEndian.AppendUint16(dst, uint16(n))
	}
	dst = append(dst, 127)
	return binary.BigEndian.AppendUint64(dst, uint64(n))
}

// appendClose appends a close frame with code and reason (no payload for
// code 0).
func appendClose(dst []byte, code int, reason string) []byte {
	var p [maxControlPayload]byte
	return appendFrame(dst, OpClose, closeBody(&p, code, reason))
}

// maskKeys makes the masking keys of one client connection's frames. RFC
// 6455 section 5.3 asks for keys a proxy cannot predict; a ChaCha8
// stream seeded from crypto/rand is that, at a few nanoseconds a key
// rather than a system call per frame.
type maskKeys struct{ rng *mathrand.ChaCha8 }

func newMaskKeys() *maskKeys {
	var seed [32]byte
	_, _ = rand.Read(seed[:]) // never fails (crypto/rand)
	return &maskKeys{rng: mathrand.NewChaCha8(seed)}
}

// next returns a fresh key.
func (m *maskKeys) next() (key [4]byte) {
	binary.LittleEndian.PutUint32(key[:], uint32(m.rng.Uint64()))
	return key
}

// appendFrameTo appends a frame whose first byte is b0 (FIN, RSV1,
// opcode) and whose payload is p: as a server sends it when masks is
// nil, else masked with a fresh key of masks, as a client must.
func appendFrameTo(dst []byte, b0 byte, p []byte, masks *maskKeys) []byte {
	if masks != nil {
		return appendMasked(dst, b0, p, masks)
	}
	return append(appendHeaderBits(dst, b0, len(p)), p...)
}

// appendMasked appends a client's frame: b0, then payload p masked with
// a fresh key of masks.
func appendMasked[P []byte | string](dst []byte, b0 byte, p P, masks *maskKeys) []byte {
	key := masks.next()
	start := len(dst)
	dst = appendHeaderBits(dst, b0, len(p))
	dst[start+1] |= 0x80
	dst = append(dst, key[:]...)
	n := len(dst)
	dst = append(dst, p...)
	maskBytes(dst[n:], key)
	return dst
}

// closeBody is a close frame's payload: code and reason, none for
// code 0.
func closeBody(buf *[maxControlPayload]byte, code int, reason string) []byte {
	if code == 0 {
		return nil
	}
	binary.BigEndian.PutUint16(buf[:2], uint16(code))
	return buf[:2+copy(buf[2:], reason)]
}

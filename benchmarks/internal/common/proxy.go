package common

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
)

// The proxy scenario's wire protocol, spoken by the harness's clients
// and servers/proxysink through the proxy under test. A client opens
// with a ProxyHeaderLen-byte header: an operation, flags and a length
// (big-endian uint64).
//
//   - ProxyUpload: the client then sends length bytes of the pattern;
//     once the sink has read them all it answers ProxyReplyLen bytes: the
//     count it read (uint64) and, with ProxyChecksum, the CRC-32C of
//     those bytes (uint32, else 0). The client closes when it has read
//     the answer.
//   - ProxyDownload: the sink sends length bytes of the pattern and
//     closes; the client reads until the end of stream.
//
// The pattern is ProxyPatternLen bytes of a seeded random stream,
// repeated: byte i of a transfer is pattern[i % ProxyPatternLen]. Its
// length is no power of two, so a proxy that lost, doubled or reordered
// whole buffers would not get the same checksum back.
const (
	ProxyUpload   = 'U'
	ProxyDownload = 'D'

	ProxyChecksum = 1 // flag: checksum the bytes (CRC-32C)

	ProxyHeaderLen  = 10
	ProxyReplyLen   = 12
	ProxyPatternLen = 1<<20 + 17
)

// ProxyCRC is the checksum's table (Castagnoli: SSE4.2 on amd64).
var ProxyCRC = crc32.MakeTable(crc32.Castagnoli)

// ProxyPattern is the repeated pattern; each call makes a new copy.
func ProxyPattern() []byte {
	b := make([]byte, ProxyPatternLen)
	r := rand.NewChaCha8([32]byte{'p', 'r', 'o', 'x', 'y'})
	_, _ = r.Read(b)
	return b
}

// ProxyChunk is the pattern's bytes from stream offset off, at most n.
func ProxyChunk(pattern []byte, off int64, n int64) []byte {
	i := off % ProxyPatternLen
	return pattern[i:min(ProxyPatternLen, i+n)]
}

// ProxyStreamCRC is the CRC-32C of the first n bytes of the stream.
func ProxyStreamCRC(pattern []byte, n int64) uint32 {
	var crc uint32
	for off := int64(0); off < n; {
		b := ProxyChunk(pattern, off, n-off)
		crc = crc32.Update(crc, ProxyCRC, b)
		off += int64(len(b))
	}
	return crc
}

// ProxyHeader encodes a request header.
func ProxyHeader(op, flags byte, n int64) []byte {
	h := make([]byte, ProxyHeaderLen)
	h[0], h[1] = op, flags
	binary.BigEndian.PutUint64(h[2:], uint64(n))
	return h
}

// ParseProxyHeader decodes a request header.
func ParseProxyHeader(h []byte) (op, flags byte, n int64, err error) {
	if len(h) != ProxyHeaderLen || (h[0] != ProxyUpload && h[0] != ProxyDownload) {
		return 0, 0, 0, errors.New("proxy: bad header")
	}
	return h[0], h[1], int64(binary.BigEndian.Uint64(h[2:])), nil
}

// ProxyReply encodes the sink's answer to an upload.
func ProxyReply(n int64, crc uint32) []byte {
	r := make([]byte, ProxyReplyLen)
	binary.BigEndian.PutUint64(r, uint64(n))
	binary.BigEndian.PutUint32(r[8:], crc)
	return r
}

// ParseProxyReply decodes the sink's answer to an upload.
func ParseProxyReply(r []byte) (n int64, crc uint32) {
	return int64(binary.BigEndian.Uint64(r)), binary.BigEndian.Uint32(r[8:])
}

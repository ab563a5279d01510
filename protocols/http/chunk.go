package http

import "strconv"

// Chunk is one piece of the body of a chunked response (a Response with
// "Transfer-Encoding: chunked"), after workerman's Chunk. It is encoded as
// hex(len) CRLF data CRLF; the empty Chunk is the terminator "0\r\n\r\n" and
// ends the response.
type Chunk struct {
	b     []byte
	s     string
	isStr bool
}

// NewChunk returns a chunk carrying b. b is not copied: it must not be
// modified until the chunk has been sent. An empty b makes the terminator.
func NewChunk(b []byte) Chunk { return Chunk{b: b} }

// NewChunkString returns a chunk carrying s. An empty s makes the
// terminator.
func NewChunkString(s string) Chunk { return Chunk{s: s, isStr: true} }

// Len returns the number of data bytes in the chunk.
func (c Chunk) Len() int {
	if c.isStr {
		return len(c.s)
	}
	return len(c.b)
}

// isLast reports whether c is the terminator.
func (c Chunk) isLast() bool { return c.Len() == 0 }

// appendData appends the chunk's data without framing.
func (c Chunk) appendData(dst []byte) []byte {
	if c.isStr {
		return append(dst, c.s...)
	}
	return append(dst, c.b...)
}

// appendChunk appends the wire form of c to dst; last reports that c was
// the terminator, which ends the response.
func appendChunk(dst []byte, c Chunk) (out []byte, last bool) {
	if c.isLast() {
		return append(dst, "0\r\n\r\n"...), true
	}
	return appendChunkFraming(dst, c.Len(), c.s, c.b), false
}

// appendChunkFraming appends one non-empty chunk of n bytes whose data is s
// followed by b (one of them is empty).
func appendChunkFraming(dst []byte, n int, s string, b []byte) []byte {
	dst = strconv.AppendInt(dst, int64(n), 16)
	dst = append(dst, '\r', '\n')
	dst = append(dst, s...)
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

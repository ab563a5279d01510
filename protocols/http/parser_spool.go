package http

// A body too large to hold in memory is spooled: the codec takes the bytes
// the parser has measured off the front of the buffer as they arrive,
// writes the body's data to a file and drops its framing. The parser keeps
// its state and goes on with the rest, its offsets moved back by what was
// taken (shift). Its head offsets are not moved: Decode loaded the head
// with the first piece taken.

// absorbable returns how many bytes at the start of buf (buf as last given
// to Input, the request incomplete) the codec may take now: everything
// before the line being read, or before the end of the chunk or body
// being received. In the trailer section nothing is taken: trailers are
// bounded by MaxHeaderBytes and are decoded with the last piece.
func (p *Parser) absorbable(buf []byte) int {
	switch p.state {
	case inLengthBody:
		return min(len(buf), p.total)
	case inChunkData:
		return min(len(buf), p.chunkEnd)
	case inChunkSize:
		return p.lineStart
	}
	return 0
}

// bodyData appends to dst the spans of body data within buf[:k]: the
// chunks completed so far and the received part of the chunk being read,
// or the length-delimited body's bytes. from is where the body may start
// (the head's end in the first piece, 0 after).
func (p *Parser) bodyData(dst [][]byte, buf []byte, k, from int) [][]byte {
	if !p.chunked {
		if k > from {
			dst = append(dst, buf[from:k])
		}
		return dst
	}
	for _, c := range p.chunks {
		s, e := max(int(c.start), from), min(int(c.end), k)
		if e > s {
			dst = append(dst, buf[s:e])
		}
	}
	if p.state == inChunkData {
		s, e := max(p.chunkStart, from), min(p.chunkEnd, k)
		if e > s {
			dst = append(dst, buf[s:e])
		}
	}
	return dst
}

// shift tells the parser that the first k bytes of its buffer are gone:
// every offset into it moves back by k, and the chunks recorded so far
// (whose data the codec wrote) are forgotten.
func (p *Parser) shift(k int) {
	p.consumed += int64(k)
	p.scan -= k
	p.lineStart -= k
	p.headLimit -= k
	p.chunkStart -= k
	p.chunkEnd -= k
	if p.state == inLengthBody || p.state == reqComplete {
		p.total -= k
	}
	p.chunks = p.chunks[:0]
}

// bodyReceived is how many bytes of the body (with any chunk framing)
// have arrived, buf being the bytes not yet taken.
func (p *Parser) bodyReceived(buf []byte) int64 {
	return p.consumed + int64(len(buf)) - int64(p.headEnd)
}

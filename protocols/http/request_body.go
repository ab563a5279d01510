package http

import (
	"bytes"
	"io"
)

// A request's body is in memory (a view of the request's bytes) or, when
// it was too large for memory, in a temporary file (see body_spool.go).
// Both are read alike through Body; RawBody loads a spooled body into
// memory on first use.

// Body returns a reader of the body from its start; each call returns a
// new one. A spooled body is read from its file, so a handler that streams
// it (to disk, to a hash) holds no copy in memory. The reader is valid as
// long as the Request is.
func (r *Request) Body() io.ReadSeeker {
	if s := r.spooled(); s != nil {
		return s.reader()
	}
	return bytes.NewReader(r.RawBody())
}

// BodySpooled reports whether the body was spooled to a temporary file,
// being larger than the Protocol's MaxBodyInMemory (1 MiB by default) or
// arriving while the worker's bodies in memory filled MaxBodyMemory. The
// file is removed when the response is complete (or starts streaming),
// or when the connection closes.
func (r *Request) BodySpooled() bool { return r.spooled() != nil }

// spooled is the body's spool file, or nil when the body is in memory.
func (r *Request) spooled() *spoolFile {
	if r.ext == nil {
		return nil
	}
	return r.ext.body
}

// bodyReader returns a reader over the request's decoded body and the
// body's length. Form parsing reads the body through it, so that a body
// held in memory and one spooled to a temporary file are parsed alike.
func (r *Request) bodyReader() (io.Reader, int64) {
	if s := r.spooled(); s != nil {
		return s.reader(), s.size
	}
	b := r.RawBody()
	return bytes.NewReader(b), int64(len(b))
}

// loadSpooledBody reads a spooled body into the request's bytes, once, so
// that RawBody can return it.
func (r *Request) loadSpooledBody() {
	e := r.ext
	if e == nil || e.body == nil || e.bodyLoaded {
		return
	}
	e.bodyLoaded = true
	start := len(r.buf)
	r.buf = append(r.buf, make([]byte, e.body.size)...)
	n, _ := io.ReadFull(e.body.reader(), r.buf[start:])
	r.bodyStart, r.bodyEnd = int32(start), int32(start+n)
	r.buf = r.buf[:start+n]
}

// maxKeptRequestBuffer is the largest buffer a request keeps for reuse by
// its connection's next request: a spike of large bodies must not leave
// every keep-alive connection pinning one.
const maxKeptRequestBuffer = 64 << 10

// endBody frees what the request's body holds once its response is
// complete: the spool file, its place in the memory budget, uploaded
// files' temporary files, and an outsized buffer.
func (r *Request) endBody(p *Protocol) {
	r.releaseBody(p)
	if cap(r.buf) > maxKeptRequestBuffer {
		// The request is over (its response is complete): a handler that
		// reads it after all gets empty values, not stale offsets.
		r.reset()
		r.buf = nil
	}
}

// releaseBody frees the body's file, its place in the memory budget and
// uploads' temporary files, keeping the request's head readable.
func (r *Request) releaseBody(p *Protocol) {
	if r.reserved != 0 {
		p.unreserve(r.reserved)
		r.reserved = 0
	}
	if e := r.ext; e != nil {
		if e.body != nil {
			e.body.close()
			e.body, e.bodyLoaded = nil, false
		}
		r.removeTempFiles()
	}
}

// loadHead fills r with the head of the request p has measured, whose
// body is being spooled: the package's first piece is pkg.
func (r *Request) loadHead(p *Parser, pkg []byte) {
	r.load(p, pkg[:p.headEnd])
}

// loadSpooledTail completes a spooled request with its last piece, pkg:
// the trailers (offsets into pkg) and the body's file.
func (r *Request) loadSpooledTail(p *Parser, pkg []byte, s *spoolFile) {
	e := r.extension()
	e.body = s
	if len(p.trailers) > 0 {
		base := int32(len(r.buf))
		r.buf = append(r.buf, pkg...)
		e.trailers = e.trailers[:0]
		for _, f := range p.trailers {
			e.trailers = append(e.trailers, reqField{f.nameStart + base, f.nameEnd + base, f.valueStart + base, f.valueEnd + base})
		}
	}
}

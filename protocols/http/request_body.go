package http

import (
	"bytes"
	"io"
)

// bodyReader returns a reader over the request's decoded body and the
// body's length. Form parsing reads the body through it, so that a body
// held in memory and one spooled to a temporary file are parsed alike.
func (r *Request) bodyReader() (io.Reader, int64) {
	b := r.RawBody()
	return bytes.NewReader(b), int64(len(b))
}

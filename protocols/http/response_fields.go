package http

import (
	"errors"
	"fmt"
	"iter"
)

// ErrInvalidProtocolVersion reports a response protocol version other than
// "1.0" and "1.1" (see Response.WithProtocolVersion).
var ErrInvalidProtocolVersion = errors.New("http: invalid response protocol version")

// WithAddedHeader adds a header line name: value after the others, keeping
// any of the same name (PHP's header($h, false)); WithHeader replaces them
// (workerman's withHeader). Use it for fields that may repeat as separate
// lines, such as Link:
//
//	r.WithAddedHeader("Link", "</a.css>; rel=preload").
//		WithAddedHeader("Link", "</b.js>; rel=preload")
//
// Header returns the first of them, Headers all. Cookie adds Set-Cookie
// lines this way. Invalid names or values are reported when the response
// is encoded.
func (r *Response) WithAddedHeader(name, value string) *Response {
	r.changed()
	r.headers = append(r.headers, headerField{name: name, value: value})
	return r
}

// Headers iterates over the header lines set on r, in order and with the
// names' case as given, repeated lines (WithAddedHeader, Cookie) each
// once, as Request.Headers does for a request:
//
//	for name, value := range resp.Headers() { ... }
//
// The headers the encoder adds (Date, Content-Length, Connection, a default
// Content-Type) are not among them. r must not be modified during the
// iteration.
func (r *Response) Headers() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, h := range r.headers {
			if !yield(h.name, h.value) {
				return
			}
		}
	}
}

// WithProtocolVersion sets the version the status line states, "1.1" (the
// default) or "1.0", as workerman's withProtocolVersion. Any other value
// leaves the version as it was and is reported as
// ErrInvalidProtocolVersion when the response is encoded.
//
// The version never lies about the framing. The body is framed as both the
// request's and the response's versions allow: an HTTP/1.0 response, or a
// response to an HTTP/1.0 request, never uses chunked coding (a
// "Transfer-Encoding: chunked" response is then sent unframed and the
// connection closes after it). A connection kept open says so with
// "Connection: keep-alive", which HTTP/1.0 needs. Answering an HTTP/1.0
// request with "HTTP/1.1" (the default) is what RFC 9110 section 6.2 asks
// of a server.
func (r *Response) WithProtocolVersion(version string) *Response {
	r.changed()
	switch version {
	case "1.0":
		r.http10 = true
	case "1.1":
		r.http10 = false
	default:
		r.setErr(fmt.Errorf("%w: %q", ErrInvalidProtocolVersion, version))
	}
	return r
}

// ProtocolVersion returns the version the status line states: "1.1"
// unless WithProtocolVersion("1.0") was called.
func (r *Response) ProtocolVersion() string {
	if r.http10 {
		return "1.0"
	}
	return "1.1"
}

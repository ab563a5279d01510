package http

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/gnetworker/gnetworker/protocols"
)

// encodeContext is what the encoder must know about the request being
// answered and the connection.
type encodeContext struct {
	// head is true when the request was HEAD: no body bytes are written.
	head bool
	// http10 is true when the request was HTTP/1.0 (no chunked encoding
	// for it). Responses say HTTP/1.1 unless WithProtocolVersion("1.0").
	http10 bool
	// keepAlive is true when the connection stays open after this response;
	// the encoder writes the matching Connection header.
	keepAlive bool
}

// responseKind tells the codec what follows an encoded response header.
type responseKind uint8

const (
	// kindComplete: the response is complete (for a streamed file, the
	// header promises Content-Length bytes the codec sends next). The
	// connection stays open if encodeContext.keepAlive was true.
	kindComplete responseKind = iota
	// kindChunked: "Transfer-Encoding: chunked" was sent; body pieces follow
	// as Chunk values (appendStreamMessage frames them) until the empty
	// Chunk, which ends the response. The connection then stays open if
	// encodeContext.keepAlive was true.
	kindChunked
	// kindUnframed: the user asked for chunked encoding but the client
	// speaks HTTP/1.0, which has none: Transfer-Encoding was removed and
	// "Connection: close" sent. Body pieces follow unframed; the empty Chunk
	// ends the response and the connection must then close.
	kindUnframed
	// kindEventStream: a text/event-stream header block was sent, with no
	// Content-Length and "Connection: close" (the body is delimited by the
	// connection closing). ServerSentEvents (or Chunk) values follow,
	// written as they are; the response ends when the connection closes (an
	// empty Chunk asks for that).
	kindEventStream
	// kindInformational: a 1xx interim response; the final response to the
	// same request is still owed (after 101 the protocol changes).
	kindInformational
)

// closesConnection reports whether the connection must close once a
// response of kind k has ended, whatever encodeContext.keepAlive said.
func (k responseKind) closesConnection() bool {
	return k == kindUnframed || k == kindEventStream
}

// streams reports whether body messages follow the header of kind k.
func (k responseKind) streams() bool {
	return k == kindChunked || k == kindUnframed || k == kindEventStream
}

// Names of headers the encoder treats specially, classified by
// classifyHeader.
const (
	hdrOther = iota
	hdrDate
	hdrConnection
	hdrContentType
	hdrContentLength
	hdrTransferEncoding
)

// classifyHeader identifies the headers the encoder treats specially,
// without allocating.
func classifyHeader(name string) int {
	if len(name) < 4 {
		return hdrOther
	}
	switch name[0] | 0x20 { // ASCII lower case
	case 'd', 'c', 't':
	default:
		return hdrOther
	}
	switch len(name) {
	case 4:
		if strings.EqualFold(name, "date") {
			return hdrDate
		}
	case 10:
		if strings.EqualFold(name, "connection") {
			return hdrConnection
		}
	case 12:
		if strings.EqualFold(name, "content-type") {
			return hdrContentType
		}
	case 14:
		if strings.EqualFold(name, "content-length") {
			return hdrContentLength
		}
	case 17:
		if strings.EqualFold(name, "transfer-encoding") {
			return hdrTransferEncoding
		}
	}
	return hdrOther
}

// defaultContentType is workerman's default Content-Type.
const defaultContentType = "text/html;charset=utf-8"

// appendResponse appends the wire form of r, answering a request described
// by ec, to dst. On error nothing is appended (dst is returned unchanged):
// a header name that is not a token, a header value or reason phrase with a
// control character (CR, LF, NUL...), a status outside 100..999, a
// Transfer-Encoding other than a list ending in a single "chunked", a
// non-numeric Content-Length kept for HEAD, or an error recorded by a
// builder method (Cookie). Encoding a valid response into a dst with room
// allocates nothing.
//
// A file response (WithFile) must first go through prepareFile; its body is
// otherwise treated as empty.
func appendResponse(dst []byte, r *Response, ec encodeContext) ([]byte, responseKind, error) {
	if r == nil {
		return dst, kindComplete, ErrNilResponse
	}
	if !ec.head {
		if w := r.wire.Load(); w != nil {
			return r.appendFromWire(dst, w, ec), kindComplete, nil
		}
	}
	if r.err != nil {
		return dst, kindComplete, r.err
	}
	status := r.status
	if status == 0 {
		status = 200
	}
	if status < 100 || status > 999 {
		return dst, kindComplete, fmt.Errorf("%w: code %d", ErrInvalidStatusCode, status)
	}
	reason := r.reason
	if reason == "" {
		reason = statusReason(status)
	} else if !validFieldValue(reason) {
		return dst, kindComplete, fmt.Errorf("%w: reason %q", ErrInvalidStatusCode, reason)
	}

	// Validate the headers and find the special ones, remembering the
	// class of the first few for the writing pass.
	var classes [24]uint8
	var hasDate, hasContentType, chunked, eventStream bool
	userLength := ""
	for i := range r.headers {
		h := &r.headers[i]
		if h.name == "" || !isTokenString(h.name) || !validFieldValue(h.value) {
			return dst, kindComplete, fmt.Errorf("%w: %q", ErrInvalidResponseHeader, h.name)
		}
		class := classifyHeader(h.name)
		if i < len(classes) {
			classes[i] = uint8(class)
		}
		switch class {
		case hdrDate:
			hasDate = true
		case hdrContentType:
			hasContentType = true
			if isEventStream(h.value) {
				eventStream = true
			}
		case hdrContentLength:
			userLength = h.value
		case hdrTransferEncoding:
			if !lastTokenIsOnlyChunked(h.value) {
				return dst, kindComplete, fmt.Errorf("%w: Transfer-Encoding %q", ErrInvalidResponseHeader, h.value)
			}
			chunked = true
		}
	}

	bodiless := status < 200 || status == 204 || status == 304
	kind := kindComplete
	switch {
	case status < 200:
		kind = kindInformational
	case bodiless:
	case chunked && (ec.http10 || r.http10):
		kind = kindUnframed
	case chunked:
		kind = kindChunked
	case eventStream:
		kind = kindEventStream
	}
	// A user's Content-Length is kept only to tell a HEAD client the length
	// a GET would have had.
	keepUserLength := userLength != "" && kind == kindComplete && !bodiless && ec.head && !r.hasDeclaredLength
	if keepUserLength && !isDigits(trimOWS(userLength)) {
		return dst, kindComplete, fmt.Errorf("%w: Content-Length %q", ErrInvalidResponseHeader, userLength)
	}

	start := len(dst)
	if r.http10 {
		dst = append(dst, "HTTP/1.0 "...)
	} else {
		dst = append(dst, "HTTP/1.1 "...)
	}
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, reason...)
	dst = append(dst, "\r\n"...)

	for i := range r.headers {
		h := &r.headers[i]
		var class int
		if i < len(classes) {
			class = int(classes[i])
		} else {
			class = classifyHeader(h.name)
		}
		switch class {
		case hdrConnection:
			if kind != kindInformational {
				continue // the server decides
			}
		case hdrContentLength:
			if !keepUserLength {
				continue
			}
		case hdrTransferEncoding:
			if kind != kindChunked {
				continue
			}
		}
		dst = append(dst, h.name...)
		dst = append(dst, ": "...)
		dst = append(dst, h.value...)
		dst = append(dst, "\r\n"...)
	}

	if kind == kindInformational {
		return append(dst, "\r\n"...), kind, nil
	}
	if !hasContentType && !bodiless {
		dst = append(dst, "Content-Type: "+defaultContentType+"\r\n"...)
	}
	if kind == kindComplete && !bodiless && !keepUserLength {
		dst = append(dst, "Content-Length: "...)
		if r.hasDeclaredLength {
			dst = strconv.AppendInt(dst, r.declaredLength, 10)
		} else {
			dst = strconv.AppendInt(dst, int64(r.bodyLen()), 10)
		}
		dst = append(dst, "\r\n"...)
	}
	if kind == kindComplete && !ec.head && !r.hasDeclaredLength && r.encodes.Add(1) == 2 {
		// Sent a second time without a change: keep everything so far,
		// which no longer depends on the request.
		r.wire.Store(&wireHead{prefix: bytes.Clone(dst[start:]), hasDate: hasDate, body: !bodiless})
	}
	switch {
	case kind.closesConnection() || !ec.keepAlive:
		dst = append(dst, "Connection: close\r\n"...)
	default:
		dst = append(dst, "Connection: keep-alive\r\n"...)
	}
	if !hasDate {
		dst = append(dst, "Date: "...)
		dst = appendDate(dst)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "\r\n"...)

	if ec.head || bodiless || r.hasDeclaredLength {
		return dst, kind, nil
	}
	switch kind {
	case kindComplete, kindUnframed:
		dst = r.appendBody(dst)
	case kindChunked:
		if r.bodyLen() > 0 {
			if r.bodyIsString {
				dst = appendChunkFraming(dst, r.bodyLen(), r.bodyStr, nil)
			} else {
				dst = appendChunkFraming(dst, r.bodyLen(), "", r.body)
			}
		}
	}
	return dst, kind, nil
}

// wireHead is the cached start of a Response's encoding: the status line
// and headers up to the Connection header, which are the same for every
// request but HEAD. A Response encoded a second time without a change
// keeps one, so a prebuilt Response (examples/hello sends one to every
// request) is copied rather than validated and formatted again; one built
// per request never is (it would cost an allocation).
type wireHead struct {
	prefix  []byte
	hasDate bool // the user set Date
	body    bool // the status allows a body
}

// appendFromWire finishes the encoding of r from its cached start: the
// Connection header for ec, Date, and the body.
func (r *Response) appendFromWire(dst []byte, w *wireHead, ec encodeContext) []byte {
	dst = append(dst, w.prefix...)
	if ec.keepAlive {
		dst = append(dst, "Connection: keep-alive\r\n"...)
	} else {
		dst = append(dst, "Connection: close\r\n"...)
	}
	if !w.hasDate {
		dst = append(dst, "Date: "...)
		dst = appendDate(dst)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	if w.body {
		dst = r.appendBody(dst)
	}
	return dst
}

// appendTextResponse appends a complete 200 response carrying body with
// workerman's default Content-Type (text/html;charset=utf-8), as
// connection.Send("text") produces. For HEAD the Content-Length is the
// body's but the body is not written.
func appendTextResponse[T string | []byte](dst []byte, body T, ec encodeContext) []byte {
	dst = append(dst, "HTTP/1.1 200 OK\r\nContent-Type: "+defaultContentType+"\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	if ec.keepAlive {
		dst = append(dst, "\r\nConnection: keep-alive\r\nDate: "...)
	} else {
		dst = append(dst, "\r\nConnection: close\r\nDate: "...)
	}
	dst = appendDate(dst)
	dst = append(dst, "\r\n\r\n"...)
	if !ec.head {
		dst = append(dst, body...)
	}
	return dst
}

// appendStreamMessage appends msg, a body piece following a streaming
// response header of the given kind (kindChunked, kindUnframed or
// kindEventStream), framed as that kind requires. msg may be a Chunk, a
// ServerSentEvents, a string or a []byte. When head is true (the request was
// HEAD) nothing is appended. last reports that msg ended the response (an
// empty Chunk); after kindUnframed or kindEventStream the connection must
// then close. An unsupported msg or kind yields
// protocols.ErrUnsupportedMessage; an invalid event yields
// ErrInvalidEventField. On error nothing is appended.
func appendStreamMessage(dst []byte, msg any, kind responseKind, head bool) (out []byte, last bool, err error) {
	if !kind.streams() {
		return dst, false, protocols.ErrUnsupportedMessage
	}
	switch m := msg.(type) {
	case Chunk:
		last = m.isLast()
		if head {
			return dst, last, nil
		}
		if kind == kindChunked {
			out, last = appendChunk(dst, m)
			return out, last, nil
		}
		return m.appendData(dst), last, nil
	case *Chunk:
		if m == nil {
			return dst, false, protocols.ErrUnsupportedMessage
		}
		return appendStreamMessage(dst, *m, kind, head)
	case ServerSentEvents:
		if err := m.validate(); err != nil {
			return dst, false, err
		}
		if head {
			return dst, false, nil
		}
		if kind != kindChunked {
			out, err = m.AppendTo(dst)
			return out, false, err
		}
		// Encode in place, then slide the event right to make room for
		// the chunk-size line.
		start := len(dst)
		out, err = m.AppendTo(dst)
		if err != nil {
			return dst, false, err
		}
		n := len(out) - start
		if n == 0 {
			return out, false, nil
		}
		var sizeBuf [20]byte
		size := strconv.AppendInt(sizeBuf[:0], int64(n), 16)
		size = append(size, '\r', '\n')
		out = append(out, size...) // grow by len(size)
		copy(out[start+len(size):], out[start:start+n])
		copy(out[start:], size)
		return append(out, '\r', '\n'), false, nil
	case *ServerSentEvents:
		if m == nil {
			return dst, false, protocols.ErrUnsupportedMessage
		}
		return appendStreamMessage(dst, *m, kind, head)
	case string:
		if m == "" {
			return dst, false, nil // not a terminator: only an empty Chunk is
		}
		return appendStreamMessage(dst, NewChunkString(m), kind, head)
	case []byte:
		if len(m) == 0 {
			return dst, false, nil
		}
		return appendStreamMessage(dst, NewChunk(m), kind, head)
	}
	return dst, false, protocols.ErrUnsupportedMessage
}

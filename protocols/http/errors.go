package http

import "strconv"

// Error is a request the parser refuses. Status is the HTTP status code to
// answer with (400, 413, 414, 431, 501 or 505) and Reason a short English
// explanation that becomes the body of the reply. The connection must be
// closed after the reply: the parser cannot find the next request's start.
//
// Error implements protocols.Replier. The parser returns shared, immutable
// *Error values, so callers must not modify one.
type Error struct {
	// Status is the response status code.
	Status int
	// Reason says what was wrong with the request.
	Reason string

	reply      []byte
	retryAfter int // seconds; 0: no Retry-After
}

// newParseError builds an Error with its reply rendered once.
func newParseError(status int, reason string) *Error {
	e := &Error{Status: status, Reason: reason}
	e.reply = e.render()
	return e
}

// newRetryError builds an Error whose reply carries Retry-After.
func newRetryError(status int, reason string, retryAfter int) *Error {
	e := &Error{Status: status, Reason: reason, retryAfter: retryAfter}
	e.reply = e.render()
	return e
}

// Error implements the error interface: "http: 400 Bad Request: <reason>".
func (e *Error) Error() string {
	return "http: " + strconv.Itoa(e.Status) + " " + parseErrorStatusText(e.Status) + ": " + e.Reason
}

// Reply returns the complete response to write before closing the
// connection: a status line, "Connection: close", a plain-text content type
// and the reason as the body. The returned slice must not be modified.
func (e *Error) Reply() []byte {
	if e.reply == nil {
		return e.render()
	}
	return e.reply
}

func (e *Error) render() []byte {
	b := make([]byte, 0, 128+len(e.Reason))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, ' ')
	b = append(b, parseErrorStatusText(e.Status)...)
	if e.retryAfter > 0 {
		b = append(b, "\r\nRetry-After: "...)
		b = strconv.AppendInt(b, int64(e.retryAfter), 10)
	}
	b = append(b, "\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(e.Reason)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, e.Reason...)
	return b
}

// parseErrorStatusText is the reason phrase for the statuses the parser
// produces (kept here so that this file does not depend on the response
// side of the package).
func parseErrorStatusText(status int) string {
	switch status {
	case 400:
		return "Bad Request"
	case 408:
		return "Request Timeout"
	case 411:
		return "Length Required"
	case 413:
		return "Content Too Large"
	case 414:
		return "URI Too Long"
	case 417:
		return "Expectation Failed"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 503:
		return "Service Unavailable"
	case 505:
		return "HTTP Version Not Supported"
	}
	return "Error"
}

// The errors Input returns. Each is a shared value with its reply prepared.
var (
	// Request line.
	errReqBareLF          = newParseError(400, "line not terminated by CRLF")
	errReqBareCR          = newParseError(400, "CR not followed by LF")
	errReqMethod          = newParseError(400, "invalid method")
	errReqTarget          = newParseError(400, "invalid request target")
	errReqRequestLine     = newParseError(400, "malformed request line")
	errReqVersion         = newParseError(400, "invalid HTTP version")
	errReqVersionUnsupp   = newParseError(505, "HTTP version not supported")
	errReqTargetTooLong   = newParseError(414, "request target too long")
	errReqHeaderTooLarge  = newParseError(431, "request header section too large")
	errReqTooManyHeaders  = newParseError(431, "too many header fields")
	errReqTrailerTooLarge = newParseError(431, "trailer section too large")
	errReqTooManyTrailers = newParseError(431, "too many trailer fields")

	// Field lines.
	errReqFieldName      = newParseError(400, "invalid header field name")
	errReqSpaceBeforeCol = newParseError(400, "whitespace between header field name and colon")
	errReqObsFold        = newParseError(400, "obsolete line folding or leading whitespace in field line")
	errReqFieldValue     = newParseError(400, "invalid character in header field value")

	// Host.
	errReqHostMissing   = newParseError(400, "missing Host header field")
	errReqHostDuplicate = newParseError(400, "duplicate Host header field")
	errReqHostInvalid   = newParseError(400, "invalid Host header field")

	// Framing.
	errReqContentLength        = newParseError(400, "invalid Content-Length")
	errReqContentLengthConfl   = newParseError(400, "conflicting Content-Length values")
	errReqContentLengthOverflw = newParseError(400, "Content-Length overflow")
	errReqCLWithTE             = newParseError(400, "Content-Length together with Transfer-Encoding")
	errReqTENotChunked         = newParseError(400, "Transfer-Encoding does not end with chunked")
	errReqTEInvalid            = newParseError(400, "invalid Transfer-Encoding")
	errTEHTTP10                = newParseError(400, "Transfer-Encoding in an HTTP/1.0 request")
	errReqTEUnknown            = newParseError(501, "unsupported transfer coding")
	errReqBodyTooLarge         = newParseError(413, "request body too large")

	// Chunked body.
	errReqChunkSize      = newParseError(400, "invalid chunk size")
	errReqChunkSizeOverf = newParseError(400, "chunk size overflow")
	errReqChunkExt       = newParseError(400, "invalid chunk extension")
	errReqChunkExtLong   = newParseError(400, "chunk extensions or framing overhead too large")
	errReqChunkDataEnd   = newParseError(400, "chunk data not terminated by CRLF")
)

// errConnectUnsupported answers CONNECT on a Protocol without AllowConnect.
var errConnectUnsupported = newParseError(501, "CONNECT is not supported by this server")

// errSpoolUnavailable answers a body that must be spooled when the worker
// holds MaxSpoolFiles already, or the process has no descriptor to spare:
// the client may try again shortly.
var errSpoolUnavailable = newRetryError(503, "the server is busy with other uploads; try again later", 5)

// errSpoolFailed answers a body whose temporary file could not be written
// (a full disk, a missing TempDir).
var errSpoolFailed = newParseError(500, "the request body could not be stored")

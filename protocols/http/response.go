package http

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
)

// Errors reported when a Response cannot be encoded. They are returned
// (possibly wrapped with detail; test with errors.Is) instead of writing a
// malformed or injectable response.
var (
	// ErrInvalidResponseHeader reports a header whose name is not an RFC 9110
	// token, or whose value contains a control character other than HTAB
	// (CR, LF and NUL included), or a framing header (Content-Length,
	// Transfer-Encoding) with a value the encoder cannot honour. Refusing
	// such headers makes response splitting impossible.
	ErrInvalidResponseHeader = errors.New("http: invalid response header")
	// ErrInvalidStatusCode reports a status code outside 100..999 or a
	// reason phrase containing control characters.
	ErrInvalidStatusCode = errors.New("http: invalid response status")
	// ErrInvalidCookie reports a cookie whose name is not a token, whose
	// Path or Domain contains ';' or a control character, or whose SameSite
	// is not Strict, Lax or None.
	ErrInvalidCookie = errors.New("http: invalid cookie")
	// ErrNilResponse is returned when a nil *Response is encoded.
	ErrNilResponse = errors.New("http: nil response")
)

// Response is an HTTP response, after workerman's Response: a status, an
// ordered list of headers, and a body that is either bytes or a file.
//
// The With* methods modify the response in place and return it, so calls
// chain: NewResponse(200, nil, "hi").WithHeader("X-A", "1"). A Response is
// not safe for concurrent modification; once sent it may be sent again
// unchanged.
//
// When encoded, the following headers are added unless the user set them:
// Date, Content-Type (text/html;charset=utf-8), Content-Length, and
// Connection, which is always chosen by the server (a user's Connection
// header is only kept on 1xx responses; a user's "Connection: close" makes
// the server close after the response). A user's Content-Length is ignored
// in favour of the body's real length, except on a response to HEAD where
// it states the length a GET would have had. Responses with status 1xx, 204
// or 304 never carry a body or a Content-Length.
//
// Setting "Transfer-Encoding: chunked" makes a streaming response: the
// header block is sent, the body (if any) as its first chunk, and further
// body pieces are sent as Chunk values until the empty Chunk. Setting
// "Content-Type: text/event-stream" makes an event stream: only the header
// block is sent (the body is not), then ServerSentEvents values, until the
// connection closes.
//
// Sending only reads a Response, so one built in advance may be sent on
// many connections at once (examples/hello does); its With* methods must
// not run while it is being sent.
type Response struct {
	status  int
	reason  string
	http10  bool // WithProtocolVersion("1.0")
	headers []headerField

	body         []byte
	bodyStr      string
	bodyIsString bool

	file *fileSpec

	// declaredLength, when hasDeclaredLength, is the Content-Length of a
	// body that is sent separately (a streamed file): the encoder writes it
	// but writes no body bytes itself.
	declaredLength    int64
	hasDeclaredLength bool

	// err is the first error recorded by a builder method (such as an
	// invalid cookie); encoding the response reports it.
	err error

	// wire caches the start of the encoding of a Response sent again and
	// again (see response_encode.go); every builder method drops it.
	wire    atomic.Pointer[wireHead]
	encodes atomic.Uint32 // encodings since the last change, up to 2
}

// changed drops what the encoder cached of r: every builder method calls
// it.
func (r *Response) changed() {
	r.wire.Store(nil)
	r.encodes.Store(0)
}

// headerField is one header line, in insertion order.
type headerField struct {
	name, value string
}

// NewResponse returns a response with the given status (0 means 200),
// headers and body. headers may be nil; map entries are added in sorted name
// order so that the output is deterministic.
func NewResponse(status int, headers map[string]string, body string) *Response {
	r := &Response{status: status, bodyStr: body, bodyIsString: true}
	r.WithHeaders(headers)
	return r
}

// WithStatus sets the status code and, optionally, a custom reason phrase
// (the first of reason). Without one the registered phrase is used, or a
// generic phrase for unregistered codes. A code outside 100..999 is reported
// as ErrInvalidStatusCode when the response is encoded.
func (r *Response) WithStatus(code int, reason ...string) *Response {
	r.changed()
	r.status = code
	r.reason = ""
	if len(reason) > 0 {
		r.reason = reason[0]
	}
	return r
}

// Status returns the status code (200 for a zero Response).
func (r *Response) Status() int {
	if r.status == 0 {
		return 200
	}
	return r.status
}

// WithHeader sets header name to value. An existing header of the same name
// (compared case-insensitively) is replaced in place, keeping its position,
// and any further headers of that name are removed; otherwise the header is
// appended. Invalid names or values are reported when the response is
// encoded.
func (r *Response) WithHeader(name, value string) *Response {
	r.changed()
	found := -1
	out := r.headers[:0]
	for _, h := range r.headers {
		if strings.EqualFold(h.name, name) {
			if found >= 0 {
				continue
			}
			found = len(out)
			h = headerField{name: name, value: value}
		}
		out = append(out, h)
	}
	clear(r.headers[len(out):])
	r.headers = out
	if found < 0 {
		r.headers = append(r.headers, headerField{name: name, value: value})
	}
	return r
}

// WithHeaders sets every header of h as WithHeader does, in sorted name
// order.
func (r *Response) WithHeaders(h map[string]string) *Response {
	if len(h) == 0 {
		return r
	}
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		r.WithHeader(name, h[name])
	}
	return r
}

// WithoutHeader removes every header named name (case-insensitively).
func (r *Response) WithoutHeader(name string) *Response {
	r.changed()
	out := r.headers[:0]
	for _, h := range r.headers {
		if !strings.EqualFold(h.name, name) {
			out = append(out, h)
		}
	}
	clear(r.headers[len(out):])
	r.headers = out
	return r
}

// Header returns the value of the first header named name
// (case-insensitively), or "" when there is none (workerman's getHeader).
func (r *Response) Header(name string) string {
	for _, h := range r.headers {
		if strings.EqualFold(h.name, name) {
			return h.value
		}
	}
	return ""
}

// WithBody sets the body.
func (r *Response) WithBody(body string) *Response {
	r.changed()
	r.body, r.bodyStr, r.bodyIsString = nil, body, true
	return r
}

// WithBodyBytes sets the body to b without copying it: b must not be
// modified until the response has been sent.
func (r *Response) WithBodyBytes(b []byte) *Response {
	r.changed()
	r.body, r.bodyStr, r.bodyIsString = b, "", false
	return r
}

// Body returns the body bytes (nil for a file response). The result must
// not be modified.
func (r *Response) Body() []byte {
	if r.bodyIsString {
		return []byte(r.bodyStr)
	}
	return r.body
}

// bodyLen returns the length of the in-memory body.
func (r *Response) bodyLen() int {
	if r.bodyIsString {
		return len(r.bodyStr)
	}
	return len(r.body)
}

// appendBody appends the in-memory body to dst.
func (r *Response) appendBody(dst []byte) []byte {
	if r.bodyIsString {
		return append(dst, r.bodyStr...)
	}
	return append(dst, r.body...)
}

// CookieOptions are the attributes of a Set-Cookie header, as in
// workerman's cookie().
type CookieOptions struct {
	// MaxAge > 0 sets Max-Age in seconds; MaxAge < 0 writes Max-Age=0,
	// deleting the cookie; 0 omits it (a session cookie).
	MaxAge int
	// Path and Domain are written when not empty.
	Path, Domain string
	// Secure and HTTPOnly add the Secure and HttpOnly flags.
	Secure, HTTPOnly bool
	// SameSite is "", "Strict", "Lax" or "None" (case-insensitive).
	SameSite string
}

// Cookie adds a Set-Cookie header; several cookies make several headers. The
// value is percent-encoded as PHP's rawurlencode does (workerman does the
// same), so any value is safe. Only the first opts is used. An invalid name,
// Path, Domain or SameSite is reported as ErrInvalidCookie when the response
// is encoded.
func (r *Response) Cookie(name, value string, opts ...CookieOptions) *Response {
	r.changed()
	var o CookieOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if name == "" || !isTokenString(name) {
		r.setErr(fmt.Errorf("%w: name %q", ErrInvalidCookie, name))
		return r
	}
	if !validCookieAttr(o.Path) || !validCookieAttr(o.Domain) {
		r.setErr(fmt.Errorf("%w: path %q or domain %q", ErrInvalidCookie, o.Path, o.Domain))
		return r
	}
	sameSite := ""
	switch {
	case o.SameSite == "":
	case strings.EqualFold(o.SameSite, "Strict"):
		sameSite = "Strict"
	case strings.EqualFold(o.SameSite, "Lax"):
		sameSite = "Lax"
	case strings.EqualFold(o.SameSite, "None"):
		sameSite = "None"
	default:
		r.setErr(fmt.Errorf("%w: SameSite %q", ErrInvalidCookie, o.SameSite))
		return r
	}
	b := make([]byte, 0, len(name)+len(value)+64)
	b = append(b, name...)
	b = append(b, '=')
	b = appendRawURLEncoded(b, value)
	if o.Domain != "" {
		b = append(b, "; Domain="...)
		b = append(b, o.Domain...)
	}
	if o.MaxAge > 0 {
		b = append(b, "; Max-Age="...)
		b = strconv.AppendInt(b, int64(o.MaxAge), 10)
	} else if o.MaxAge < 0 {
		b = append(b, "; Max-Age=0"...)
	}
	if o.Path != "" {
		b = append(b, "; Path="...)
		b = append(b, o.Path...)
	}
	if o.Secure {
		b = append(b, "; Secure"...)
	}
	if o.HTTPOnly {
		b = append(b, "; HttpOnly"...)
	}
	if sameSite != "" {
		b = append(b, "; SameSite="...)
		b = append(b, sameSite...)
	}
	r.headers = append(r.headers, headerField{name: "Set-Cookie", value: string(b)})
	return r
}

// setErr records the first builder error.
func (r *Response) setErr(err error) {
	r.changed()
	if r.err == nil {
		r.err = err
	}
}

// validCookieAttr reports whether s may be a Path or Domain attribute.
func validCookieAttr(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ';' || c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// appendRawURLEncoded appends s percent-encoded like PHP's rawurlencode:
// every byte except A-Z a-z 0-9 - _ . ~ becomes %XX.
func appendRawURLEncoded(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hex[c>>4], hex[c&15])
	}
	return dst
}

// responseTokenChars marks the bytes allowed in a token (RFC 9110 tchar).
var responseTokenChars = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// isTokenString reports whether every byte of s is a tchar.
func isTokenString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !responseTokenChars[s[i]] {
			return false
		}
	}
	return true
}

// validFieldValue reports whether s may be written as a header value or a
// reason phrase: no control characters except HTAB (so no CR, LF or NUL).
func validFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// responseCloses reports whether the user asked, with a Connection header
// containing the "close" token, for the connection to close after r. The
// codec uses it to clear encodeContext.keepAlive before encoding.
func responseCloses(r *Response) bool {
	if r == nil {
		return false
	}
	for _, h := range r.headers {
		if len(h.name) == len("connection") && strings.EqualFold(h.name, "connection") &&
			hasToken(h.value, "close") {
			return true
		}
	}
	return false
}

// hasToken reports whether the comma-separated list v contains token
// (case-insensitively, ignoring surrounding spaces and tabs).
func hasToken(v, token string) bool {
	for v != "" {
		item := v
		if i := strings.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			v = ""
		}
		if strings.EqualFold(trimOWS(item), token) {
			return true
		}
	}
	return false
}

// lastTokenIsOnlyChunked reports whether the Transfer-Encoding list v ends
// with "chunked" and names it only once, the only framing this encoder can
// produce (other codings are the user's responsibility).
func lastTokenIsOnlyChunked(v string) bool {
	n, last := 0, ""
	for v != "" {
		item := v
		if i := strings.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			v = ""
		}
		item = trimOWS(item)
		if item == "" {
			continue
		}
		last = item
		if strings.EqualFold(item, "chunked") {
			n++
		}
	}
	return n == 1 && strings.EqualFold(last, "chunked")
}

// isEventStream reports whether the Content-Type value v is
// text/event-stream, with or without parameters.
func isEventStream(v string) bool {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.EqualFold(trimOWS(v), "text/event-stream")
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// trimOWS removes leading and trailing spaces and tabs (HTTP's optional
// whitespace).
func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

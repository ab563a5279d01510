package http

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CORS (cross-origin resource sharing, the Fetch standard's "CORS
// protocol") lets pages of other origins read responses: a page on
// http://127.0.0.1:3000 whose script opens new EventSource('http://127.0.0.1:8080/events')
// gets its events only when the response carries
// Access-Control-Allow-Origin for that origin. Browsers enforce it;
// servers only say what they allow.
//
// Decisions, the same for every use of the policy:
//
//   - A request without an Origin header is not a CORS request: it gets no
//     Access-Control-* header (same-origin GETs and non-browser clients
//     send none). Neither does one with an Origin the policy does not
//     allow, or with several Origin fields.
//   - "*" in AllowOrigins allows every origin. Without credentials it is
//     answered "Access-Control-Allow-Origin: *". With AllowCredentials,
//     browsers refuse "*", so the request's origin is echoed instead, with
//     "Vary: Origin"; the origin "null" (sandboxed frames, file: pages)
//     is then not allowed by "*", only when listed or by AllowOriginFunc.
//   - Whenever the answer depends on the origin (anything but "*" without
//     credentials), every response Apply sees gets "Vary: Origin", those
//     without an Origin included, so a shared cache never hands one
//     origin's answer to another.
//   - Preflight answers a disallowed origin, method or header with 403
//     and a plain-text reason, without Access-Control-* headers: the
//     browser refuses the actual request either way, and the reason shows
//     in its network panel.
//   - Last-Event-ID is always an allowed request header: a reconnecting
//     EventSource sends it, and a value that is not CORS-safelisted makes
//     the browser ask in a preflight first.
//
// A CORS is a plain value: build it once, then only read it (its methods
// are safe from any goroutine while no one modifies it). Validate reports
// entries that could never match. The zero value allows no origin.
type CORS struct {
	// AllowOrigins are the allowed origins, serialized as browsers send
	// them: scheme "://" host [":" port], with no path and no trailing
	// slash ("http://127.0.0.1:8080", "https://example.com"), compared
	// ASCII case-insensitively. "*" allows any origin (see above).
	AllowOrigins []string
	// AllowOriginFunc, when set, is asked about origins AllowOrigins does
	// not list. It may run on any goroutine, often an event loop: keep it
	// fast and non-blocking. origin may be a view of the request's memory:
	// strings.Clone it to keep it beyond the call.
	AllowOriginFunc func(origin string) bool
	// AllowCredentials sends "Access-Control-Allow-Credentials: true", so
	// pages may send cookies (EventSource's withCredentials, fetch's
	// credentials: 'include') and read the answer.
	AllowCredentials bool
	// AllowMethods are answered to preflights (default GET, HEAD, POST,
	// which browsers never preflight). A preflight asking for another
	// method is refused.
	AllowMethods []string
	// AllowHeaders are the request headers a preflight may ask for,
	// case-insensitively (default Content-Type); Last-Event-ID is always
	// added. "*" allows any: the asked-for headers are echoed back, which
	// browsers accept with credentials too.
	AllowHeaders []string
	// ExposeHeaders are response headers, beyond the CORS-safelisted ones,
	// that scripts may read (Access-Control-Expose-Headers).
	ExposeHeaders []string
	// MaxAge is how long browsers may cache a preflight's answer, sent in
	// whole seconds: DefaultCORSMaxAge when 0; negative sends 0 (no
	// caching). Chromium caps it at 2 hours, Firefox at 24.
	MaxAge time.Duration
}

// DefaultCORSMaxAge is the preflight cache time sent when CORS.MaxAge is 0.
const DefaultCORSMaxAge = 10 * time.Minute

// ErrInvalidCORS is reported by CORS.Validate, wrapped with the entry at
// fault.
var ErrInvalidCORS = errors.New("http: invalid CORS policy")

// The preflight refusals: shared, immutable (only ever sent).
var (
	corsOriginRefused = corsRefusal("CORS: origin not allowed\n")
	corsMethodRefused = corsRefusal("CORS: method not allowed\n")
	corsHeaderRefused = corsRefusal("CORS: request header not allowed\n")
)

func corsRefusal(body string) *Response {
	return NewResponse(403, map[string]string{"Content-Type": "text/plain; charset=utf-8"}, body)
}

// Validate reports the first entry of p that can never work, as
// ErrInvalidCORS wrapped with it: an origin that is not "*", "null" nor
// scheme://host[:port] (a path or a trailing slash included), a method or
// header name that is not an HTTP token, or "*" among the methods or
// exposed headers (answered literally, so it would not mean "any").
func (p *CORS) Validate() error {
	for _, o := range p.AllowOrigins {
		if o != "*" && o != "null" && !validOrigin(o) {
			return fmt.Errorf("%w: origin %q is not scheme://host[:port] (no path, no trailing slash)", ErrInvalidCORS, o)
		}
	}
	for _, m := range p.AllowMethods {
		if m == "*" || m == "" || !isTokenString(m) {
			return fmt.Errorf("%w: method %q", ErrInvalidCORS, m)
		}
	}
	for _, h := range p.AllowHeaders {
		if h != "*" && (h == "" || !isTokenString(h)) {
			return fmt.Errorf("%w: allowed header %q", ErrInvalidCORS, h)
		}
	}
	for _, h := range p.ExposeHeaders {
		if h == "" || !isTokenString(h) || h == "*" {
			return fmt.Errorf("%w: exposed header %q", ErrInvalidCORS, h)
		}
	}
	return nil
}

// validOrigin reports whether o is a serialized tuple origin:
// scheme://host[:port], nothing after.
func validOrigin(o string) bool {
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || scheme == "" || rest == "" || !isTokenString(scheme) {
		return false
	}
	host, port, hasPort := strings.Cut(rest, ":")
	if strings.HasPrefix(rest, "[") { // IPv6 literal
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return false
		}
		host, port = rest[:end+1], rest[end+1:]
		hasPort = port != ""
		if hasPort {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
		}
	}
	if host == "" || strings.ContainsAny(host, "/?#@ \t,") || !validFieldValue(host) {
		return false
	}
	return !hasPort || isDigits(port) && len(port) <= 5
}

// AllowOrigin reports whether the policy allows origin (an Origin header's
// value). "" is never allowed. It is the matcher for a WebSocket
// handshake: websocket.Options{CheckOrigin: policy.AllowOrigin}.
func (p *CORS) AllowOrigin(origin string) bool {
	if p == nil || origin == "" || strings.ContainsAny(origin, ", \t") || !validFieldValue(origin) {
		return false
	}
	for _, o := range p.AllowOrigins {
		if o == "*" {
			if !p.AllowCredentials || origin != "null" {
				return true
			}
			continue
		}
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return p.AllowOriginFunc != nil && p.AllowOriginFunc(origin)
}

// AllowOriginHeader returns the Access-Control-Allow-Origin value Apply
// gives req's response: "" when req has no Origin, several, or one the
// policy does not allow; "*" for any origin without credentials; else
// req's origin, a view of req's memory (valid as long as req's strings
// are; Apply and Preflight keep a copy). The headers Apply adds depend on
// nothing else, so responses can be built once per value and reused (the
// SSE hub does).
func (p *CORS) AllowOriginHeader(req *Request) string {
	if p == nil || req == nil {
		return ""
	}
	origin, ok := requestOrigin(req)
	if !ok || !p.AllowOrigin(origin) {
		return ""
	}
	if !p.AllowCredentials && p.anyOrigin() {
		return "*"
	}
	return origin
}

// allowOriginValue is AllowOriginHeader as a response keeps it: a copy,
// as the origin is a view of the request's memory, which the next request
// on the connection reuses while the response may be kept.
func (p *CORS) allowOriginValue(req *Request) string {
	v := p.AllowOriginHeader(req)
	if v == "*" {
		return v
	}
	return strings.Clone(v)
}

// requestOrigin returns req's Origin header; ok is false when there is
// none or more than one.
func requestOrigin(req *Request) (origin string, ok bool) {
	i, more := req.lookup(req.fields, "origin")
	if i < 0 || more {
		return "", false
	}
	return req.str(req.fields[i].valueStart, req.fields[i].valueEnd), true
}

// anyOrigin reports whether AllowOrigins holds "*".
func (p *CORS) anyOrigin() bool {
	for _, o := range p.AllowOrigins {
		if o == "*" {
			return true
		}
	}
	return false
}

// varies reports whether the answer depends on the request's origin, so
// that responses need "Vary: Origin".
func (p *CORS) varies() bool {
	return p.AllowCredentials || !p.anyOrigin()
}

// Apply adds to resp, in place, the CORS headers of an actual
// (non-preflight) response to req, and returns resp: for an allowed
// origin Access-Control-Allow-Origin, Access-Control-Allow-Credentials
// and Access-Control-Expose-Headers as configured; and "Vary: Origin"
// (merged into an existing Vary) whenever the answer depends on the
// origin. Without an allowed origin no Access-Control-* header is added.
// A nil policy or resp changes nothing.
func (p *CORS) Apply(req *Request, resp *Response) *Response {
	if p == nil || resp == nil {
		return resp
	}
	if p.varies() {
		addVary(resp, "Origin")
	}
	allow := p.allowOriginValue(req)
	if allow == "" {
		return resp
	}
	resp.WithHeader("Access-Control-Allow-Origin", allow)
	if p.AllowCredentials {
		resp.WithHeader("Access-Control-Allow-Credentials", "true")
	}
	if len(p.ExposeHeaders) > 0 {
		resp.WithHeader("Access-Control-Expose-Headers", strings.Join(p.ExposeHeaders, ", "))
	}
	return resp
}

// addVary adds name to resp's Vary header unless it is listed already.
func addVary(resp *Response, name string) {
	v := resp.Header("Vary")
	switch {
	case v == "":
		resp.WithHeader("Vary", name)
	case v == "*" || hasToken(v, name):
	default:
		resp.WithHeader("Vary", v+", "+name)
	}
}

// Preflight answers req when it is a CORS preflight: an OPTIONS request
// with an Origin and an Access-Control-Request-Method header. ok is false
// for any other request, which the caller answers itself (and passes to
// Apply).
//
// An allowed preflight gets 204 with Access-Control-Allow-Origin,
// Access-Control-Allow-Methods, Access-Control-Allow-Headers (AllowHeaders
// and Last-Event-ID, or the asked-for headers with "*"),
// Access-Control-Max-Age, Access-Control-Allow-Credentials when set, and
// "Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers".
// A disallowed origin (several Origin fields included), method or asked-for
// header gets 403 with a plain-text reason and no Access-Control-* header.
// The response is new for each call except the 403s, which are shared:
// send them, do not modify them.
func (p *CORS) Preflight(req *Request) (resp *Response, ok bool) {
	if req == nil || req.Method() != "OPTIONS" {
		return nil, false
	}
	if !hasField(req, "origin") || !hasField(req, "access-control-request-method") {
		return nil, false
	}
	wantMethod, hasMethod := singleHeader(req, "access-control-request-method")
	allow := p.allowOriginValue(req)
	if allow == "" {
		return corsOriginRefused, true
	}
	if !hasMethod || !p.allowMethod(wantMethod) {
		return corsMethodRefused, true
	}
	asked := req.Header("Access-Control-Request-Headers")
	allowHeaders, ok := p.allowHeaders(asked)
	if !ok {
		return corsHeaderRefused, true
	}
	resp = NewResponse(204, nil, "")
	resp.WithHeader("Access-Control-Allow-Origin", allow)
	if p.AllowCredentials {
		resp.WithHeader("Access-Control-Allow-Credentials", "true")
	}
	resp.WithHeader("Access-Control-Allow-Methods", p.methods())
	resp.WithHeader("Access-Control-Allow-Headers", allowHeaders)
	resp.WithHeader("Access-Control-Max-Age", strconv.FormatInt(p.maxAgeSeconds(), 10))
	resp.WithHeader("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	return resp, true
}

// hasField reports whether req has a header field named name (lower case),
// empty or not.
func hasField(req *Request, name string) bool {
	i, _ := req.lookup(req.fields, name)
	return i >= 0
}

// singleHeader returns the value of header name when req has exactly one.
func singleHeader(req *Request, name string) (string, bool) {
	i, more := req.lookup(req.fields, name)
	if i < 0 || more {
		return "", false
	}
	return req.str(req.fields[i].valueStart, req.fields[i].valueEnd), true
}

// defaultCORSMethods are the methods allowed when AllowMethods is empty:
// the CORS-safelisted ones.
var defaultCORSMethods = []string{"GET", "HEAD", "POST"}

func (p *CORS) methods() string {
	if len(p.AllowMethods) == 0 {
		return strings.Join(defaultCORSMethods, ", ")
	}
	return strings.Join(p.AllowMethods, ", ")
}

// allowMethod reports whether a preflight may ask for method m. Methods
// are case-sensitive; the safelisted GET, HEAD and POST always pass, as
// browsers never check them.
func (p *CORS) allowMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST":
		return true
	case "":
		return false
	}
	for _, a := range p.AllowMethods {
		if a == m {
			return true
		}
	}
	return false
}

// allowHeaders checks the preflight's Access-Control-Request-Headers list
// and returns the Access-Control-Allow-Headers value to answer.
func (p *CORS) allowHeaders(asked string) (string, bool) {
	configured := p.AllowHeaders
	if len(configured) == 0 {
		configured = []string{"Content-Type"}
	}
	wildcard := false
	for _, h := range configured {
		if h == "*" {
			wildcard = true
		}
	}
	for item := range strings.SplitSeq(asked, ",") {
		name := trimOWS(item)
		if name == "" {
			continue
		}
		if !isTokenString(name) {
			return "", false
		}
		if wildcard || strings.EqualFold(name, "Last-Event-ID") {
			continue
		}
		found := false
		for _, h := range configured {
			if strings.EqualFold(h, name) {
				found = true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	var b strings.Builder
	if wildcard {
		for item := range strings.SplitSeq(asked, ",") {
			if name := trimOWS(item); name != "" {
				b.WriteString(name)
				b.WriteString(", ")
			}
		}
		b.WriteString("Last-Event-ID")
		return b.String(), true
	}
	for _, h := range configured {
		if strings.EqualFold(h, "Last-Event-ID") {
			continue
		}
		b.WriteString(h)
		b.WriteString(", ")
	}
	b.WriteString("Last-Event-ID")
	return b.String(), true
}

func (p *CORS) maxAgeSeconds() int64 {
	switch {
	case p.MaxAge == 0:
		return int64(DefaultCORSMaxAge / time.Second)
	case p.MaxAge < 0:
		return 0
	}
	return int64(p.MaxAge / time.Second)
}

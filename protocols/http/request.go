package http

import (
	"bytes"
	"iter"
	"unsafe"
)

// Request is one decoded HTTP/1.x request, with workerman's accessors.
//
// A Request owns a copy of the request's bytes and every string it returns
// (method, target, header values, query and form values without escapes)
// is a view of that copy, so lookups do not allocate. A Request and the
// strings it returned are valid until the next request is decoded into it
// (or it is reset): keep a value beyond that with strings.Clone, or the
// whole request with Clone. A Request is not safe for concurrent use.
//
// On a server connection the next request is decoded only once the
// response to this one is complete, so a Request stays valid while it is
// being answered, from OnMessage or later from another goroutine, until its
// response has been sent. A request answered with a stream (chunked or
// text/event-stream) is never reused.
//
// The zero value is an empty request ready for Parser.Decode.
type Request struct {
	buf []byte // the package: leading empty lines, head, body, trailers

	method      string
	headStart   int32
	headEnd     int32
	targetStart int32
	targetEnd   int32
	hostIndex   int32
	bodyStart   int32
	bodyEnd     int32

	// Lazily split target.
	pathStart  int32
	pathEnd    int32
	queryStart int32 // -1: no query
	queryEnd   int32

	version     uint8
	keepAlive   bool
	chunked     bool
	targetSplit bool

	// reserved is what the body holds of the Protocol's MaxBodyMemory.
	reserved int64

	fields []reqField

	conn any

	// ext holds what most requests never use; nil until first needed.
	ext *requestExt
}

// requestExt is the state of a Request that most requests never touch:
// trailers, the parsed query and body, uploaded files and the application
// context. Keeping it out of Request keeps Request small: one is allocated
// per connection, kept as a spare by every idle keep-alive connection and
// dropped after the handler of every SSE stream. A Request allocates its
// requestExt on first use and keeps it, with its slices' capacity, for the
// requests decoded into it later.
type requestExt struct {
	trailers []reqField
	query    []FormValue
	form     []FormValue
	files    []*UploadedFile
	formErr  error
	ctx      any
	body     *spoolFile // the body's temporary file, when spooled
	tempDir  string     // where uploads' temporary files go; kept by reset
	session  requestSession

	bodyLoaded  bool // a spooled body was read into buf for RawBody
	queryParsed bool
	formParsed  bool

	// The PHP-style trees of request_params.go, built on first use.
	queryParams, postParams, fileParams          *Param
	queryParamsErr, postParamsErr, fileParamsErr error
}

// extension returns r's requestExt, allocating it on first use.
func (r *Request) extension() *requestExt {
	if r.ext == nil {
		r.ext = new(requestExt)
	}
	return r.ext
}

// reset forgets the request's state but keeps the slices' capacity.
func (e *requestExt) reset() {
	e.trailers = e.trailers[:0]
	e.queryParsed = false
	clear(e.query)
	e.query = e.query[:0]
	e.formParsed = false
	clear(e.form)
	e.form = e.form[:0]
	e.removeTempFiles()
	clear(e.files)
	e.files = e.files[:0]
	e.formErr = nil
	e.clearParams()
	e.queryParams, e.queryParamsErr = nil, nil
	e.ctx = nil
	e.body.close() // endBody closed it already; this is for safety
	e.body, e.bodyLoaded = nil, false
	e.session.reset()
}

// trailerFields returns the trailer fields, nil when there are none.
func (r *Request) trailerFields() []reqField {
	if r.ext == nil {
		return nil
	}
	return r.ext.trailers
}

// FormValue is one name/value pair of a query string or form body.
type FormValue struct {
	Name, Value string
}

// load fills r from the package p has just measured.
func (r *Request) load(p *Parser, pkg []byte) {
	r.reset()
	r.buf = append(r.buf[:0], pkg...)
	r.headStart, r.headEnd = p.headStart, p.headEnd
	r.targetStart, r.targetEnd = p.targetStart, p.targetEnd
	r.method = internMethod(r.buf[p.headStart:p.methodEnd])
	r.version = p.version
	r.chunked = p.chunked
	r.hostIndex = p.hostIndex
	if p.version == 11 {
		r.keepAlive = !p.connClose
	} else {
		r.keepAlive = p.connKeepAlive && !p.connClose
	}
	r.fields = append(r.fields[:0], p.fields...)
	if len(pkg) == int(p.headEnd) {
		r.bodyStart, r.bodyEnd = p.headEnd, p.headEnd // the head alone
		return
	}
	if len(p.trailers) > 0 {
		e := r.extension()
		e.trailers = append(e.trailers[:0], p.trailers...)
	}
	switch {
	case p.chunked:
		// Move the chunks' data together over their framing, in place.
		if len(p.chunks) > 0 {
			w := p.chunks[0].start
			r.bodyStart = w
			for _, c := range p.chunks {
				w += int32(copy(r.buf[w:], r.buf[c.start:c.end]))
			}
			r.bodyEnd = w
		} else {
			r.bodyStart, r.bodyEnd = p.headEnd, p.headEnd
		}
	default:
		r.bodyStart, r.bodyEnd = p.headEnd, int32(p.total)
	}
}

// reset forgets the request but keeps its buffers.
func (r *Request) reset() {
	r.buf = r.buf[:0]
	r.method = ""
	r.headStart, r.headEnd, r.targetStart, r.targetEnd = 0, 0, 0, 0
	r.version, r.keepAlive, r.chunked = 0, false, false
	r.hostIndex = -1
	r.bodyStart, r.bodyEnd = 0, 0
	r.fields = r.fields[:0]
	r.targetSplit = false
	if r.ext != nil {
		r.ext.reset()
	}
}

// Clone returns a copy of r that owns its bytes, for keeping a request
// beyond its response (the connection reuses r for its next request). A
// spooled body is read into memory for it.
// The query and body already parsed are copied too, not parsed again.
func (r *Request) Clone() *Request {
	if r.spooled() != nil {
		r.RawBody() // the clone owns its bytes: a spooled body is copied in
	}
	c := &Request{
		buf:         append([]byte(nil), r.buf...),
		headStart:   r.headStart,
		headEnd:     r.headEnd,
		targetStart: r.targetStart,
		targetEnd:   r.targetEnd,
		hostIndex:   r.hostIndex,
		bodyStart:   r.bodyStart,
		bodyEnd:     r.bodyEnd,
		pathStart:   r.pathStart,
		pathEnd:     r.pathEnd,
		queryStart:  r.queryStart,
		queryEnd:    r.queryEnd,
		version:     r.version,
		keepAlive:   r.keepAlive,
		chunked:     r.chunked,
		targetSplit: r.targetSplit,
		fields:      append([]reqField(nil), r.fields...),
		conn:        r.conn,
	}
	c.method = rebase(c, r, r.method)
	if e := r.ext; e != nil {
		c.ext = &requestExt{
			trailers:    append([]reqField(nil), e.trailers...),
			query:       rebaseValues(c, r, e.query),
			form:        rebaseValues(c, r, e.form),
			formErr:     e.formErr,
			ctx:         e.ctx,
			queryParsed: e.queryParsed,
			formParsed:  e.formParsed,
		}
		if len(e.files) > 0 {
			c.ext.files = make([]*UploadedFile, len(e.files))
			for i, f := range e.files {
				cf := *f
				cf.Data = append([]byte(nil), f.Data...)
				c.ext.files[i] = &cf
			}
		}
	}
	return c
}

// rebase returns s, a string r returned, as the same view of c's bytes
// when it is a view of r's (c being a copy of r), or s itself otherwise.
func rebase(c, r *Request, s string) string {
	if len(s) == 0 || len(r.buf) == 0 {
		return s
	}
	off := uintptr(unsafe.Pointer(unsafe.StringData(s))) - uintptr(unsafe.Pointer(&r.buf[0]))
	if off >= uintptr(len(r.buf)) || uintptr(len(s)) > uintptr(len(r.buf))-off {
		return s // not in r.buf: a string of its own, which nothing reuses
	}
	return reqView(c.buf[off : off+uintptr(len(s))])
}

// rebaseValues copies vs, rebasing its views of r's bytes onto c's.
func rebaseValues(c, r *Request, vs []FormValue) []FormValue {
	if len(vs) == 0 {
		return nil
	}
	out := make([]FormValue, len(vs))
	for i, v := range vs {
		out[i] = FormValue{rebase(c, r, v.Name), rebase(c, r, v.Value)}
	}
	return out
}

// Reset empties the request, keeping its buffers for reuse. Strings it
// returned before become invalid. The connection set by the codec is kept.
func (r *Request) Reset() { r.reset() }

// internMethod returns the method as a constant string for the common
// methods, or as a view of b.
func internMethod(b []byte) string {
	switch string(b) {
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "HEAD":
		return "HEAD"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "OPTIONS":
		return "OPTIONS"
	case "PATCH":
		return "PATCH"
	}
	return reqView(b)
}

// reqView returns a string sharing b's memory. b must not change while the
// string is in use.
func reqView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// str returns the bytes [s, e) of the request as a string view.
func (r *Request) str(s, e int32) string {
	return reqView(r.buf[s:e])
}

// Method returns the request method, such as "GET" (case-sensitive, as
// sent).
func (r *Request) Method() string { return r.method }

// URI returns the request target exactly as sent, such as
// "/search?q=go" (workerman's uri()).
func (r *Request) URI() string { return r.str(r.targetStart, r.targetEnd) }

// splitTarget locates the path and query of the target once.
func (r *Request) splitTarget() {
	if r.targetSplit {
		return
	}
	r.targetSplit = true
	t := r.buf[r.targetStart:r.targetEnd]
	base := r.targetStart
	ps := 0
	if len(t) > 0 && t[0] != '/' && t[0] != '*' {
		// absolute-form: skip "scheme://authority"; authority-form has no path.
		ps = len(t)
		if i := bytes.Index(t, []byte("://")); i >= 0 {
			ps = i + 3
			for ps < len(t) && t[ps] != '/' && t[ps] != '?' && t[ps] != '#' {
				ps++
			}
		} else if i := bytes.IndexByte(t, ':'); i >= 0 && r.method != "CONNECT" {
			ps = i + 1 // "urn:x" style: the rest is the path
		}
	}
	pe := ps
	for pe < len(t) && t[pe] != '?' && t[pe] != '#' {
		pe++
	}
	r.pathStart, r.pathEnd = base+int32(ps), base+int32(pe)
	r.queryStart, r.queryEnd = -1, -1
	if pe < len(t) && t[pe] == '?' {
		qe := bytes.IndexByte(t[pe+1:], '#')
		if qe < 0 {
			qe = len(t)
		} else {
			qe += pe + 1
		}
		r.queryStart, r.queryEnd = base+int32(pe+1), base+int32(qe)
	}
}

// Path returns the path of the target, without query or fragment and not
// percent-decoded: "/a/b" for "/a/b?x=1". For an absolute-form target it
// is the path after the authority ("/" when empty); for "*" it is "*".
func (r *Request) Path() string {
	r.splitTarget()
	if r.pathStart == r.pathEnd && r.targetStart != r.targetEnd && r.buf[r.targetStart] != '/' && r.method != "CONNECT" {
		return "/"
	}
	return r.str(r.pathStart, r.pathEnd)
}

// QueryString returns the query of the target without the '?' and not
// decoded, or "" when there is none.
func (r *Request) QueryString() string {
	r.splitTarget()
	if r.queryStart < 0 {
		return ""
	}
	return r.str(r.queryStart, r.queryEnd)
}

// ProtocolVersion returns "1.1" or "1.0".
func (r *Request) ProtocolVersion() string {
	if r.version == 10 {
		return "1.0"
	}
	return "1.1"
}

// Host returns the host the request is for: the authority of an
// absolute-form target (which takes precedence, RFC 9112 section 3.2.2),
// otherwise the Host field ("" when absent, as HTTP/1.0 allows). With
// withoutPort the ":port" suffix is removed ("[::1]:80" gives "[::1]").
func (r *Request) Host(withoutPort bool) string {
	var h string
	t := r.buf[r.targetStart:r.targetEnd]
	if i := bytes.Index(t, []byte("://")); i > 0 && t[0] != '/' {
		a := t[i+3:]
		e := 0
		for e < len(a) && a[e] != '/' && a[e] != '?' && a[e] != '#' {
			e++
		}
		a = a[:e]
		if at := bytes.LastIndexByte(a, '@'); at >= 0 {
			a = a[at+1:]
		}
		h = reqView(a)
	} else if r.method == "CONNECT" {
		h = reqView(t)
	} else if r.hostIndex >= 0 {
		f := r.fields[r.hostIndex]
		h = r.str(f.valueStart, f.valueEnd)
	}
	if withoutPort {
		h = stripPort(h)
	}
	return h
}

// stripPort removes a trailing ":digits" (after any "]").
func stripPort(h string) string {
	for i := len(h) - 1; i >= 0; i-- {
		c := h[i]
		if c == ':' {
			return h[:i]
		}
		if c < '0' || c > '9' {
			break
		}
	}
	return h
}

// lookup returns the value of the first field named name (ASCII
// case-insensitive) and whether more fields of that name follow.
func (r *Request) lookup(fields []reqField, name string) (first int, more bool) {
	first = -1
	for i := range fields {
		f := &fields[i]
		if int(f.nameEnd-f.nameStart) == len(name) && reqEqualFold(r.buf[f.nameStart:f.nameEnd], name) {
			if first >= 0 {
				return first, true
			}
			first = i
		}
	}
	return first, false
}

// fieldValue is Header and Trailer: one value, or all values joined.
func (r *Request) fieldValue(fields []reqField, name string) string {
	i, more := r.lookup(fields, name)
	if i < 0 {
		return ""
	}
	if !more {
		return r.str(fields[i].valueStart, fields[i].valueEnd)
	}
	var b []byte
	for _, f := range fields[i:] {
		if f.valueEnd > f.valueStart && int(f.nameEnd-f.nameStart) == len(name) && reqEqualFold(r.buf[f.nameStart:f.nameEnd], name) {
			if len(b) > 0 {
				b = append(b, ", "...)
			}
			b = append(b, r.buf[f.valueStart:f.valueEnd]...)
		}
	}
	return string(b)
}

// Header returns the value of the header field name (case-insensitive),
// "" when absent. Repeated fields are joined with ", ", skipping empty
// ones (which allocates; use HeaderValues or Headers to avoid it). Values are trimmed of
// surrounding spaces and tabs.
func (r *Request) Header(name string) string { return r.fieldValue(r.fields, name) }

// HeaderValues returns the values of every header field named name
// (case-insensitive), in order, or nil.
func (r *Request) HeaderValues(name string) []string {
	return r.fieldValues(r.fields, name)
}

func (r *Request) fieldValues(fields []reqField, name string) []string {
	var vs []string
	for _, f := range fields {
		if int(f.nameEnd-f.nameStart) == len(name) && reqEqualFold(r.buf[f.nameStart:f.nameEnd], name) {
			vs = append(vs, r.str(f.valueStart, f.valueEnd))
		}
	}
	return vs
}

// HeaderCount returns the number of header field lines.
func (r *Request) HeaderCount() int { return len(r.fields) }

// HeaderAt returns the i-th header field line (0 <= i < HeaderCount()),
// with the name's case as sent.
func (r *Request) HeaderAt(i int) (name, value string) {
	f := r.fields[i]
	return r.str(f.nameStart, f.nameEnd), r.str(f.valueStart, f.valueEnd)
}

// Headers iterates over the header field lines in order, with the names'
// case as sent: for name, value := range req.Headers() { ... }.
func (r *Request) Headers() iter.Seq2[string, string] {
	return r.iterate(r.fields)
}

func (r *Request) iterate(fields []reqField) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, f := range fields {
			if !yield(r.str(f.nameStart, f.nameEnd), r.str(f.valueStart, f.valueEnd)) {
				return
			}
		}
	}
}

// Trailer returns the value of the trailer field name sent after a chunked
// body (case-insensitive; repeated fields joined with ", "), "" when
// absent.
func (r *Request) Trailer(name string) string { return r.fieldValue(r.trailerFields(), name) }

// TrailerCount returns the number of trailer field lines.
func (r *Request) TrailerCount() int { return len(r.trailerFields()) }

// TrailerAt returns the i-th trailer field line (0 <= i < TrailerCount()).
func (r *Request) TrailerAt(i int) (name, value string) {
	f := r.trailerFields()[i]
	return r.str(f.nameStart, f.nameEnd), r.str(f.valueStart, f.valueEnd)
}

// Trailers iterates over the trailer field lines in order.
func (r *Request) Trailers() iter.Seq2[string, string] {
	return r.iterate(r.trailerFields())
}

// Cookie returns the value of the cookie name from the Cookie header
// field(s), with surrounding double quotes removed, or "" when absent.
func (r *Request) Cookie(name string) string {
	for k, v := range r.Cookies() {
		if k == name {
			return v
		}
	}
	return ""
}

// RawHead returns the request line and header section as sent, through
// the empty line that ends them. Do not modify it.
func (r *Request) RawHead() []byte { return r.buf[r.headStart:r.headEnd:r.headEnd] }

// RawBody returns the body: for a chunked request the decoded data of all
// chunks. Do not modify it. A spooled body (BodySpooled) is read from its
// file into memory on the first call; prefer Body to stream it.
func (r *Request) RawBody() []byte {
	if r.ext != nil && r.ext.body != nil {
		r.loadSpooledBody()
	}
	return r.buf[r.bodyStart:r.bodyEnd:r.bodyEnd]
}

// ContentLength returns the length of the (decoded) body.
func (r *Request) ContentLength() int64 {
	if s := r.spooled(); s != nil {
		return s.size
	}
	return int64(r.bodyEnd - r.bodyStart)
}

// Chunked reports whether the body was sent with chunked transfer coding.
func (r *Request) Chunked() bool { return r.chunked }

// KeepAlive reports whether the connection may stay open after the
// response: for HTTP/1.1 unless the Connection field lists "close", for
// HTTP/1.0 only when it lists "keep-alive" (and not "close").
func (r *Request) KeepAlive() bool { return r.keepAlive }

// Context returns the value set by SetContext, or nil.
func (r *Request) Context() any {
	if r.ext == nil {
		return nil
	}
	return r.ext.ctx
}

// SetContext attaches an application value to the request (cleared when
// the next request is decoded into it).
func (r *Request) SetContext(v any) {
	if v == nil && r.ext == nil {
		return
	}
	r.extension().ctx = v
}

// setConn records the connection the request arrived on.
func (r *Request) setConn(c any) { r.conn = c }

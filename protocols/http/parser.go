package http

import (
	"bytes"
	"errors"
	"math"
)

// Limits bounds what a Parser accepts. A zero field takes its default.
type Limits struct {
	// MaxHeaderBytes bounds the head: any empty lines before the request,
	// the request line and the header section with its final CRLF (and,
	// separately, a chunked body's trailer section). Over it the request is
	// refused with 431, or with 414 when the request target alone is over
	// MaxTargetLength. Default 16 KiB.
	MaxHeaderBytes int
	// MaxTargetLength bounds the request target; over it: 414. Default 8 KiB.
	MaxTargetLength int
	// MaxBodyBytes bounds the decoded body, announced by Content-Length or
	// accumulated over chunks; over it: 413. Default 10 MiB, at most 1 GiB.
	MaxBodyBytes int64
	// MaxHeaderCount bounds the number of header fields (and of trailer
	// fields); over it: 431. Default 100.
	MaxHeaderCount int
}

// Default limits.
const (
	DefaultMaxHeaderBytes  = 16 << 10
	DefaultMaxTargetLength = 8 << 10
	DefaultMaxBodyBytes    = 10 << 20
	DefaultMaxHeaderCount  = 100

	// parserMaxBodyBytesCap keeps every offset into a package within int32.
	parserMaxBodyBytesCap = 1 << 30
	// parserMaxPackageLen is the largest package the parser will measure.
	parserMaxPackageLen = math.MaxInt32
	// parserMaxChunkOverhead is how many bytes of chunk framing (size lines,
	// extensions, CRLFs) a chunked body may carry beyond its data bytes.
	parserMaxChunkOverhead = 64 << 10
)

func (l Limits) withDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxHeaderBytes > parserMaxBodyBytesCap {
		l.MaxHeaderBytes = parserMaxBodyBytesCap
	}
	if l.MaxTargetLength <= 0 {
		l.MaxTargetLength = DefaultMaxTargetLength
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxBodyBytes > parserMaxBodyBytesCap {
		l.MaxBodyBytes = parserMaxBodyBytesCap
	}
	if l.MaxHeaderCount <= 0 {
		l.MaxHeaderCount = DefaultMaxHeaderCount
	}
	return l
}

// parseState is where the parser is within the current request.
type parseState uint8

const (
	// inLeadingLines skips empty lines (CRLF) before a request line.
	inLeadingLines parseState = iota
	// inRequestLine waits for the request line's LF.
	inRequestLine
	// inFieldLines reads header field lines up to the empty line.
	inFieldLines
	// inLengthBody waits for a Content-Length body.
	inLengthBody
	// inChunkSize reads a chunk-size line (size and extensions).
	inChunkSize
	// inChunkData waits for a chunk's data and the CRLF after it.
	inChunkData
	// inTrailerLines reads trailer field lines up to the empty line.
	inTrailerLines
	// reqComplete: the request is measured; Decode or Reset re-arms.
	reqComplete
	// reqFailed: the input can never be a valid request.
	reqFailed
)

// reqField locates one field line in a package: name and trimmed value.
type reqField struct {
	nameStart, nameEnd, valueStart, valueEnd int32
}

// reqSpan is a half-open byte range of a package.
type reqSpan struct {
	start, end int32
}

// Parser measures and decodes HTTP/1.1 requests incrementally, for one
// connection. It follows the protocols.Codec contract: Input is called with
// all unconsumed bytes, the buffer keeps its start and grows at its end
// until a request is complete, and the parser remembers how far it has
// scanned, so a request arriving in any number of pieces costs O(n).
//
// Input records the offsets of everything Decode needs (request line, field
// lines, body or chunk data, trailers), so Decode never scans again.
//
// The zero value is not usable: create parsers with NewParser.
type Parser struct {
	lim   Limits
	state parseState
	err   *Error

	scan      int // next byte to examine
	lineStart int // start of the line being read
	headLimit int // offset the head (or trailer section) must end before

	// Request line.
	headStart   int32
	methodEnd   int32
	targetStart int32
	targetEnd   int32
	version     uint8 // 10 or 11

	headEnd int32 // offset after the empty line ending the head
	total   int   // package length once complete

	fields   []reqField
	trailers []reqField
	chunks   []reqSpan

	// Framing and semantics gathered from the header fields.
	hostIndex      int32 // index in fields, -1 when absent
	hasCL          bool
	hasTE          bool
	teChunked      bool // "chunked" was seen in Transfer-Encoding
	teAfterChunked bool // a coding (or chunked again) follows chunked
	teOther        bool // a coding other than chunked was seen
	connClose      bool
	connKeepAlive  bool
	expect100      bool
	chunked        bool
	contentLength  int64

	// Chunked body progress.
	bodySize   int64 // data bytes so far
	chunkStart int
	chunkEnd   int
	overhead   int64 // framing bytes so far

	// scanned counts the bytes the parser examined, to test the O(n) bound.
	scanned int64

	// bodyStart is when the body began to arrive (Unix nanoseconds; 0
	// before), for the codec's body deadline.
	bodyStart int64
	// consumed counts the bytes the codec took off the front of the
	// buffer while spooling the body (see parser_spool.go).
	consumed int64
	// reserved is the body memory this request holds of its Protocol's
	// MaxBodyMemory budget (see body_spool.go).
	reserved int64
	// spool is the file the body is written to, when it is spooled, and
	// pending the request whose head was decoded with the first piece.
	spool   *spoolFile
	pending *Request
}

// NewParser returns a parser enforcing l (zero fields take defaults).
func NewParser(l Limits) *Parser {
	p := &Parser{lim: l.withDefaults()}
	p.Reset()
	return p
}

// Reset forgets the current request, complete or not, and any error: the
// next Input starts a new request at the start of its buffer.
func (p *Parser) Reset() {
	p.state = inLeadingLines
	p.err = nil
	p.scan, p.lineStart, p.headLimit = 0, 0, p.lim.MaxHeaderBytes
	p.headStart, p.methodEnd, p.targetStart, p.targetEnd = 0, 0, 0, 0
	p.version = 0
	p.headEnd, p.total = 0, 0
	p.fields = p.fields[:0]
	p.trailers = p.trailers[:0]
	p.chunks = p.chunks[:0]
	p.hostIndex = -1
	p.hasCL, p.hasTE, p.teChunked, p.teAfterChunked, p.teOther = false, false, false, false, false
	p.connClose, p.connKeepAlive, p.expect100, p.chunked = false, false, false, false
	p.contentLength = 0
	p.bodySize, p.chunkStart, p.chunkEnd, p.overhead = 0, 0, 0, 0
	p.bodyStart, p.consumed, p.reserved = 0, 0, 0
	p.spool.close() // the codec hands it on or closes it first; this is for safety
	p.spool, p.pending = nil, nil
}

// Started reports that part of a request has arrived (beyond empty lines
// before it) and the request is not complete yet: the moment to run a
// header-read or body-read timeout.
func (p *Parser) Started() bool {
	return p.state != inLeadingLines && p.state != reqComplete
}

// HeaderComplete reports that the current request's head has been parsed
// and accepted while its body is still incomplete.
func (p *Parser) HeaderComplete() bool {
	switch p.state {
	case inLengthBody, inChunkSize, inChunkData, inTrailerLines:
		return true
	}
	return false
}

// ExpectContinue reports that the client waits for "100 Continue": the head
// is complete and accepted, it carries "Expect: 100-continue" (HTTP/1.1
// only), and a non-empty body has not fully arrived.
func (p *Parser) ExpectContinue() bool {
	return p.expect100 && p.HeaderComplete() && (p.chunked || p.contentLength > 0)
}

// reqNeedMore is the internal signal that a step needs more input.
var reqNeedMore = &Error{Status: 0, Reason: "need more input"}

// errReqDecodeState is returned by Decode when no complete request was measured.
var errReqDecodeState = errors.New("http: Decode called without a complete request from Input")

// Input measures the request at the start of buf. It returns 0 while the
// request is incomplete, n when buf[:n] is one whole request (including
// skipped empty lines before it, head, body with its chunked framing and
// trailers), or an *Error when the input can never become a valid request.
// Between calls buf must keep its start and only grow at its end. Once a
// request is complete Input keeps returning its length until Decode or
// Reset; once it failed it keeps returning the same error until Reset.
func (p *Parser) Input(buf []byte) (int, error) {
	switch p.state {
	case reqComplete:
		return p.total, nil
	case reqFailed:
		return 0, p.err
	}
	clamped := false
	if len(buf) > parserMaxPackageLen {
		buf, clamped = buf[:parserMaxPackageLen], true
	}
	for {
		var e *Error
		switch p.state {
		case inLeadingLines:
			e = p.skipLeadingLines(buf)
		case inRequestLine:
			e = p.readRequestLine(buf)
		case inFieldLines:
			e = p.readFieldLines(buf)
		case inLengthBody:
			if len(buf) < p.total {
				e = reqNeedMore
			} else {
				p.state = reqComplete
			}
		case inChunkSize:
			e = p.readChunkSize(buf)
		case inChunkData:
			e = p.readChunkData(buf)
		case inTrailerLines:
			e = p.readTrailerLines(buf)
		case reqComplete:
			return p.total, nil
		default:
			return 0, p.err
		}
		if e == nil {
			continue
		}
		if e == reqNeedMore {
			if clamped {
				e = errReqBodyTooLarge
			} else {
				return 0, nil
			}
		}
		p.state, p.err = reqFailed, e
		return 0, e
	}
}

// Decode fills req from pkg, the complete request Input just measured
// (pkg = buf[:n]). req's buffers are reused; pkg is copied, as it is only
// valid during the call. The parser is then ready for the next request.
func (p *Parser) Decode(pkg []byte, req *Request) error {
	if p.state != reqComplete || len(pkg) != p.total || req == nil {
		return errReqDecodeState
	}
	req.load(p, pkg)
	p.Reset()
	return nil
}

// skipLeadingLines skips CRLF pairs before the request line (RFC 9112
// section 2.2). A bare CR or LF is an error.
func (p *Parser) skipLeadingLines(buf []byte) *Error {
	for p.scan < len(buf) {
		switch buf[p.scan] {
		case '\r':
			if p.scan+1 >= len(buf) {
				return reqNeedMore
			}
			if buf[p.scan+1] != '\n' {
				return errReqBareCR
			}
			p.scan += 2
			p.scanned += 2
			if p.scan >= p.headLimit {
				return errReqHeaderTooLarge
			}
		case '\n':
			return errReqBareLF
		default:
			p.lineStart = p.scan
			p.headStart = int32(p.scan)
			p.state = inRequestLine
			return nil
		}
	}
	return reqNeedMore
}

// nextLine finds the LF ending the line that starts at p.lineStart,
// searching only new bytes and never past limit. It returns the offset of
// the line's CR and of its LF; lf < 0 when the line is incomplete (and
// atLimit when it can never be complete within limit). A line not ended by
// CRLF is an error.
func (p *Parser) nextLine(buf []byte, limit int) (cr, lf int, atLimit bool, e *Error) {
	end := len(buf)
	if end > limit {
		end = limit
	}
	if p.scan >= end {
		return 0, -1, end == limit, nil
	}
	i := bytes.IndexByte(buf[p.scan:end], '\n')
	if i < 0 {
		p.scanned += int64(end - p.scan)
		p.scan = end
		return 0, -1, end == limit, nil
	}
	lf = p.scan + i
	p.scanned += int64(i + 1)
	p.scan = lf + 1
	if lf == p.lineStart || buf[lf-1] != '\r' {
		return 0, -1, false, errReqBareLF
	}
	return lf - 1, lf, false, nil
}

// readRequestLine parses "method SP request-target SP HTTP-version CRLF".
func (p *Parser) readRequestLine(buf []byte) *Error {
	le, lf, atLimit, e := p.nextLine(buf, p.headLimit)
	if e != nil {
		return e
	}
	if lf < 0 {
		if atLimit {
			return p.requestLineOverLimit(buf[:p.headLimit])
		}
		return reqNeedMore
	}
	ls := p.lineStart
	line := buf[:le]

	i := ls
	for i < le && reqTchar[line[i]] {
		i++
	}
	if i == ls || i == le || line[i] != ' ' {
		if i == le || i == ls && (line[i] == ' ' || line[i] == '\t') {
			return errReqRequestLine
		}
		return errReqMethod
	}
	p.methodEnd = int32(i)

	ts := i + 1
	j := bytes.IndexByte(line[ts:], ' ')
	if j < 0 {
		return errReqRequestLine
	}
	te := ts + j
	if j > p.lim.MaxTargetLength {
		return errReqTargetTooLong
	}
	if j == 0 || !reqValidTarget(line[ls:i], line[ts:te]) {
		return errReqTarget
	}
	p.targetStart, p.targetEnd = int32(ts), int32(te)

	v := line[te+1:]
	if len(v) != 8 || string(v[:5]) != "HTTP/" || !reqIsDigit(v[5]) || v[6] != '.' || !reqIsDigit(v[7]) {
		return errReqVersion
	}
	switch {
	case v[5] == '1' && v[7] == '1':
		p.version = 11
	case v[5] == '1' && v[7] == '0':
		p.version = 10
	default:
		return errReqVersionUnsupp
	}
	p.lineStart = lf + 1
	p.state = inFieldLines
	return nil
}

// requestLineOverLimit decides between 414 and 431 for a request line that
// does not end within the head limit: 414 when the target (after a valid
// method and SP) is already longer than MaxTargetLength.
func (p *Parser) requestLineOverLimit(region []byte) *Error {
	i := int(p.headStart)
	for i < len(region) && reqTchar[region[i]] {
		i++
	}
	if i < len(region) && region[i] == ' ' && i > int(p.headStart) {
		t := region[i+1:]
		if j := bytes.IndexByte(t, ' '); j >= 0 {
			t = t[:j]
		}
		if len(t) > p.lim.MaxTargetLength {
			return errReqTargetTooLong
		}
	}
	return errReqHeaderTooLarge
}

// readFieldLines reads header field lines until the empty line.
func (p *Parser) readFieldLines(buf []byte) *Error {
	for {
		if p.scan == p.lineStart && p.fastFieldLine(buf) {
			if len(p.fields) > p.lim.MaxHeaderCount {
				return errReqTooManyHeaders
			}
			if e := p.noteField(buf, p.fields[len(p.fields)-1]); e != nil {
				return e
			}
			continue
		}
		le, lf, atLimit, e := p.nextLine(buf, p.headLimit)
		if e != nil {
			return e
		}
		if lf < 0 {
			if atLimit {
				return errReqHeaderTooLarge
			}
			return reqNeedMore
		}
		ls := p.lineStart
		p.lineStart = lf + 1
		if le == ls {
			p.headEnd = int32(lf + 1)
			return p.finishHead()
		}
		f, e := reqParseFieldLine(buf, ls, le)
		if e != nil {
			return e
		}
		if len(p.fields) >= p.lim.MaxHeaderCount {
			return errReqTooManyHeaders
		}
		p.fields = append(p.fields, f)
		if e := p.noteField(buf, f); e != nil {
			return e
		}
	}
}

// fastFieldLine is the common case of a field line in one pass: a token,
// a colon, and a value whose first control byte is the CR of a CRLF, all
// within the head limit. It appends the field and moves past the line, or
// returns false having changed nothing, leaving the general path (LF search,
// then validation) to decide. Its result is always the one the general path
// would reach.
func (p *Parser) fastFieldLine(buf []byte) bool {
	end := len(buf)
	if end > p.headLimit {
		end = p.headLimit
	}
	ls := p.lineStart
	i := ls
	for i < end && reqTchar[buf[i]] {
		i++
	}
	if i == ls || i >= end || buf[i] != ':' {
		return false
	}
	vs := i + 1
	for vs < end && (buf[vs] == ' ' || buf[vs] == '\t') {
		vs++
	}
	j := reqScanFieldValue(buf[:end], vs)
	if j+1 >= end || buf[j] != '\r' || buf[j+1] != '\n' {
		return false
	}
	ve := j
	for ve > vs && (buf[ve-1] == ' ' || buf[ve-1] == '\t') {
		ve--
	}
	p.fields = append(p.fields, reqField{int32(ls), int32(i), int32(vs), int32(ve)})
	p.scanned += int64(j + 2 - ls)
	p.scan, p.lineStart = j+2, j+2
	return true
}

// reqParseFieldLine parses "field-name ":" OWS field-value OWS" in buf[ls:le].
func reqParseFieldLine(buf []byte, ls, le int) (reqField, *Error) {
	if c := buf[ls]; c == ' ' || c == '\t' {
		return reqField{}, errReqObsFold
	}
	i := ls
	for i < le && reqTchar[buf[i]] {
		i++
	}
	if i == le || i == ls {
		return reqField{}, errReqFieldName
	}
	if c := buf[i]; c != ':' {
		if c == ' ' || c == '\t' {
			return reqField{}, errReqSpaceBeforeCol
		}
		return reqField{}, errReqFieldName
	}
	vs := i + 1
	for vs < le && (buf[vs] == ' ' || buf[vs] == '\t') {
		vs++
	}
	ve := le
	for ve > vs && (buf[ve-1] == ' ' || buf[ve-1] == '\t') {
		ve--
	}
	if !reqValidFieldValue(buf[vs:ve]) {
		return reqField{}, errReqFieldValue
	}
	return reqField{int32(ls), int32(i), int32(vs), int32(ve)}, nil
}

// noteField interprets the header fields that govern framing and
// connection handling.
func (p *Parser) noteField(buf []byte, f reqField) *Error {
	name := buf[f.nameStart:f.nameEnd]
	value := buf[f.valueStart:f.valueEnd]
	switch len(name) {
	case 4:
		if !reqEqualFoldLower(name, "host") {
			return nil
		}
		if p.hostIndex >= 0 {
			return errReqHostDuplicate
		}
		if !reqValidHost(value) {
			return errReqHostInvalid
		}
		p.hostIndex = int32(len(p.fields) - 1)
	case 6:
		if reqEqualFoldLower(name, "expect") && p.version == 11 && reqEqualFoldLower(value, "100-continue") {
			p.expect100 = true
		}
	case 10:
		if reqEqualFoldLower(name, "connection") {
			p.noteConnection(value)
		}
	case 14:
		if !reqEqualFoldLower(name, "content-length") {
			return nil
		}
		n, e := reqParseContentLength(value)
		if e != nil {
			return e
		}
		if p.hasCL && n != p.contentLength {
			return errReqContentLengthConfl
		}
		p.hasCL, p.contentLength = true, n
	case 17:
		if reqEqualFoldLower(name, "transfer-encoding") {
			return p.noteTransferEncoding(value)
		}
	}
	return nil
}

// reqParseContentLength parses 1*DIGIT. Identical repeated fields are merged
// by the caller; a list ("5, 5") is refused.
func reqParseContentLength(v []byte) (int64, *Error) {
	if len(v) == 0 {
		return 0, errReqContentLength
	}
	var n int64
	for _, c := range v {
		if !reqIsDigit(c) {
			return 0, errReqContentLength
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, errReqContentLengthOverflw
		}
		n = n*10 + d
	}
	return n, nil
}

// noteConnection records the close and keep-alive options of a Connection
// field (a comma-separated, case-insensitive token list).
func (p *Parser) noteConnection(v []byte) {
	for len(v) > 0 {
		var tok []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			tok, v = v[:i], v[i+1:]
		} else {
			tok, v = v, nil
		}
		tok = reqTrimOWS(tok)
		switch len(tok) {
		case 5:
			if reqEqualFoldLower(tok, "close") {
				p.connClose = true
			}
		case 10:
			if reqEqualFoldLower(tok, "keep-alive") {
				p.connKeepAlive = true
			}
		}
	}
}

// noteTransferEncoding records the codings of one Transfer-Encoding field.
// Fields accumulate into one list, in order (RFC 9110 section 5.3).
func (p *Parser) noteTransferEncoding(v []byte) *Error {
	p.hasTE = true
	for len(v) > 0 {
		var elem []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			elem, v = v[:i], v[i+1:]
		} else {
			elem, v = v, nil
		}
		elem = reqTrimOWS(elem)
		if len(elem) == 0 {
			continue // empty list elements are ignored (RFC 9110 section 5.6.1)
		}
		i := 0
		for i < len(elem) && reqTchar[elem[i]] {
			i++
		}
		if i == 0 {
			return errReqTEInvalid
		}
		coding, params := elem[:i], reqTrimOWS(elem[i:])
		if len(params) > 0 && params[0] != ';' {
			return errReqTEInvalid
		}
		if p.teChunked {
			p.teAfterChunked = true
		}
		if reqEqualFoldLower(coding, "chunked") {
			if len(params) > 0 {
				return errReqTEInvalid
			}
			p.teChunked = true
		} else {
			p.teOther = true
		}
	}
	return nil
}

// finishHead validates the head as a whole and picks the body framing
// (RFC 9112 section 6.3).
func (p *Parser) finishHead() *Error {
	if p.version == 11 && p.hostIndex < 0 {
		return errReqHostMissing
	}
	switch {
	case p.hasTE:
		if p.version == 10 {
			return errTEHTTP10
		}
		if p.hasCL {
			return errReqCLWithTE
		}
		if !p.teChunked || p.teAfterChunked {
			return errReqTENotChunked
		}
		if p.teOther {
			return errReqTEUnknown
		}
		p.chunked = true
		p.lineStart = int(p.headEnd)
		p.scan = p.lineStart
		p.state = inChunkSize
	case p.hasCL && p.contentLength > 0:
		if p.contentLength > p.lim.MaxBodyBytes {
			return errReqBodyTooLarge
		}
		p.total = int(p.headEnd) + int(p.contentLength)
		p.state = inLengthBody
	default:
		p.total = int(p.headEnd)
		p.state = reqComplete
	}
	return nil
}

// readChunkSize parses "chunk-size [ chunk-ext ] CRLF".
func (p *Parser) readChunkSize(buf []byte) *Error {
	le, lf, atLimit, e := p.nextLine(buf, p.lineStart+p.lim.MaxHeaderBytes)
	if e != nil {
		if e == errReqBareLF {
			return errReqChunkSize
		}
		return e
	}
	if lf < 0 {
		if atLimit {
			return errReqChunkExtLong
		}
		return reqNeedMore
	}
	ls := p.lineStart
	i := ls
	var n int64
	for ; i < le; i++ {
		d := reqUnhex(buf[i])
		if d < 0 {
			break
		}
		if n > math.MaxInt64>>4 {
			return errReqChunkSizeOverf
		}
		n = n<<4 | int64(d)
	}
	if i == ls {
		return errReqChunkSize
	}
	if i < le {
		if e := reqValidChunkExt(buf[i:le]); e != nil {
			return e
		}
	}
	p.overhead += int64(lf + 1 - ls)
	if p.overhead > parserMaxChunkOverhead+p.bodySize {
		return errReqChunkExtLong
	}
	p.lineStart = lf + 1
	if n == 0 {
		p.headLimit = p.lineStart + p.lim.MaxHeaderBytes
		p.state = inTrailerLines
		return nil
	}
	if n > p.lim.MaxBodyBytes-p.bodySize {
		return errReqBodyTooLarge
	}
	p.bodySize += n
	p.chunkStart = lf + 1
	p.chunkEnd = p.chunkStart + int(n)
	p.state = inChunkData
	return nil
}

// reqValidChunkExt checks *( BWS ";" BWS ext-name [ BWS "=" BWS ext-value ] )
// (RFC 9112 section 7.1.1), where ext-value is a token or quoted-string.
func reqValidChunkExt(b []byte) *Error {
	i := 0
	for i < len(b) {
		j := reqSkipWS(b, i)
		if j == len(b) || b[j] != ';' {
			// Whitespace or another byte after the size: not an extension.
			return errReqChunkSize
		}
		i = reqSkipWS(b, j+1)
		k := i
		for k < len(b) && reqTchar[b[k]] {
			k++
		}
		if k == i {
			return errReqChunkExt
		}
		i = k
		j = reqSkipWS(b, i)
		if j == len(b) || b[j] != '=' {
			if j < len(b) && b[j] != ';' {
				return errReqChunkExt
			}
			i = j
			continue
		}
		i = reqSkipWS(b, j+1)
		if i == len(b) {
			return errReqChunkExt
		}
		if b[i] == '"' {
			end, ok := reqScanQuoted(b, i)
			if !ok {
				return errReqChunkExt
			}
			i = end
		} else {
			k = i
			for k < len(b) && reqTchar[b[k]] {
				k++
			}
			if k == i {
				return errReqChunkExt
			}
			i = k
		}
		if i < len(b) && b[i] != ';' && b[i] != ' ' && b[i] != '\t' {
			return errReqChunkExt
		}
	}
	return nil
}

// reqScanQuoted returns the offset after the quoted-string starting at
// b[i] == '"'.
func reqScanQuoted(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			return i + 1, true
		case c == '\\':
			i++
			if i == len(b) || !reqQdtext[b[i]] && b[i] != '"' && b[i] != '\\' {
				return 0, false
			}
		case !reqQdtext[c]:
			return 0, false
		}
	}
	return 0, false
}

func reqSkipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// readChunkData waits for a chunk's data and its CRLF.
func (p *Parser) readChunkData(buf []byte) *Error {
	end := p.chunkEnd
	if len(buf) < end+2 {
		if len(buf) > end && buf[end] != '\r' {
			return errReqChunkDataEnd
		}
		return reqNeedMore
	}
	p.scanned += 2
	if buf[end] != '\r' || buf[end+1] != '\n' {
		return errReqChunkDataEnd
	}
	p.overhead += 2
	p.chunks = append(p.chunks, reqSpan{int32(p.chunkStart), int32(end)})
	p.lineStart = end + 2
	p.scan = p.lineStart
	p.state = inChunkSize
	return nil
}

// readTrailerLines reads the trailer section after the last chunk.
func (p *Parser) readTrailerLines(buf []byte) *Error {
	for {
		le, lf, atLimit, e := p.nextLine(buf, p.headLimit)
		if e != nil {
			return e
		}
		if lf < 0 {
			if atLimit {
				return errReqTrailerTooLarge
			}
			return reqNeedMore
		}
		ls := p.lineStart
		p.lineStart = lf + 1
		if le == ls {
			p.total = lf + 1
			p.state = reqComplete
			return nil
		}
		f, e := reqParseFieldLine(buf, ls, le)
		if e != nil {
			return e
		}
		if len(p.trailers) >= p.lim.MaxHeaderCount {
			return errReqTooManyTrailers
		}
		p.trailers = append(p.trailers, f)
	}
}

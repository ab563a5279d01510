package http

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Form parsing, bounded in time and memory.
//
// ParseForm (and Post, File, ... on first use) runs inside OnMessage, on an
// event loop, so what a client sends must not decide how long the loop
// stalls or how much it allocates. Every body is read in one pass, in time
// linear in its length, and what is kept is capped:
//
//   - JSON: the first non-space byte decides whether the body is an object;
//     if not (ErrNotJSONObject) nothing else is read. An object is validated
//     in one pass that builds no tree: nesting is capped at MaxJSONDepth,
//     members at MaxFormValues. Values are views of the body (a string with
//     escapes or invalid UTF-8 is decoded into a new one).
//   - application/x-www-form-urlencoded: the first MaxFormValues pairs, views
//     of the body unless escaped.
//   - multipart/form-data: streamed through a window (request_upload.go);
//     non-file values are capped at MaxMultipartFieldBytes, each part's
//     header at MaxPartHeaderBytes, large files go to temporary files.
//
// A body held in memory is parsed in place. A body spooled to a temporary
// file (bodySpooled) is read through bodyReader: a urlencoded or JSON one
// (at most MaxFormBodyBytes) into one buffer the values then view, a
// multipart one through a multipartWindow-byte window.
//
// Measured with request_form_bench_test.go on 2 shared, busy vCPUs, 10 MiB
// bodies: a JSON array is refused in 0.3 to 0.5 µs with nothing allocated
// in memory (the Unmarshal into map, then into any, it replaces took
// 617 ms and 259 MB there); a JSON object costs 2.2 to 3.5 ms per MiB,
// a urlencoded body 1.0 to 1.6, a multipart upload 0.6 to 1.2 (its file
// written to a temporary file).

// Bounds of form parsing.
const (
	// MaxFormValues is the most name/value pairs taken from a query string,
	// a urlencoded body or the members of a JSON object. A body with more
	// keeps the first MaxFormValues and ParseForm reports ErrTooManyValues;
	// a query string's extra pairs are ignored.
	MaxFormValues = 10000
	// MaxJSONDepth is the deepest nesting of objects and arrays a JSON body
	// may have, its top-level object counting as 1; deeper: ErrJSONTooDeep.
	MaxJSONDepth = 64
	// MaxFormBodyBytes is the largest urlencoded or JSON body that is
	// parsed; a larger one is not read (ErrFormTooLarge). A spooled body of
	// that kind is read into memory whole to be parsed, so this bounds that
	// memory. Multipart bodies are streamed and have their own caps.
	MaxFormBodyBytes = 16 << 20
)

// Errors ParseForm reports about urlencoded and JSON bodies. The multipart
// ones are with UploadedFile. Each is a shared value: compare with
// errors.Is, as I/O errors reading a spooled body are wrapped.
var (
	// ErrNotJSONObject: a JSON body whose first non-space byte is not '{',
	// so not an object (an array, a string, a number, a literal or not
	// JSON at all). Its members are not expanded into values and the rest
	// of the body is not examined.
	ErrNotJSONObject = errors.New("http: JSON body is not an object")
	// ErrMalformedJSON: a JSON body that starts as an object but is not
	// valid JSON (RFC 8259). No values are kept.
	ErrMalformedJSON = errors.New("http: malformed JSON body")
	// ErrJSONTooDeep: a JSON body nested deeper than MaxJSONDepth. No
	// values are kept.
	ErrJSONTooDeep = errors.New("http: JSON body nested deeper than MaxJSONDepth")
	// ErrTooManyValues: a urlencoded body with more than MaxFormValues
	// pairs, or a JSON object with more than MaxFormValues members. The
	// first MaxFormValues are kept and the rest is not parsed.
	ErrTooManyValues = errors.New("http: form body has more than MaxFormValues values")
	// ErrFormTooLarge: a urlencoded or JSON body larger than
	// MaxFormBodyBytes, or multipart non-file values larger than
	// MaxMultipartFieldBytes in total.
	ErrFormTooLarge = errors.New("http: form body too large")
)

// Get returns the first value of the query parameter name, decoded, or ""
// (workerman's get()). The query is parsed on first use.
func (r *Request) Get(name string) string {
	return formLookup(r.parseQuery(), name)
}

// Query returns every query parameter in order (parsed on first use). The
// slice belongs to the request.
func (r *Request) Query() []FormValue {
	return r.parseQuery()
}

// parseQuery parses the query on first use and returns its pairs. A target
// without a query needs no parsing, so it allocates nothing.
func (r *Request) parseQuery() []FormValue {
	if e := r.ext; e != nil && e.queryParsed {
		return e.query
	}
	r.splitTarget()
	if r.queryStart >= r.queryEnd { // no query, or an empty one
		if r.ext != nil {
			return r.ext.query
		}
		return nil
	}
	e := r.extension()
	e.queryParsed = true
	e.query, _ = appendURLEncoded(e.query[:0], r.buf[r.queryStart:r.queryEnd])
	return e.query
}

// Post returns the value of the body field name, or "" (workerman's
// post()). Bodies of type application/x-www-form-urlencoded, JSON (a
// top-level object: strings as their value, other values as their JSON
// text) and multipart/form-data (non-file parts) are understood; the body
// is parsed on first use and ParseForm reports any error. With a repeated
// name, a urlencoded or multipart body gives the first value and a JSON
// object the last one (as encoding/json does). Values are valid as long as
// the request (see Request).
func (r *Request) Post(name string) string {
	if e := r.parseForm(); e != nil {
		return formLookup(e.form, name)
	}
	return ""
}

// PostValues returns every body field in order (parsed on first use). The
// slice belongs to the request.
func (r *Request) PostValues() []FormValue {
	if e := r.parseForm(); e != nil {
		return e.form
	}
	return nil
}

// File returns the first uploaded file of the multipart field name, or nil
// (workerman's file()). Without a field of that exact name, it is the
// first file under name in FileParams: File("files") is the first of
// "files[]", File("doc") the first of "doc[a]", "doc[b]". See UploadedFile
// for where its content is and how long it lasts.
func (r *Request) File(name string) *UploadedFile {
	if e := r.parseForm(); e != nil {
		for _, f := range e.files {
			if f.Field == name {
				return f
			}
		}
		if len(e.files) > 0 {
			return firstFile(r.FileParam(name))
		}
	}
	return nil
}

// Files returns every uploaded file in order. The slice belongs to the
// request.
func (r *Request) Files() []*UploadedFile {
	if e := r.parseForm(); e != nil {
		return e.files
	}
	return nil
}

// ParseForm parses the query and the body (as Post and File do lazily)
// and returns the body's parse error, if any: one of the Err* values of
// this file or of UploadedFile, or an I/O error reading a spooled body or
// writing an upload's temporary file. It never panics, and costs time
// linear in the body (see the caps above). After an error the values
// parsed before it are kept for urlencoded and multipart bodies (and with
// ErrTooManyValues for JSON); after any other JSON error there are none.
func (r *Request) ParseForm() error {
	r.parseQuery()
	if e := r.parseForm(); e != nil {
		return e.formErr
	}
	return nil
}

// formSource is a request body as form parsing reads it: in memory (mem, a
// view of r.buf, when rd is nil) or, for a spooled body, through rd, which
// yields size bytes.
type formSource struct {
	mem  []byte
	rd   io.Reader
	size int64
}

// parseForm parses the body on first use and returns the request's
// requestExt, nil when there is none. A body that is empty or of a type
// not understood needs no parsing, so it allocates nothing.
func (r *Request) parseForm() *requestExt {
	if e := r.ext; e != nil && e.formParsed {
		return e
	}
	if r.ContentLength() == 0 {
		return r.ext
	}
	ct := r.Header("Content-Type")
	if formKindOf(ct) == formNone {
		return r.ext
	}
	var src formSource
	if r.bodySpooled() {
		src.rd, src.size = r.bodyReader() // never RawBody, which would load it
	} else {
		src.mem = r.RawBody()
		src.size = int64(len(src.mem))
	}
	return r.parseFormFrom(ct, src)
}

// formKind is how a body is parsed, from its Content-Type.
type formKind uint8

const (
	formNone formKind = iota
	formURLEncoded
	formMultipart
	formJSON
)

func formKindOf(ct string) formKind {
	mt := ct
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.TrimSpace(mt)
	switch {
	case strings.EqualFold(mt, "application/x-www-form-urlencoded"):
		return formURLEncoded
	case strings.EqualFold(mt, "multipart/form-data"):
		return formMultipart
	case containsFoldJSON(mt):
		return formJSON
	}
	return formNone
}

// parseFormFrom parses src, a body of Content-Type ct, into r's form values
// and files, and marks the form parsed (unless ct is not understood or the
// body is empty).
func (r *Request) parseFormFrom(ct string, src formSource) *requestExt {
	kind := formKindOf(ct)
	if kind == formNone || (src.rd == nil && len(src.mem) == 0) || (src.rd != nil && src.size <= 0) {
		return r.ext
	}
	e := r.extension()
	e.formParsed, e.formErr = true, nil
	e.clearParams()
	switch kind {
	case formURLEncoded:
		b, err := readFormBody(src, false)
		if err != nil {
			e.formErr = err
			break
		}
		var more bool
		if e.form, more = appendURLEncoded(e.form, b); more {
			e.formErr = ErrTooManyValues
		}
	case formJSON:
		b, err := readFormBody(src, true)
		if err == nil {
			n := len(e.form)
			e.form, err = appendJSONObject(e.form, b)
			if err != nil && err != ErrTooManyValues {
				clear(e.form[n:])
				e.form = e.form[:n]
			}
		}
		e.formErr = err
	case formMultipart:
		e.formErr = e.parseMultipart(ct, src, r.uploadDir())
	}
	return e
}

// containsFoldJSON reports whether a media type names JSON
// ("application/json", "application/problem+json", "text/json").
func containsFoldJSON(mt string) bool {
	for i := 0; i+4 <= len(mt); i++ {
		if strings.EqualFold(mt[i:i+4], "json") {
			return true
		}
	}
	return false
}

// jsonPeekBytes is how much of a spooled JSON body is read first, to find
// its first non-space byte before allocating a buffer for all of it.
const jsonPeekBytes = 512

// readFormBody returns the whole body of a urlencoded or JSON form: src.mem,
// or a spooled body read into a new buffer. A body over MaxFormBodyBytes is
// not read. For JSON (isJSON) a spooled body that does not start with '{'
// is refused after its first bytes.
func readFormBody(src formSource, isJSON bool) ([]byte, error) {
	if src.size > MaxFormBodyBytes {
		return nil, ErrFormTooLarge
	}
	if src.rd == nil {
		return src.mem, nil
	}
	var peek [jsonPeekBytes]byte
	n := 0
	if isJSON {
		var err error
		n, err = io.ReadFull(src.rd, peek[:min(int64(len(peek)), src.size)])
		if err != nil {
			return nil, bodyReadError(err)
		}
		if i := jsonSkipSpace(peek[:n], 0); i < n && peek[i] != '{' {
			return nil, ErrNotJSONObject
		}
	}
	b := make([]byte, src.size)
	copy(b, peek[:n])
	if _, err := io.ReadFull(src.rd, b[n:]); err != nil {
		return nil, bodyReadError(err)
	}
	return b, nil
}

// bodyReadError wraps an error reading a spooled body; a body shorter than
// announced is io.ErrUnexpectedEOF.
func bodyReadError(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("http: reading the request body: %w", err)
}

func formLookup(vs []FormValue, name string) string {
	for i := range vs {
		if vs[i].Name == name {
			return vs[i].Value
		}
	}
	return ""
}

// appendURLEncoded appends the pairs of an application/x-www-form-urlencoded
// string ("a=1&b=2"), at most MaxFormValues of them, and reports whether b
// holds more. Names and values without escapes are views of b; invalid
// escapes are kept as sent.
func appendURLEncoded(dst []FormValue, b []byte) ([]FormValue, bool) {
	for n := 0; len(b) > 0; {
		var pair []byte
		if i := bytes.IndexByte(b, '&'); i >= 0 {
			pair, b = b[:i], b[i+1:]
		} else {
			pair, b = b, nil
		}
		if len(pair) == 0 {
			continue
		}
		if n == MaxFormValues {
			return dst, true
		}
		name, value := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			name, value = pair[:i], pair[i+1:]
		}
		dst = append(dst, FormValue{formUnescape(name), formUnescape(value)})
		n++
	}
	return dst, false
}

// formUnescape decodes '+' and %XX; it returns a view of b when there is
// nothing to decode.
func formUnescape(b []byte) string {
	if bytes.IndexByte(b, '%') < 0 && bytes.IndexByte(b, '+') < 0 {
		return reqView(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '+':
			out = append(out, ' ')
		case '%':
			if i+2 < len(b) {
				h, l := reqUnhex(b[i+1]), reqUnhex(b[i+2])
				if h >= 0 && l >= 0 {
					out = append(out, byte(h<<4|l))
					i += 2
					continue
				}
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return reqView(out)
}

// JSON (RFC 8259), read in one pass without building values.

// jsonIndexAfter is how many distinct members an object may have before
// repeated names are found through a map rather than a linear search.
const jsonIndexAfter = 16

// appendJSONObject appends the members of b, which must hold one JSON
// object: strings decoded, other values as their text (views of b). A
// repeated name keeps its first place and takes the last value. It
// returns ErrNotJSONObject when b's first non-space byte is not '{',
// ErrTooManyValues after MaxFormValues members (which stay appended), and
// ErrMalformedJSON or ErrJSONTooDeep for a bad object (the caller drops
// what was appended).
func appendJSONObject(dst []FormValue, b []byte) ([]FormValue, error) {
	i := jsonSkipSpace(b, 0)
	if i == len(b) {
		return dst, ErrMalformedJSON
	}
	if b[i] != '{' {
		return dst, ErrNotJSONObject
	}
	base := len(dst)
	var index map[string]int
	if i = jsonSkipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return dst, jsonEnd(b, i+1)
	}
	for members := 0; ; members++ {
		if i >= len(b) || b[i] != '"' {
			return dst, ErrMalformedJSON
		}
		name, j, err := jsonString(b, i)
		if err != nil {
			return dst, err
		}
		if i = jsonSkipSpace(b, j); i >= len(b) || b[i] != ':' {
			return dst, ErrMalformedJSON
		}
		i = jsonSkipSpace(b, i+1)
		var value string
		if i < len(b) && b[i] == '"' {
			value, i, err = jsonString(b, i)
		} else {
			start := i
			i, err = jsonSkipValue(b, i, 2)
			value = reqView(b[start:i])
		}
		if err != nil {
			return dst, err
		}
		if members == MaxFormValues {
			return dst, ErrTooManyValues
		}
		dst, index = jsonSet(dst, base, index, name, value)
		if i = jsonSkipSpace(b, i); i >= len(b) {
			return dst, ErrMalformedJSON
		}
		switch b[i] {
		case ',':
			i = jsonSkipSpace(b, i+1)
		case '}':
			return dst, jsonEnd(b, i+1)
		default:
			return dst, ErrMalformedJSON
		}
	}
}

// jsonSet sets name to value among dst[base:], appending it when new.
func jsonSet(dst []FormValue, base int, index map[string]int, name, value string) ([]FormValue, map[string]int) {
	if index == nil {
		if len(dst)-base < jsonIndexAfter {
			for k := base; k < len(dst); k++ {
				if dst[k].Name == name {
					dst[k].Value = value
					return dst, nil
				}
			}
			return append(dst, FormValue{name, value}), nil
		}
		index = make(map[string]int, 2*jsonIndexAfter)
		for k := base; k < len(dst); k++ {
			index[dst[k].Name] = k
		}
	}
	if k, ok := index[name]; ok {
		dst[k].Value = value
		return dst, index
	}
	index[name] = len(dst)
	return append(dst, FormValue{name, value}), index
}

// jsonEnd checks that only white space follows the top-level value.
func jsonEnd(b []byte, i int) error {
	if jsonSkipSpace(b, i) != len(b) {
		return ErrMalformedJSON
	}
	return nil
}

func jsonSkipSpace(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return i
		}
	}
	return i
}

// jsonSkipValue checks the value at b[i:], which is at nesting depth depth
// (the top-level object being at 1), and returns the index after it. It
// keeps one bit per open container, so depth+MaxJSONDepth stays within 64.
func jsonSkipValue(b []byte, i, depth int) (int, error) {
	var objects uint64 // bit n: the container at open == n is an object
	open := 0
	var err error
	for {
		if i >= len(b) {
			return i, ErrMalformedJSON
		}
		switch c := b[i]; c {
		case '{', '[':
			if depth+open > MaxJSONDepth {
				return i, ErrJSONTooDeep
			}
			if c == '{' {
				objects |= 1 << open
			} else {
				objects &^= 1 << open
			}
			open++
			if i = jsonSkipSpace(b, i+1); i < len(b) && b[i] == c+2 { // '}' or ']'
				open--
				i++
				break
			}
			if c == '{' {
				if i, err = jsonMemberName(b, i); err != nil {
					return i, err
				}
			}
			continue // an element starts at i
		case '"':
			i, err = jsonSkipString(b, i)
		case 't':
			i, err = jsonLiteral(b, i, "true")
		case 'f':
			i, err = jsonLiteral(b, i, "false")
		case 'n':
			i, err = jsonLiteral(b, i, "null")
		default:
			i, err = jsonSkipNumber(b, i)
		}
		if err != nil {
			return i, err
		}
		// After a value: close containers until one has a next element.
		for {
			if open == 0 {
				return i, nil
			}
			if i = jsonSkipSpace(b, i); i >= len(b) {
				return i, ErrMalformedJSON
			}
			obj := objects>>(open-1)&1 == 1
			if c := b[i]; c == ',' {
				i = jsonSkipSpace(b, i+1)
				if obj {
					if i, err = jsonMemberName(b, i); err != nil {
						return i, err
					}
				}
				break
			} else if obj && c == '}' || !obj && c == ']' {
				open--
				i++
				continue
			}
			return i, ErrMalformedJSON
		}
	}
}

// jsonMemberName checks `"name" :` at b[i:] and returns where the value
// starts.
func jsonMemberName(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return i, ErrMalformedJSON
	}
	i, err := jsonSkipString(b, i)
	if err != nil {
		return i, err
	}
	if i = jsonSkipSpace(b, i); i >= len(b) || b[i] != ':' {
		return i, ErrMalformedJSON
	}
	return jsonSkipSpace(b, i+1), nil
}

func jsonLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, ErrMalformedJSON
	}
	return i + len(lit), nil
}

func jsonSkipNumber(b []byte, i int) (int, error) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = jsonSkipDigits(b, i+1)
	default:
		return i, ErrMalformedJSON
	}
	if i < len(b) && b[i] == '.' {
		if i++; i >= len(b) || !reqIsDigit(b[i]) {
			return i, ErrMalformedJSON
		}
		i = jsonSkipDigits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !reqIsDigit(b[i]) {
			return i, ErrMalformedJSON
		}
		i = jsonSkipDigits(b, i)
	}
	return i, nil
}

func jsonSkipDigits(b []byte, i int) int {
	for i < len(b) && reqIsDigit(b[i]) {
		i++
	}
	return i
}

// jsonStringByte marks the bytes a JSON string holds as they are: not
// '"', '\\' or a control character. Bytes from 0x80 are taken as they are
// (encoding/json accepts them too, and replaces invalid UTF-8 on decoding).
var jsonStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// jsonScanString checks the string at b[i] == '"' and returns the index
// after its closing quote, and whether it has escapes. It skips eight plain
// bytes at a time while a word has no '"', '\\' or control byte (the
// "has zero byte" and "has byte less than" tricks, which are exact about
// whether a word has one).
func jsonScanString(b []byte, i int) (end int, escaped bool, err error) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i++; ; {
		for len(b)-i >= 8 {
			w := binary.LittleEndian.Uint64(b[i:])
			q, s := w^(ones*'"'), w^(ones*'\\')
			if ((q-ones)&^q|(s-ones)&^s|(w-ones*0x20)&^w)&highs != 0 {
				break
			}
			i += 8
		}
		if i >= len(b) {
			return i, escaped, ErrMalformedJSON
		}
		if jsonStringByte[b[i]] {
			i++
			continue
		}
		switch b[i] {
		case '"':
			return i + 1, escaped, nil
		case '\\':
			escaped = true
			if i++; i >= len(b) {
				return i, escaped, ErrMalformedJSON
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(b)-i < 5 || jsonHex4(b[i+1:i+5]) < 0 {
					return i, escaped, ErrMalformedJSON
				}
				i += 4
			default:
				return i, escaped, ErrMalformedJSON
			}
			i++
		default: // a control character
			return i, escaped, ErrMalformedJSON
		}
	}
}

func jsonSkipString(b []byte, i int) (int, error) {
	end, _, err := jsonScanString(b, i)
	return end, err
}

// jsonString decodes the string at b[i] == '"' and returns the index after
// it. Without escapes and with valid UTF-8 the result is a view of b.
func jsonString(b []byte, i int) (string, int, error) {
	end, escaped, err := jsonScanString(b, i)
	if err != nil {
		return "", end, err
	}
	s := b[i+1 : end-1]
	if !escaped && utf8.Valid(s) {
		return reqView(s), end, nil
	}
	return jsonUnquote(s), end, nil
}

// jsonUnquote decodes the contents of a valid JSON string as encoding/json
// does: invalid UTF-8 and unpaired surrogates become U+FFFD.
func jsonUnquote(s []byte) string {
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '\\' && s[j] < utf8.RuneSelf {
			j++
		}
		if out = append(out, s[i:j]...); j == len(s) {
			break
		}
		i = j
		switch c := s[i]; {
		case c == '\\':
			e := s[i+1]
			i += 2
			switch e {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				rr := jsonHex4(s[i : i+4])
				i += 4
				if utf16.IsSurrogate(rr) {
					if len(s)-i >= 6 && s[i] == '\\' && s[i+1] == 'u' {
						if dec := utf16.DecodeRune(rr, jsonHex4(s[i+2:i+6])); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							i += 6
							continue
						}
					}
					rr = utf8.RuneError
				}
				out = utf8.AppendRune(out, rr)
			default: // '"', '\\', '/'
				out = append(out, e)
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			rr, size := utf8.DecodeRune(s[i:])
			if rr == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, s[i:i+size]...)
			}
			i += size
		}
	}
	return reqView(out)
}

// jsonHex4 returns the value of four hex digits, or -1.
func jsonHex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		h := reqUnhex(c)
		if h < 0 {
			return -1
		}
		r = r<<4 | rune(h)
	}
	return r
}

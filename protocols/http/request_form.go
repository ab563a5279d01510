package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

// Bounds of multipart/form-data parsing.
const (
	// MaxMultipartParts is the most parts a multipart body may have.
	MaxMultipartParts = 1000
	// MaxFormValues is the most name/value pairs taken from a query string
	// or urlencoded body; the rest are ignored.
	MaxFormValues = 10000
)

// Errors ParseForm reports.
var (
	// ErrTooManyParts: the multipart body has more than MaxMultipartParts parts.
	ErrTooManyParts = errors.New("http: multipart body has too many parts")
	// ErrNotJSONObject: a JSON body is valid but not an object.
	ErrNotJSONObject = errors.New("http: JSON body is not an object")
	// ErrNoBoundary: a multipart/form-data body without a boundary parameter.
	ErrNoBoundary = errors.New("http: multipart/form-data without boundary")
)

// UploadedFile is one file of a multipart/form-data body.
type UploadedFile struct {
	// Field is the form field name.
	Field string
	// Name is the file name the client gave (no directory).
	Name string
	// Type is the part's Content-Type.
	Type string
	// Size is len(Data).
	Size int64
	// Data is the file content.
	Data []byte
}

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
	e.query = appendURLEncoded(e.query[:0], r.buf[r.queryStart:r.queryEnd])
	return e.query
}

// Post returns the first value of the body field name, or "" (workerman's
// post()). Bodies of type application/x-www-form-urlencoded, JSON
// (a top-level object: strings as their value, other values as their JSON
// text) and multipart/form-data (non-file parts) are understood; the body
// is parsed on first use and ParseForm reports any error.
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

// File returns the uploaded file of the multipart field name, or nil
// (workerman's file()).
func (r *Request) File(name string) *UploadedFile {
	if e := r.parseForm(); e != nil {
		for _, f := range e.files {
			if f.Field == name {
				return f
			}
		}
	}
	return nil
}

// Files returns every uploaded file in order.
func (r *Request) Files() []*UploadedFile {
	if e := r.parseForm(); e != nil {
		return e.files
	}
	return nil
}

// ParseForm parses the query and the body (as Post and File do lazily)
// and returns the body's parse error, if any. It never panics.
func (r *Request) ParseForm() error {
	r.parseQuery()
	if e := r.parseForm(); e != nil {
		return e.formErr
	}
	return nil
}

// parseForm parses the body on first use and returns the request's
// requestExt, nil when there is none. A body that is empty or of a type
// not understood needs no parsing, so it allocates nothing.
func (r *Request) parseForm() *requestExt {
	if e := r.ext; e != nil && e.formParsed {
		return e
	}
	body := r.RawBody()
	if len(body) == 0 {
		return r.ext
	}
	ct := r.Header("Content-Type")
	mt := ct
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.TrimSpace(mt)
	switch {
	case strings.EqualFold(mt, "application/x-www-form-urlencoded"):
		e := r.extension()
		e.formParsed = true
		e.form = appendURLEncoded(e.form[:0], body)
	case strings.EqualFold(mt, "multipart/form-data"):
		e := r.extension()
		e.formParsed = true
		e.formErr = e.parseMultipart(ct, body)
	case containsFoldJSON(mt):
		e := r.extension()
		e.formParsed = true
		e.formErr = e.parseJSON(body)
	}
	return r.ext
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

func (e *requestExt) parseJSON(body []byte) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		var v any
		if json.Unmarshal(body, &v) == nil {
			return ErrNotJSONObject
		}
		return err
	}
	for k, raw := range obj {
		v := string(raw)
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				v = s
			}
		}
		e.form = append(e.form, FormValue{k, v})
	}
	return nil
}

func (e *requestExt) parseMultipart(ct string, body []byte) error {
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return err
	}
	boundary := params["boundary"]
	if boundary == "" {
		return ErrNoBoundary
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n >= MaxMultipartParts {
			part.Close()
			return ErrTooManyParts
		}
		data, err := io.ReadAll(part)
		part.Close()
		if err != nil {
			return err
		}
		field := part.FormName()
		if fn := part.FileName(); fn != "" {
			e.files = append(e.files, &UploadedFile{
				Field: field,
				Name:  fn,
				Type:  part.Header.Get("Content-Type"),
				Size:  int64(len(data)),
				Data:  data,
			})
			continue
		}
		if field != "" {
			e.form = append(e.form, FormValue{field, string(data)})
		}
	}
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
// string ("a=1&b=2"). Names and values without escapes are views of b;
// invalid escapes are kept as sent.
func appendURLEncoded(dst []FormValue, b []byte) []FormValue {
	for n := 0; len(b) > 0 && n < MaxFormValues; {
		var pair []byte
		if i := bytes.IndexByte(b, '&'); i >= 0 {
			pair, b = b[:i], b[i+1:]
		} else {
			pair, b = b, nil
		}
		if len(pair) == 0 {
			continue
		}
		name, value := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			name, value = pair[:i], pair[i+1:]
		}
		dst = append(dst, FormValue{formUnescape(name), formUnescape(value)})
		n++
	}
	return dst
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
	return string(out)
}

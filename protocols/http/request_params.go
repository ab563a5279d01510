package http

import (
	"errors"
	"iter"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parameters the PHP way: $_GET, $_POST and workerman's get(), post().
//
// PHP turns "a[]=1&a[]=2&b[x]=y" into nested arrays, which ported code
// expects. QueryParams and PostParams build that tree from the pairs Query
// and PostValues already hold, so the flat accessors are unchanged and cost
// nothing more: the tree is built on first use, kept by the request until
// it is reset, and its strings are views of the request like Get's. The
// rules it follows are in Param's doc.
//
// Work and memory are linear in the names' and values' length: each name
// is scanned once, each level of brackets costs one lookup (through a map
// once an array has more than paramIndexAfter keys), and MaxParamDepth and
// MaxParamVars cap the levels and pairs as PHP's php.ini defaults do.
// BenchmarkQueryParams: a list page's query of 11 pairs takes 3.5 us and
// 15 allocations on 2 busy vCPUs (the flat parse of it: 0.5 us, 1).

// Caps of the parameter trees.
const (
	// MaxParamDepth is the most levels of brackets a name may have (PHP's
	// max_input_nesting_level). A deeper name drops its value and every
	// value already under its base name, as PHP does, and the tree's error
	// is ErrParamsTooDeep; the other names are kept.
	MaxParamDepth = 64
	// MaxParamVars is the most pairs a tree takes from a query string or
	// body (PHP's max_input_vars); the first MaxParamVars are kept, the rest
	// dropped, and the tree's error is ErrTooManyParams. The flat accessors
	// (Get, Post, Query, PostValues) are not affected: they keep up to
	// MaxFormValues. A JSON body's members are not capped by it (PHP's
	// json_decode has no max_input_vars), only by MaxFormValues.
	MaxParamVars = 1000

	// paramIndexAfter is how many keys an array holds before lookups go
	// through a map.
	paramIndexAfter = 16
)

// Errors of the parameter trees. Each is a shared value: compare with
// errors.Is.
var (
	// ErrParamsTooDeep: a name had more than MaxParamDepth levels of
	// brackets. See MaxParamDepth for what is dropped.
	ErrParamsTooDeep = errors.New("http: parameter name nested deeper than MaxParamDepth")
	// ErrTooManyParams: more than MaxParamVars pairs; the first
	// MaxParamVars are kept.
	ErrTooManyParams = errors.New("http: more than MaxParamVars parameters")
)

// Param is one parameter the PHP way: a string, an uploaded file (in the
// tree of FileParams) or an array of Params under string keys, in order.
// PHP's integer keys are given as their decimal text ("0", "1", ...).
//
// Names become trees as php_register_variable_ex makes them (PHP 8,
// main/php_variables.c), in the query string, urlencoded bodies and the
// field names of multipart bodies (file parts too, for FileParams):
//
//   - Leading spaces of a name are dropped, and a name ends at its first
//     NUL byte (PHP's names are C strings). An empty name is dropped.
//   - Before the first '[', spaces and '.' become '_': "a.b" is "a_b".
//   - "[key]" descends into key; "[]" appends after the largest integer
//     key, as PHP's $a[] = v does, at any level; so does "[ ]", while
//     "[ key]" is the key " key". After a ']', anything but '[' ends the
//     name: "a[b]c" is "a[b]".
//   - A '[' without a ']' after it: when it is the first '[', it and every
//     space, '.' and '[' after it become '_' ("a[b" is "a_b", "a[b.c" is
//     "a_b_c"); otherwise that last group is dropped ("a[b][c" is "a[b]").
//   - Keys that are decimal integers in int64 without leading zeros ("5",
//     "-3"; not "05", "-0", "+1") are PHP integer keys: they decide where
//     "[]" appends ("a[5]=x&a[]=y" puts y under "6", "a[-5]" then "[]"
//     under "-4"). Keys are always given as their decimal text.
//   - A later value for a name replaces the earlier one, a string or an
//     array alike (Get and Post give the first); a key under a name that
//     holds a string makes it an array.
//   - A pair whose key, at any level, starts with "__Host-" or
//     "__Secure-" only after mangling (a sent "..Host-x") is dropped, as
//     PHP does since its fix of CVE-2022-31629.
//   - Beyond MaxParamDepth levels or MaxParamVars pairs: see those.
//
// JSON bodies are not PHP forms: in PostParams their members are the
// top-level keys as sent (no brackets parsed), with the values Post gives
// (a non-string member is its JSON text); decode RawBody with
// encoding/json for more.
//
// A typed tree rather than map[string]any: it keeps PHP's order (Go maps
// have none), so it marshals to JSON as json_encode does, and nil-safe
// methods let a lookup chain read as in PHP:
// req.GetParam("user").Get("tags").Get("0").String() is "" when any part
// is missing. Any gives the map[string]any / []any form.
//
// A nil *Param is a missing parameter: every method accepts it. A Param and
// its strings are valid as long as its request (see Request); it is not
// safe for concurrent use with its request.
type Param struct {
	str  string
	file *UploadedFile
	arr  *paramArray // nil: a string or a file
}

// paramArray is a PHP array: ordered keys, each with a value.
type paramArray struct {
	keys    []string
	vals    []*Param // nil: deleted (see del); compacted by paramBuilder.done
	index   map[string]int
	next    int64 // PHP's nNextFreeElement; math.MinInt64 while no integer key
	deleted bool
}

// IsArray reports whether p is an array (not a string, a file or nil).
func (p *Param) IsArray() bool { return p != nil && p.arr != nil }

// IsList reports whether p is an array whose keys are 0, 1, ... in order,
// which json_encode writes as a JSON array.
func (p *Param) IsList() bool {
	if !p.IsArray() {
		return false
	}
	for i, k := range p.arr.keys {
		if !isIndex(k, i) {
			return false
		}
	}
	return true
}

// isIndex reports whether k is the decimal text of i.
func isIndex(k string, i int) bool {
	if i < 10 {
		return len(k) == 1 && k[0] == byte('0'+i)
	}
	return k == strconv.Itoa(i)
}

// String returns p's value when it is a string, "" otherwise (an array, a
// file or nil).
func (p *Param) String() string {
	if p == nil {
		return ""
	}
	return p.str
}

// File returns p's uploaded file when p is a leaf of FileParams, nil
// otherwise.
func (p *Param) File() *UploadedFile {
	if p == nil {
		return nil
	}
	return p.file
}

// Len returns the number of elements of an array, 0 for anything else.
func (p *Param) Len() int {
	if !p.IsArray() {
		return 0
	}
	return len(p.arr.keys)
}

// Get returns the element of the array p under key (an integer key as its
// decimal text, "0"), or nil when p is not an array or has no such key.
func (p *Param) Get(key string) *Param {
	if !p.IsArray() {
		return nil
	}
	if i := p.arr.find(key); i >= 0 {
		return p.arr.vals[i]
	}
	return nil
}

// Keys returns the keys of the array p in order, nil for anything else.
// The slice belongs to the request.
func (p *Param) Keys() []string {
	if !p.IsArray() {
		return nil
	}
	return p.arr.keys[:len(p.arr.keys):len(p.arr.keys)]
}

// List returns the elements of the array p in order (its keys dropped),
// nil for anything else. For "ids[]=3&ids[]=4", GetParam("ids").List()
// has the two strings. The slice belongs to the request.
func (p *Param) List() []*Param {
	if !p.IsArray() {
		return nil
	}
	return p.arr.vals[:len(p.arr.vals):len(p.arr.vals)]
}

// Strings returns the string elements of the array p in order, skipping
// arrays and files; for a string it is that one string, for nil nil.
func (p *Param) Strings() []string {
	switch {
	case p == nil || p.file != nil:
		return nil
	case p.arr == nil:
		return []string{p.str}
	}
	out := make([]string, 0, len(p.arr.vals))
	for _, v := range p.arr.vals {
		if v.arr == nil && v.file == nil {
			out = append(out, v.str)
		}
	}
	return out
}

// All iterates over the elements of the array p in order: for key, v :=
// range p.All() { ... }. It yields nothing for anything else.
func (p *Param) All() iter.Seq2[string, *Param] {
	return func(yield func(string, *Param) bool) {
		if !p.IsArray() {
			return
		}
		for i, k := range p.arr.keys {
			if !yield(k, p.arr.vals[i]) {
				return
			}
		}
	}
}

// Any returns p as plain Go values, in the shape json_encode gives: a
// string, a []any for a list (IsList), a map[string]any for any other
// array, the *UploadedFile of a file, or nil. It copies the tree (not the
// strings, which stay views of the request).
func (p *Param) Any() any {
	switch {
	case p == nil:
		return nil
	case p.file != nil:
		return p.file
	case p.arr == nil:
		return p.str
	case p.IsList():
		out := make([]any, len(p.arr.vals))
		for i, v := range p.arr.vals {
			out[i] = v.Any()
		}
		return out
	}
	out := make(map[string]any, len(p.arr.keys))
	for i, k := range p.arr.keys {
		out[k] = p.arr.vals[i].Any()
	}
	return out
}

// MarshalJSON writes p as PHP's json_encode does: a string; an array as a
// JSON array when it is a list (IsList, an empty array too), else as an
// object in key order; a file as workerman's file() array, {"name",
// "type", "tmp_name", "error", "size"}; nil as null.
func (p *Param) MarshalJSON() ([]byte, error) {
	return p.appendJSON(nil), nil
}

func (p *Param) appendJSON(b []byte) []byte {
	switch {
	case p == nil:
		return append(b, "null"...)
	case p.file != nil:
		f := p.file
		b = append(b, `{"name":`...)
		b = appendJSONString(b, f.Name)
		b = append(b, `,"type":`...)
		b = appendJSONString(b, f.Type)
		b = append(b, `,"tmp_name":`...)
		b = appendJSONString(b, f.TmpName)
		b = append(b, `,"error":`...)
		b = strconv.AppendInt(b, int64(f.Error), 10)
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, f.Size, 10)
		return append(b, '}')
	case p.arr == nil:
		return appendJSONString(b, p.str)
	case p.IsList():
		b = append(b, '[')
		for i, v := range p.arr.vals {
			if i > 0 {
				b = append(b, ',')
			}
			b = v.appendJSON(b)
		}
		return append(b, ']')
	}
	b = append(b, '{')
	for i, k := range p.arr.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = p.arr.vals[i].appendJSON(b)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// (invalid UTF-8 as U+FFFD, "<", ">", "&" escaped). PHP's json_encode
// also escapes "/" and non-ASCII characters; the strings are the same.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// find returns the position of key, or -1.
func (a *paramArray) find(key string) int {
	if a.index != nil {
		if i, ok := a.index[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range a.keys {
		if k == key && a.vals[i] != nil {
			return i
		}
	}
	return -1
}

// set puts v under key, in place when key is there, else last, and
// returns its position.
func (a *paramArray) set(key string, v *Param) int {
	if i := a.find(key); i >= 0 {
		a.vals[i] = v
		return i
	}
	if n, ok := phpIntKey(key); ok && n >= a.next {
		a.next = n + 1
		if n == math.MaxInt64 {
			a.next = math.MaxInt64
		}
	}
	if a.keys == nil {
		a.keys, a.vals = make([]string, 0, 4), make([]*Param, 0, 4)
	}
	a.keys = append(a.keys, key)
	a.vals = append(a.vals, v)
	if a.index != nil {
		a.index[key] = len(a.keys) - 1
	} else if len(a.keys) > paramIndexAfter {
		a.index = make(map[string]int, 2*len(a.keys))
		for i, k := range a.keys {
			if a.vals[i] != nil {
				a.index[k] = i
			}
		}
	}
	return len(a.keys) - 1
}

// push appends v after the largest integer key, as PHP's $a[] = v; it
// reports false when that key is taken (the largest is math.MaxInt64).
func (a *paramArray) push(v *Param) bool {
	n := a.next
	if n == math.MinInt64 {
		n = 0
	}
	key := strconv.FormatInt(n, 10)
	if a.find(key) >= 0 {
		return false
	}
	a.set(key, v)
	return true
}

// del removes key, leaving a hole that done compacts.
func (a *paramArray) del(key string) {
	if i := a.find(key); i >= 0 {
		a.vals[i] = nil
		a.deleted = true
		if a.index != nil {
			delete(a.index, key)
		}
	}
}

// compact drops the holes del left.
func (a *paramArray) compact() {
	if !a.deleted {
		return
	}
	w := 0
	for i, v := range a.vals {
		if v != nil {
			a.keys[w], a.vals[w] = a.keys[i], v
			w++
		}
	}
	clear(a.keys[w:])
	clear(a.vals[w:])
	a.keys, a.vals = a.keys[:w], a.vals[:w]
	a.deleted = false
	if a.index != nil {
		clear(a.index)
		for i, k := range a.keys {
			a.index[k] = i
		}
	}
}

// phpIntKey reports whether key is a PHP integer key ("0", or "-?[1-9]
// [0-9]*" in int64) and returns its value.
func phpIntKey(key string) (int64, bool) {
	d := key
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 19 || d[0] < '0' || d[0] > '9' || d[0] == '0' && len(key) > 1 {
		return 0, false
	}
	n, err := strconv.ParseInt(key, 10, 64)
	return n, err == nil
}

// paramBuilder builds a tree, as PHP registers variables one by one.
type paramBuilder struct {
	root    *Param
	err     error
	n       int
	literal bool // JSON: names are keys as they are

	// Arrays are allocated paramSlab at a time.
	nodes []Param
	arrs  []paramArray
}

// paramSlab is how many arrays are allocated at once.
const paramSlab = 8

// newArray returns a new, empty array.
func (b *paramBuilder) newArray() *Param {
	if len(b.nodes) == 0 {
		b.nodes = make([]Param, paramSlab)
		b.arrs = make([]paramArray, paramSlab)
	}
	p, a := &b.nodes[0], &b.arrs[0]
	b.nodes, b.arrs = b.nodes[1:], b.arrs[1:]
	a.next = math.MinInt64
	p.arr = a
	return p
}

// add registers the pair name=value (value being a string or file Param),
// as php_register_variable_ex does; false means MaxParamVars is reached.
func (b *paramBuilder) add(name string, value *Param) bool {
	if !b.literal && b.n == MaxParamVars {
		b.fail(ErrTooManyParams)
		return false
	}
	b.n++
	root := b.root.arr
	if b.literal {
		root.set(name, value)
		return true
	}
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	name = strings.TrimLeft(name, " ")
	open := strings.IndexByte(name, '[')
	baseEnd := open
	if open < 0 {
		baseEnd = len(name)
	}
	if baseEnd == 0 {
		return true
	}
	base := mangleName(name[:baseEnd], " .")
	index, push := base, false
	cur := root
	if open >= 0 {
		ip := open // at a '['
		for level := 1; ; level++ {
			if level > MaxParamDepth {
				root.del(base)
				b.fail(ErrParamsTooDeep)
				return true
			}
			segStart := ip + 1
			j := segStart
			if j < len(name) && name[j] == ' ' {
				j++
			}
			nextIndex, nextPush := "", false
			if j < len(name) && name[j] == ']' {
				nextPush, ip = true, j
			} else {
				k := strings.IndexByte(name[j:], ']')
				if k < 0 {
					if level == 1 {
						index = base + "_" + mangleName(name[segStart:], " .[")
					}
					break
				}
				nextIndex, ip = name[segStart:j+k], j+k
			}
			// Descend into index, making it an array.
			if push {
				next := b.newArray()
				if !cur.push(next) {
					return true
				}
				cur = next.arr
			} else {
				if forbiddenName(index, name) {
					return true
				}
				i := cur.find(index)
				if i < 0 || cur.vals[i].arr == nil {
					i = cur.set(index, b.newArray())
				}
				cur = cur.vals[i].arr
			}
			index, push = nextIndex, nextPush
			if ip++; ip >= len(name) || name[ip] != '[' {
				break
			}
		}
	}
	if push {
		cur.push(value)
	} else if !forbiddenName(index, name) {
		cur.set(index, value)
	}
	return true
}

func (b *paramBuilder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// done compacts the arrays that lost keys to MaxParamDepth (only the root
// does) and returns the tree.
func (b *paramBuilder) done() (*Param, error) {
	b.root.arr.compact()
	return b.root, b.err
}

// forbiddenName reports whether mangling made key look like a __Host- or
// __Secure- cookie name when name, as sent, did not.
func forbiddenName(key, name string) bool {
	for _, p := range [...]string{"__Host-", "__Secure-"} {
		if strings.HasPrefix(key, p) && !strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// mangleName returns s with each byte of chars replaced by '_'; s itself
// when it has none.
func mangleName(s, chars string) string {
	if !strings.ContainsAny(s, chars) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if strings.IndexByte(chars, c) >= 0 {
			b[i] = '_'
		}
	}
	return string(b)
}

// buildParams builds a tree from pairs (flat values of a query or body).
func buildParams(vs []FormValue, literal bool) (*Param, error) {
	b := paramBuilder{literal: literal}
	b.root = b.newArray()
	if !literal && len(vs) > MaxParamVars {
		vs = vs[:MaxParamVars]
		b.fail(ErrTooManyParams)
	}
	leaves := make([]Param, len(vs)) // one allocation for the strings
	for i := range vs {
		leaves[i].str = vs[i].Value
		b.add(vs[i].Name, &leaves[i])
	}
	return b.done()
}

// QueryParams returns the query parameters as PHP's $_GET (workerman's
// get() without arguments): the root array, never nil, and ErrTooManyParams
// or ErrParamsTooDeep when a cap dropped values (the tree holds the rest).
// It is built on first use.
func (r *Request) QueryParams() (*Param, error) {
	vs := r.parseQuery()
	e := r.extension()
	if e.queryParams == nil {
		e.queryParams, e.queryParamsErr = buildParams(vs, false)
	}
	return e.queryParams, e.queryParamsErr
}

// PostParams returns the body parameters as PHP's $_POST (workerman's
// post() without arguments): the root array, never nil. The error is the
// body's (ParseForm's) when it has one, else ErrTooManyParams or
// ErrParamsTooDeep when a cap dropped values. It is built on first use.
// Uploaded files are in FileParams.
func (r *Request) PostParams() (*Param, error) {
	var vs []FormValue
	var formErr error
	if e := r.parseForm(); e != nil {
		vs, formErr = e.form, e.formErr
	}
	e := r.extension()
	if e.postParams == nil {
		literal := formKindOf(r.Header("Content-Type")) == formJSON
		e.postParams, e.postParamsErr = buildParams(vs, literal)
	}
	if formErr != nil {
		return e.postParams, formErr
	}
	return e.postParams, e.postParamsErr
}

// FileParams returns the uploaded files as a tree of their field names
// ("files[]", "doc[a]"), the shape workerman's file() gives (not PHP's
// $_FILES, which splits each file's name, type, ... into separate
// arrays): each leaf's File is the *UploadedFile. The error is the body's
// when it has one, else ErrParamsTooDeep (files are fewer than
// MaxUploadFiles, so never ErrTooManyParams).
func (r *Request) FileParams() (*Param, error) {
	var files []*UploadedFile
	var formErr error
	if e := r.parseForm(); e != nil {
		files, formErr = e.files, e.formErr
	}
	e := r.extension()
	if e.fileParams == nil {
		b := paramBuilder{}
		b.root = b.newArray()
		for _, f := range files {
			b.add(f.Field, &Param{file: f})
		}
		e.fileParams, e.fileParamsErr = b.done()
	}
	if formErr != nil {
		return e.fileParams, formErr
	}
	return e.fileParams, e.fileParamsErr
}

// GetParam returns the query parameter name, a string or an array, or nil
// (workerman's get($name); PHP's $_GET[$name]). name is a top-level key as
// PHP stores it: "a_b" for a sent "a.b".
func (r *Request) GetParam(name string) *Param {
	p, _ := r.QueryParams()
	return p.Get(name)
}

// PostParam returns the body parameter name, a string or an array, or nil
// (workerman's post($name); PHP's $_POST[$name]).
func (r *Request) PostParam(name string) *Param {
	p, _ := r.PostParams()
	return p.Get(name)
}

// InputParam returns the body parameter name when there is one, else the
// query parameter name, else nil (webman's input($name); PHP's
// $_POST[$name] ?? $_GET[$name]).
func (r *Request) InputParam(name string) *Param {
	if p := r.PostParam(name); p != nil {
		return p
	}
	return r.GetParam(name)
}

// FileParam returns the uploaded files under the field name: a leaf whose
// File is the file ("f"), or an array of them ("files[]", "doc[a]"), or nil
// (workerman's file($name)).
func (r *Request) FileParam(name string) *Param {
	p, _ := r.FileParams()
	return p.Get(name)
}

// GetOr returns the query parameter name when it is a string (even ""),
// else def: absent or an array (workerman's get($name, $default), where
// PHP's ?? keeps an empty string). Unlike Get, a repeated name gives its
// last value, as PHP does.
func (r *Request) GetOr(name, def string) string { return stringOr(r.GetParam(name), def) }

// PostOr returns the body parameter name when it is a string (even ""),
// else def (workerman's post($name, $default)). Like PostParam, it gives
// the last of repeated names.
func (r *Request) PostOr(name, def string) string { return stringOr(r.PostParam(name), def) }

// InputOr returns InputParam(name) when it is a string (even ""), else def
// (webman's input($name, $default)).
func (r *Request) InputOr(name, def string) string { return stringOr(r.InputParam(name), def) }

func stringOr(p *Param, def string) string {
	if p == nil || p.arr != nil || p.file != nil {
		return def
	}
	return p.str
}

// clearParams forgets the trees built from the body, for a body parsed
// again.
func (e *requestExt) clearParams() {
	e.postParams, e.postParamsErr = nil, nil
	e.fileParams, e.fileParamsErr = nil, nil
}

// firstFile returns the first file in p, depth first, or nil.
func firstFile(p *Param) *UploadedFile {
	if p == nil {
		return nil
	}
	if p.file != nil {
		return p.file
	}
	for _, v := range p.List() {
		if f := firstFile(v); f != nil {
			return f
		}
	}
	return nil
}

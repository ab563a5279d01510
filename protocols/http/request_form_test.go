package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// formRequest decodes a POST of body with Content-Type ctype, with a body
// limit that admits it.
func formRequest(t testing.TB, ctype string, body []byte) *Request {
	t.Helper()
	head := "POST /f HTTP/1.1\r\nHost: h\r\nContent-Type: " + ctype +
		"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	raw := append([]byte(head), body...)
	p := NewParser(Limits{MaxBodyBytes: int64(len(body)) + DefaultMaxBodyBytes})
	n, err := p.Input(raw)
	if err != nil || n != len(raw) {
		t.Fatalf("Input: %d of %d, %v", n, len(raw), err)
	}
	r := new(Request)
	if err := p.Decode(raw, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// parseSpooled parses r's body as the codec will once the body is spooled
// to a file: read through rd, never viewed in memory.
func parseSpooled(r *Request, rd io.Reader, size int64) error {
	r.removeTempFiles()
	if r.ext != nil {
		r.ext.formParsed = false
		r.ext.form = r.ext.form[:0]
		r.ext.files = r.ext.files[:0]
	}
	r.parseFormFrom(r.Header("Content-Type"), formSource{rd: rd, size: size})
	return r.ParseForm()
}

// forgetForm makes the next Post parse the body again (for measuring).
func forgetForm(r *Request) {
	r.removeTempFiles()
	if e := r.ext; e != nil {
		e.formParsed = false
		clear(e.form)
		e.form = e.form[:0]
		clear(e.files)
		e.files = e.files[:0]
		e.formErr = nil
	}
}

// bytesAllocated returns how many bytes the heap allocated while f ran.
func bytesAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// bigJSONArray is about size bytes of "[1,2,3,...]".
func bigJSONArray(size int) []byte {
	b := make([]byte, 0, size+16)
	b = append(b, '[')
	for i := 0; len(b) < size; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(i%1000), 10)
	}
	return append(b, ']')
}

// The observed case: a 10 MiB JSON array read with Post cost 5 s of CPU and
// 380 MiB. It is not an object, which its first byte says.
func TestJSONArrayIsNotExpanded(t *testing.T) {
	body := bigJSONArray(10 << 20)
	r := formRequest(t, "application/json", body)
	var got string
	n := bytesAllocated(func() { got = r.Post("message") })
	assert.Equal(t, "", got)
	assert.ErrorIs(t, r.ParseForm(), ErrNotJSONObject)
	assert.Empty(t, r.PostValues())
	assert.Less(t, n, uint64(64<<10), "bytes allocated by Post on a 10 MiB array")

	// Warm, deciding again allocates nothing at all.
	allocs := testing.AllocsPerRun(10, func() {
		forgetForm(r)
		if !errors.Is(r.ParseForm(), ErrNotJSONObject) {
			t.Fatal("want ErrNotJSONObject")
		}
	})
	assert.Zero(t, allocs)

	// The same, spooled: only the first bytes are read.
	rd := &countingReader{r: bytes.NewReader(body)}
	assert.ErrorIs(t, parseSpooled(r, rd, int64(len(body))), ErrNotJSONObject)
	assert.LessOrEqual(t, rd.n, int64(64<<10), "bytes read from a spooled array")
}

func TestJSONNotObjectFirstByte(t *testing.T) {
	for _, body := range []string{
		`[1,2]`, ` \t\r\n[`, `"a"`, `12`, `-1`, `true`, `null`, `x{}`, "\xef\xbb\xbf{}", `[{"a":1}]`,
	} {
		r := formRequest(t, "application/json", []byte(body))
		assert.ErrorIs(t, r.ParseForm(), ErrNotJSONObject, "%q", body)
		assert.Empty(t, r.PostValues(), "%q", body)
	}
}

// nested returns {"a": open×reps inner close×reps}.
func nested(reps int, open, inner, close string) []byte {
	return []byte(`{"a":` + strings.Repeat(open, reps) + inner + strings.Repeat(close, reps) + `}`)
}

func TestJSONDepth(t *testing.T) {
	for _, c := range []struct {
		open, inner, close string
		levels             int // per repetition
	}{
		{"[", "", "]", 1},
		{`{"k":`, "1", "}", 1},
		{` [ { "k" : `, `"v"`, "} ] ", 2},
	} {
		// The top-level object is 1; reps×levels more stay within the cap.
		reps := (MaxJSONDepth - 1) / c.levels
		r := formRequest(t, "application/json", nested(reps, c.open, c.inner, c.close))
		require.NoError(t, r.ParseForm(), "%s×%d", c.open, reps)
		assert.NotEmpty(t, r.Post("a"))

		r = formRequest(t, "application/json", nested(reps+1, c.open, c.inner, c.close))
		assert.ErrorIs(t, r.ParseForm(), ErrJSONTooDeep, "%s×%d", c.open, reps+1)
		assert.Empty(t, r.PostValues())
	}

	// 10 MiB of '[' stops at the cap, without allocating for the rest.
	body := append([]byte(`{"a":`), bytes.Repeat([]byte("["), 10<<20)...)
	r := formRequest(t, "application/json", body)
	var err error
	n := bytesAllocated(func() { err = r.ParseForm() })
	assert.ErrorIs(t, err, ErrJSONTooDeep)
	assert.Less(t, n, uint64(64<<10))
}

// jsonMembers returns an object of n members "k0": 0, "k1": 1, ...
func jsonMembers(n int) []byte {
	b := []byte{'{'}
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `"k`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, int64(i), 10)
	}
	return append(b, '}')
}

func TestJSONMemberCount(t *testing.T) {
	r := formRequest(t, "application/json", jsonMembers(MaxFormValues))
	require.NoError(t, r.ParseForm())
	assert.Len(t, r.PostValues(), MaxFormValues)
	assert.Equal(t, "9999", r.Post("k9999"))

	r = formRequest(t, "application/json", jsonMembers(MaxFormValues+1))
	assert.ErrorIs(t, r.ParseForm(), ErrTooManyValues)
	assert.Len(t, r.PostValues(), MaxFormValues, "the first MaxFormValues are kept")
	assert.Equal(t, "", r.Post("k10000"))
}

// jsonReference is what encoding/json makes of a top-level object: each
// member, strings decoded, others as their text, the last duplicate winning.
func jsonReference(t testing.TB, body []byte) map[string]string {
	var obj map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &obj))
	ref := make(map[string]string, len(obj))
	for k, raw := range obj {
		v := string(raw)
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			require.NoError(t, json.Unmarshal(raw, &s))
			v = s
		}
		ref[k] = v
	}
	return ref
}

// formMap returns the values as a map, failing on a repeated name.
func formMap(t testing.TB, vs []FormValue) map[string]string {
	m := make(map[string]string, len(vs))
	for _, v := range vs {
		if _, dup := m[v.Name]; dup {
			t.Fatalf("name %q repeated", v.Name)
		}
		m[v.Name] = v.Value
	}
	return m
}

var validJSONObjects = []string{
	`{}`,
	` { } `,
	"\t{\n\"a\"\r:\n1\t}\n",
	`{"a":"b"}`,
	`{"a":1,"b":-2.5e+3,"c":0,"d":1E-2,"e":-0.0}`,
	`{"t":true,"f":false,"n":null}`,
	`{"l":[1, 2],"o":{"x":[{}, [], "]"]},"e":[],"eo":{}}`,
	`{"esc":"a\"b\\c\/d\be\ff\ng\rh\ti","u":"\u00e9\u20AC","pair":"\ud83d\ude00"}`,
	`{"lone":"\ud800x","lowfirst":"\udc00\ud800","bad2":"\ud83d\u0041"}`,
	"{\"utf8\":\"h\xc3\xa9llo \xe2\x82\xac\",\"bad\":\"a\xffb\xc3\",\"k\xfe\":1}",
	`{"a":1,"a":2,"b":3,"a":"last"}`,
	`{"":"empty name","x":""}`,
	`{"\u0061":"escaped key","a\u0000b":"nul"}`,
	`{"big":123456789012345678901234567890,"neg":-0,"exp":0e0}`,
	`{"ws":[ 1 , { "a" : [ ] } , "x" ] }`,
}

func TestJSONValuesMatchEncodingJSON(t *testing.T) {
	// More than 16 members, with duplicates, so the map index is used too.
	var dup bytes.Buffer
	dup.WriteString("{")
	for i := 0; i < 40; i++ {
		if i > 0 {
			dup.WriteString(",")
		}
		dup.WriteString(`"k` + strconv.Itoa(i%23) + `":` + strconv.Itoa(i))
	}
	dup.WriteString("}")
	for _, body := range append(validJSONObjects, dup.String()) {
		require.True(t, json.Valid([]byte(body)), body)
		ref := jsonReference(t, []byte(body))
		r := formRequest(t, "application/json", []byte(body))
		require.NoError(t, r.ParseForm(), "%q", body)
		assert.Equal(t, ref, formMap(t, r.PostValues()), "%q", body)
		// Read through a reader a byte at a time, as a spooled body is.
		require.NoError(t, parseSpooled(r, iotest.OneByteReader(strings.NewReader(body)), int64(len(body))), "%q", body)
		assert.Equal(t, ref, formMap(t, r.PostValues()), "spooled %q", body)
	}
	// Duplicates keep the first position and the last value.
	r := formRequest(t, "application/json", []byte(`{"a":1,"b":2,"a":3}`))
	assert.Equal(t, []FormValue{{"a", "3"}, {"b", "2"}}, r.PostValues())
	assert.Equal(t, "3", r.Post("a"))
}

var malformedJSON = []string{
	`{`, ` `, "\n\t ", `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{"a":1 "b":2}`, `{"a":01}`, `{"a":1.}`,
	`{"a":.5}`, `{"a":-}`, `{"a":+1}`, `{"a":1e}`, `{"a":1e+}`, `{"a":tru}`, `{"a":nul}`, `{"a":truex}`,
	`{"a":"` + "\x01" + `"}`, `{"a":"\q"}`, `{"a":"\u12"}`, `{"a":"\u12g4"}`, `{"a":[1,]}`, `{"a":[1 2]}`,
	`{"a":{"b"}}`, `{"a":{1:2}}`, `{"a":1}x`, `{"a":1}}`, `{"a":"unterminated`, `{'a':1}`, `{"a":[}`,
	`{"a":{]}`, `{"a":[1}`, `{"a":{"b":1]}`, `{"a":"b"`, `{"a":"b",`, `{"a":`, `{"a"`, `{"a":NaN}`,
	`{"a":Infinity}`, `{"a":0x1}`, `{"a":1}{"b":2}`, `{"a":[,1]}`, `{"a":[1,,2]}`, `{"a\` + "\n" + `":1}`,
	`{a:1}`, `{"a":'b'}`, `{"a":--1}`, `{"a":-01}`, `{"a":1.e5}`, `{"a":[true false]}`,
}

func TestJSONMalformed(t *testing.T) {
	for _, body := range malformedJSON {
		require.False(t, json.Valid([]byte(body)), body)
		r := formRequest(t, "application/json", []byte(body))
		assert.ErrorIs(t, r.ParseForm(), ErrMalformedJSON, "%q", body)
		assert.Empty(t, r.PostValues(), "%q", body)
		assert.ErrorIs(t, parseSpooled(r, iotest.HalfReader(strings.NewReader(body)), int64(len(body))), ErrMalformedJSON, "%q", body)
	}
}

// FuzzJSONForm compares the JSON form with encoding/json: the same values
// for a valid object, an error for anything else, never a panic.
func FuzzJSONForm(f *testing.F) {
	for _, s := range append(append([]string{`[1]`, `"s"`}, validJSONObjects...), malformedJSON...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 {
			return // an empty body is not parsed
		}
		r := formRequest(t, "application/json", body)
		err := r.ParseForm()
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		switch {
		case len(trimmed) > 0 && trimmed[0] != '{':
			if !errors.Is(err, ErrNotJSONObject) {
				t.Fatalf("%q: %v, want ErrNotJSONObject", body, err)
			}
		case errors.Is(err, ErrJSONTooDeep):
			if bytes.Count(body, []byte("{"))+bytes.Count(body, []byte("[")) <= MaxJSONDepth {
				t.Fatalf("%q: ErrJSONTooDeep", body)
			}
		case json.Valid(body):
			if err != nil {
				t.Fatalf("%q is valid: %v", body, err)
			}
			if ref, got := jsonReference(t, body), formMap(t, r.PostValues()); !assert.ObjectsAreEqual(ref, got) {
				t.Fatalf("%q:\n got %q\nwant %q", body, got, ref)
			}
		default:
			if !errors.Is(err, ErrMalformedJSON) {
				t.Fatalf("%q is not valid: %v", body, err)
			}
			if len(r.PostValues()) != 0 {
				t.Fatalf("%q: values kept after an error", body)
			}
		}
	})
}

// A warm request parses a small JSON object without allocating: values are
// views of the body, as urlencoded ones are.
func TestJSONWarmZeroAlloc(t *testing.T) {
	r := formRequest(t, "application/json; charset=utf-8", []byte(`{"name":"gopher","n":12,"list":[1,2],"o":{"a":null}}`))
	require.Equal(t, "gopher", r.Post("name"))
	allocs := testing.AllocsPerRun(100, func() {
		forgetForm(r)
		if r.Post("name") != "gopher" || r.Post("list") != "[1,2]" {
			t.Fatal("bad parse")
		}
	})
	assert.Zero(t, allocs)
}

func TestURLEncodedValueCount(t *testing.T) {
	var b bytes.Buffer
	for i := 0; i < MaxFormValues; i++ {
		b.WriteString("k" + strconv.Itoa(i) + "=" + strconv.Itoa(i) + "&")
	}
	b.WriteString("&&") // empty pairs are not values
	r := formRequest(t, "application/x-www-form-urlencoded", b.Bytes())
	require.NoError(t, r.ParseForm())
	assert.Len(t, r.PostValues(), MaxFormValues)
	assert.Equal(t, "9999", r.Post("k9999"))

	b.WriteString("over=1")
	r = formRequest(t, "application/x-www-form-urlencoded", b.Bytes())
	assert.ErrorIs(t, r.ParseForm(), ErrTooManyValues)
	assert.Len(t, r.PostValues(), MaxFormValues, "the first MaxFormValues are kept")
	assert.Equal(t, "", r.Post("over"))
}

func TestFormSpooledMatchesMemory(t *testing.T) {
	for _, c := range []struct{ ctype, body string }{
		{"application/x-www-form-urlencoded", "a=1&b=hello+world&c=%E2%82%AC&&d&e=%zz"},
		{"application/json", `{"name":"gopher","n":12,"list":[1, 2],"esc":"a\"b"}`},
	} {
		r := formRequest(t, c.ctype, []byte(c.body))
		require.NoError(t, r.ParseForm())
		want := append([]FormValue(nil), r.PostValues()...)
		for _, rd := range []io.Reader{
			strings.NewReader(c.body),
			iotest.OneByteReader(strings.NewReader(c.body)),
			iotest.DataErrReader(strings.NewReader(c.body)),
		} {
			require.NoError(t, parseSpooled(r, rd, int64(len(c.body))))
			assert.Equal(t, want, r.PostValues())
		}
		// A body shorter than announced, or a failing reader, is an error.
		assert.ErrorIs(t, parseSpooled(r, strings.NewReader(c.body[:5]), int64(len(c.body))), io.ErrUnexpectedEOF)
		assert.ErrorIs(t, parseSpooled(r, iotest.ErrReader(iotest.ErrTimeout), int64(len(c.body))), iotest.ErrTimeout)
	}
}

// endless yields 'a' forever, so that a huge spooled body costs no memory.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestFormBodyTooLarge(t *testing.T) {
	r := formRequest(t, "application/x-www-form-urlencoded", []byte("a=1"))
	rd := &countingReader{r: endless{}}
	var err error
	n := bytesAllocated(func() { err = parseSpooled(r, rd, MaxFormBodyBytes+1) })
	assert.ErrorIs(t, err, ErrFormTooLarge)
	assert.Zero(t, rd.n, "nothing is read")
	assert.Less(t, n, uint64(64<<10))

	r = formRequest(t, "application/json", []byte("{}"))
	assert.ErrorIs(t, parseSpooled(r, endless{}, MaxFormBodyBytes+1), ErrFormTooLarge)
}

// TestFormCostProportional pins the cost of the observed shapes: bytes
// allocated by ParseForm stay below half the body, since values are views
// of it and only escaped ones (a third of these) are decoded into copies.
func TestFormCostProportional(t *testing.T) {
	for _, c := range []struct {
		name, ctype string
		body        []byte
	}{
		{"json object", "application/json", benchJSONObject(10 << 20)},
		{"urlencoded", "application/x-www-form-urlencoded", benchURLEncoded(10 << 20)},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := formRequest(t, c.ctype, c.body)
			var err error
			n := bytesAllocated(func() { err = r.ParseForm() })
			require.NoError(t, err)
			assert.NotEmpty(t, r.PostValues())
			assert.Less(t, n, uint64(len(c.body)/2), "bytes allocated parsing %d bytes", len(c.body))
		})
	}
}

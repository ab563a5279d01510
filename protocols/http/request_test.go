package http

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeOne parses raw, which must hold exactly one request.
func decodeOne(t *testing.T, raw string) *Request {
	t.Helper()
	p := NewParser(Limits{})
	n, err := p.Input([]byte(raw))
	require.NoError(t, err)
	require.Equal(t, len(raw), n)
	r := new(Request)
	require.NoError(t, p.Decode([]byte(raw), r))
	return r
}

func TestRequestAccessors(t *testing.T) {
	r := decodeOne(t, "GET /a/b%20c?x=1&y=a+b&x=2&z=%41%zz&e HTTP/1.1\r\n"+
		"host: Example.com:8080\r\nAccept: a\r\nACCEPT: b\r\nCookie: s=1; t=\"two\"\r\nCookie: u=3\r\n\r\n")
	assert.Equal(t, "GET", r.Method())
	assert.Equal(t, "/a/b%20c?x=1&y=a+b&x=2&z=%41%zz&e", r.URI())
	assert.Equal(t, "/a/b%20c", r.Path())
	assert.Equal(t, "x=1&y=a+b&x=2&z=%41%zz&e", r.QueryString())
	assert.Equal(t, "1.1", r.ProtocolVersion())
	assert.Equal(t, "Example.com:8080", r.Host(false))
	assert.Equal(t, "Example.com", r.Host(true))
	assert.Equal(t, "a, b", r.Header("accept"))
	assert.Equal(t, []string{"a", "b"}, r.HeaderValues("Accept"))
	assert.Equal(t, "", r.Header("missing"))
	assert.Nil(t, r.HeaderValues("missing"))
	assert.Equal(t, "1", r.Get("x"))
	assert.Equal(t, "a b", r.Get("y"))
	assert.Equal(t, "A%zz", r.Get("z"))
	assert.Equal(t, "", r.Get("e"))
	assert.Len(t, r.Query(), 5)
	assert.Equal(t, "1", r.Cookie("s"))
	assert.Equal(t, "two", r.Cookie("t"))
	assert.Equal(t, "3", r.Cookie("u"))
	assert.Equal(t, "", r.Cookie("v"))
	assert.True(t, r.KeepAlive())
	assert.Equal(t, 5, r.HeaderCount())
	n, v := r.HeaderAt(0)
	assert.Equal(t, "host", n)
	assert.Equal(t, "Example.com:8080", v)
	var names []string
	for n := range r.Headers() {
		names = append(names, n)
	}
	assert.Equal(t, []string{"host", "Accept", "ACCEPT", "Cookie", "Cookie"}, names)
	assert.Nil(t, r.Context())
	r.SetContext(42)
	assert.Equal(t, 42, r.Context())
	assert.NoError(t, r.ParseForm())
	assert.Equal(t, "", r.Post("x"))
}

func TestRequestPostURLEncoded(t *testing.T) {
	body := "a=1&b=hello+world&c=%E2%82%AC&&d"
	r := decodeOne(t, "POST /f HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nContent-Length: "+itoa(len(body))+"\r\n\r\n"+body)
	assert.Equal(t, "1", r.Post("a"))
	assert.Equal(t, "hello world", r.Post("b"))
	assert.Equal(t, "€", r.Post("c"))
	assert.Equal(t, "", r.Post("d"))
	assert.Len(t, r.PostValues(), 4)
	assert.NoError(t, r.ParseForm())
}

func TestRequestPostJSON(t *testing.T) {
	body := `{"name":"gopher","n":12,"ok":true,"list":[1, 2],"obj":{"a":null},"esc":"a\"b"}`
	r := decodeOne(t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: "+itoa(len(body))+"\r\n\r\n"+body)
	assert.Equal(t, "gopher", r.Post("name"))
	assert.Equal(t, "12", r.Post("n"))
	assert.Equal(t, "true", r.Post("ok"))
	assert.Equal(t, "[1, 2]", r.Post("list"))
	assert.Equal(t, `{"a":null}`, r.Post("obj"))
	assert.Equal(t, `a"b`, r.Post("esc"))
	assert.NoError(t, r.ParseForm())

	r = decodeOne(t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/vnd.api+json\r\nContent-Length: 5\r\n\r\n[1,2]")
	assert.ErrorIs(t, r.ParseForm(), ErrNotJSONObject)
	r = decodeOne(t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{\"a\":")
	assert.Error(t, r.ParseForm())
	assert.Equal(t, "", r.Post("a"))
}

func TestRequestMultipart(t *testing.T) {
	body := multipartBody
	r := decodeOne(t, "POST /u HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: "+itoa(len(body))+"\r\n\r\n"+body)
	require.NoError(t, r.ParseForm())
	assert.Equal(t, "hello", r.Post("title"))
	f := r.File("upload")
	require.NotNil(t, f)
	assert.Equal(t, "a.txt", f.Name)
	assert.Equal(t, "text/plain", f.Type)
	assert.Equal(t, "file content", string(f.Data))
	assert.Equal(t, int64(12), f.Size)
	assert.Nil(t, r.File("nope"))
	assert.Len(t, r.Files(), 1)

	// Too many parts is an error value, not a panic.
	var b strings.Builder
	for i := 0; i <= MaxMultipartParts; i++ {
		b.WriteString("--B\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n")
	}
	b.WriteString("--B--\r\n")
	r = decodeOne(t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: "+itoa(b.Len())+"\r\n\r\n"+b.String())
	assert.ErrorIs(t, r.ParseForm(), ErrTooManyParts)

	r = decodeOne(t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data\r\nContent-Length: 1\r\n\r\nx")
	assert.ErrorIs(t, r.ParseForm(), ErrNoBoundary)
	r = decodeOne(t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=Q\r\nContent-Length: 9\r\n\r\n--Q\r\ngarb")
	assert.Error(t, r.ParseForm())
}

func TestRequestReuse(t *testing.T) {
	p := NewParser(Limits{})
	var r Request
	for i, raw := range []string{
		"POST /one?a=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\nb=2",
		"GET /two HTTP/1.0\r\n\r\n",
	} {
		n, err := p.Input([]byte(raw))
		require.NoError(t, err)
		require.NoError(t, p.Decode([]byte(raw)[:n], &r))
		if i == 0 {
			assert.Equal(t, "1", r.Get("a"))
			assert.Equal(t, "2", r.Post("b"))
			r.SetContext("x")
			continue
		}
		assert.Equal(t, "/two", r.Path())
		assert.Equal(t, "", r.Get("a"))
		assert.Equal(t, "", r.Post("b"))
		assert.Nil(t, r.Context())
		assert.False(t, r.KeepAlive())
		assert.Equal(t, "", r.Host(false))
		assert.Equal(t, "1.0", r.ProtocolVersion())
	}
}

func TestRequestPathForms(t *testing.T) {
	tests := []struct{ target, method, path, query, host string }{
		{"/p?q#f", "GET", "/p", "q", "h"},
		{"/p#f?x", "GET", "/p", "", "h"},
		{"*", "OPTIONS", "*", "", "h"},
		{"http://a.b", "GET", "/", "", "a.b"},
		{"http://a.b?x=1", "GET", "/", "x=1", "a.b"},
		{"https://u:p@a.b:9/x/y?z", "GET", "/x/y", "z", "a.b:9"},
		{"a.b:443", "CONNECT", "", "", "a.b:443"},
	}
	for _, tt := range tests {
		r := decodeOne(t, tt.method+" "+tt.target+" HTTP/1.1\r\nHost: h\r\n\r\n")
		assert.Equal(t, tt.path, r.Path(), tt.target)
		assert.Equal(t, tt.query, r.QueryString(), tt.target)
		assert.Equal(t, tt.host, r.Host(false), tt.target)
	}
	r := decodeOne(t, "BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n")
	assert.Equal(t, "BREW", r.Method())
}

func itoa(n int) string { return strconv.Itoa(n) }

// multipartBody is a form with one field and one file, boundary "XyZ".
const multipartBody = "--XyZ\r\n" +
	"Content-Disposition: form-data; name=\"title\"\r\n\r\n" +
	"hello\r\n" +
	"--XyZ\r\n" +
	"Content-Disposition: form-data; name=\"upload\"; filename=\"a.txt\"\r\n" +
	"Content-Type: text/plain\r\n\r\n" +
	"file content\r\n" +
	"--XyZ--\r\n"

func TestRequestExtLazy(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		use     func(r *Request)
		wantExt bool
	}{
		{
			name: "hot accessors",
			raw:  "GET /a?x=1 HTTP/1.1\r\nHost: h\r\nCookie: s=1\r\n\r\n",
			use: func(r *Request) {
				_, _, _, _ = r.Method(), r.URI(), r.Path(), r.QueryString()
				_, _, _ = r.Host(true), r.Header("host"), r.Cookie("s")
				_, _, _ = r.RawHead(), r.RawBody(), r.KeepAlive()
			},
		},
		{
			name: "no query, no body, no trailers, no context",
			raw:  "GET /a HTTP/1.1\r\nHost: h\r\n\r\n",
			use: func(r *Request) {
				_, _, _ = r.Get("x"), r.Query(), r.Post("x")
				_, _, _ = r.PostValues(), r.File("f"), r.Files()
				_, _, _ = r.Trailer("t"), r.TrailerCount(), r.Context()
				_ = r.ParseForm()
				r.SetContext(nil)
			},
		},
		{
			name: "empty query",
			raw:  "GET /a? HTTP/1.1\r\nHost: h\r\n\r\n",
			use:  func(r *Request) { _ = r.Get("x") },
		},
		{
			name: "body of a type not parsed",
			raw:  "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\na=1",
			use:  func(r *Request) { _ = r.Post("a") },
		},
		{
			name:    "query",
			raw:     "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n",
			use:     func(r *Request) { _ = r.Get("x") },
			wantExt: true,
		},
		{
			name:    "form",
			raw:     "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=1",
			use:     func(r *Request) { _ = r.Post("a") },
			wantExt: true,
		},
		{
			name:    "trailers",
			raw:     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: v\r\n\r\n",
			use:     func(r *Request) {},
			wantExt: true,
		},
		{
			name:    "context",
			raw:     "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
			use:     func(r *Request) { r.SetContext(1) },
			wantExt: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := decodeOne(t, tt.raw)
			tt.use(r)
			assert.Equal(t, tt.wantExt, r.ext != nil)
		})
	}
}

func TestRequestReuseKeepsExt(t *testing.T) {
	post := []byte("POST /one?a=1&b=2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\n\r\n" +
		"7\r\nc=3&d=4\r\n0\r\nX-T: v\r\n\r\n")
	get := []byte("GET /two HTTP/1.1\r\nHost: h\r\n\r\n")
	p := NewParser(Limits{})
	var r Request
	decode := func(raw []byte) {
		n, err := p.Input(raw)
		if err != nil || n != len(raw) {
			t.Fatal(n, err)
		}
		if err := p.Decode(raw[:n], &r); err != nil {
			t.Fatal(err)
		}
	}

	decode(post)
	assert.Equal(t, "2", r.Get("b"))
	assert.Equal(t, "4", r.Post("d"))
	assert.Equal(t, "v", r.Trailer("x-t"))
	r.SetContext("ctx")
	ext := r.ext
	require.NotNil(t, ext)

	decode(get)
	require.Same(t, ext, r.ext, "the requestExt is kept for the next request")
	assert.Empty(t, r.Query())
	assert.Empty(t, r.PostValues())
	assert.Empty(t, r.Files())
	assert.Equal(t, 0, r.TrailerCount())
	assert.Equal(t, "", r.Trailer("x-t"))
	assert.Nil(t, r.Context())
	assert.NoError(t, r.ParseForm())
	assert.Equal(t, 2, cap(ext.query), "capacity is kept")
	assert.Equal(t, 2, cap(ext.form), "capacity is kept")
	assert.Equal(t, []FormValue{{}, {}}, ext.query[:2], "old views are cleared")

	// With its requestExt warm, a reused Request parses without allocating.
	allocs := testing.AllocsPerRun(100, func() {
		decode(post)
		if r.Get("b") != "2" || r.Post("d") != "4" || r.Trailer("x-t") != "v" {
			t.Fatal("bad decode")
		}
	})
	assert.Zero(t, allocs)
}

func TestRequestClone(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		check func(t *testing.T, r *Request)
	}{
		{
			name: "plain",
			raw:  "BREW /pot?x=%41+b&y=2 HTTP/1.0\r\nHost: h:80\r\nConnection: keep-alive\r\nCookie: s=1\r\n\r\n",
			check: func(t *testing.T, r *Request) {
				assert.Equal(t, "BREW", r.Method())
				assert.Equal(t, "/pot?x=%41+b&y=2", r.URI())
				assert.Equal(t, "/pot", r.Path())
				assert.Equal(t, "x=%41+b&y=2", r.QueryString())
				assert.Equal(t, "h", r.Host(true))
				assert.Equal(t, "1", r.Cookie("s"))
				assert.Equal(t, "1.0", r.ProtocolVersion())
				assert.True(t, r.KeepAlive())
				assert.Equal(t, "A b", r.Get("x"))
				assert.Equal(t, "2", r.Get("y"))
				assert.Nil(t, r.Context())
			},
		},
		{
			name: "urlencoded and trailers",
			raw: "POST /f?q=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n" +
				"Content-Type: application/x-www-form-urlencoded\r\n\r\n" +
				"4\r\na=1&\r\n9\r\nb=x+y&c=3\r\n0\r\nX-Sum: 12\r\n\r\n",
			check: func(t *testing.T, r *Request) {
				assert.Equal(t, "1", r.Get("q"))
				assert.Equal(t, []FormValue{{"a", "1"}, {"b", "x y"}, {"c", "3"}}, r.PostValues())
				assert.Equal(t, "a=1&b=x+y&c=3", string(r.RawBody()))
				assert.True(t, r.Chunked())
				assert.Equal(t, "12", r.Trailer("x-sum"))
				assert.Equal(t, 1, r.TrailerCount())
				assert.Equal(t, "ctx", r.Context())
			},
		},
		{
			name: "multipart",
			raw: "POST /u HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n" +
				"Content-Length: " + itoa(len(multipartBody)) + "\r\n\r\n" + multipartBody,
			check: func(t *testing.T, r *Request) {
				require.NoError(t, r.ParseForm())
				assert.Equal(t, "hello", r.Post("title"))
				f := r.File("upload")
				require.NotNil(t, f)
				assert.Equal(t, "a.txt", f.Name)
				assert.Equal(t, "file content", string(f.Data))
				assert.Equal(t, "ctx", r.Context())
			},
		},
		{
			name: "JSON error",
			raw:  "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n[1,2]",
			check: func(t *testing.T, r *Request) {
				assert.ErrorIs(t, r.ParseForm(), ErrNotJSONObject)
			},
		},
	}
	other := "PUT /zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz?q=9&x=9&y=9 HTTP/1.1\r\n" +
		"Host: other\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\n" +
		"a=9&b=9&c=9"
	for _, tt := range tests {
		for _, parsed := range []bool{false, true} {
			t.Run(tt.name+"/parsed="+strconv.FormatBool(parsed), func(t *testing.T) {
				p := NewParser(Limits{})
				var r Request
				n, err := p.Input([]byte(tt.raw))
				require.NoError(t, err)
				require.NoError(t, p.Decode([]byte(tt.raw)[:n], &r))
				if tt.name != "plain" {
					r.SetContext("ctx")
				}
				if parsed {
					tt.check(t, &r) // the clone copies the parsed state
				}
				c := r.Clone()
				if r.ext != nil {
					assert.NotSame(t, r.ext, c.ext)
				}

				// Scribble over r's bytes and files, then reuse r for another
				// request: the clone must not see any of it.
				for _, f := range r.Files() {
					for i := range f.Data {
						f.Data[i] = 'z'
					}
				}
				b := r.buf[:cap(r.buf)]
				for i := range b {
					b[i] = 'z'
				}
				n, err = p.Input([]byte(other))
				require.NoError(t, err)
				require.NoError(t, p.Decode([]byte(other)[:n], &r))
				assert.Equal(t, "9", r.Get("q"))
				assert.Equal(t, "9", r.Post("a"))
				tt.check(t, c)
			})
		}
	}
}

package http

import (
	"bufio"
	"bytes"
	"io"
	nethttp "net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gnetworker/gnetworker/protocols"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var dateLine = regexp.MustCompile(`Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n`)

// encodeForTest encodes r and replaces the Date value with a fixed marker.
func encodeForTest(t *testing.T, r *Response, ec encodeContext) (string, responseKind) {
	t.Helper()
	out, kind, err := appendResponse(nil, r, ec)
	require.NoError(t, err)
	return dateLine.ReplaceAllString(string(out), "Date: D\r\n"), kind
}

var keepAlive11 = encodeContext{keepAlive: true}

func TestResponseDefaults(t *testing.T) {
	got, kind := encodeForTest(t, NewResponse(200, nil, "hello"), keepAlive11)
	assert.Equal(t, kindComplete, kind)
	assert.Equal(t, "HTTP/1.1 200 OK\r\n"+
		"Content-Type: text/html;charset=utf-8\r\n"+
		"Content-Length: 5\r\n"+
		"Connection: keep-alive\r\n"+
		"Date: D\r\n"+
		"\r\nhello", got)

	got, _ = encodeForTest(t, &Response{}, encodeContext{})
	assert.Equal(t, "HTTP/1.1 200 OK\r\n"+
		"Content-Type: text/html;charset=utf-8\r\n"+
		"Content-Length: 0\r\n"+
		"Connection: close\r\n"+
		"Date: D\r\n\r\n", got)
}

func TestResponseConnectionHeader(t *testing.T) {
	tests := []struct {
		name string
		ec   encodeContext
		want string
	}{
		{"1.1 keep-alive", encodeContext{keepAlive: true}, "Connection: keep-alive\r\n"},
		{"1.1 close", encodeContext{}, "Connection: close\r\n"},
		{"1.0 keep-alive", encodeContext{http10: true, keepAlive: true}, "Connection: keep-alive\r\n"},
		{"1.0 close", encodeContext{http10: true}, "Connection: close\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A user's Connection header never overrides the server's choice.
			r := NewResponse(200, map[string]string{"connection": "upgrade"}, "x")
			got, _ := encodeForTest(t, r, tt.ec)
			assert.True(t, strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n"), "always answers HTTP/1.1")
			assert.Contains(t, got, tt.want)
			assert.Equal(t, 1, strings.Count(strings.ToLower(got), "connection:"))
		})
	}
}

func TestResponseCloses(t *testing.T) {
	assert.False(t, responseCloses(nil))
	assert.False(t, responseCloses(NewResponse(200, nil, "")))
	assert.True(t, responseCloses(NewResponse(200, map[string]string{"Connection": "close"}, "")))
	assert.True(t, responseCloses(NewResponse(200, map[string]string{"CONNECTION": "foo, Close "}, "")))
	assert.False(t, responseCloses(NewResponse(200, map[string]string{"Connection": "closed"}, "")))
}

func TestResponseHeadersOrderAndReplace(t *testing.T) {
	r := NewResponse(201, map[string]string{"X-B": "2", "X-A": "1", "X-C": "3"}, "")
	r.WithHeader("x-a", "one").WithHeader("X-D", "4").WithoutHeader("X-C")
	assert.Equal(t, "one", r.Header("X-A"))
	assert.Equal(t, "2", r.Header("x-b"))
	assert.Equal(t, "", r.Header("X-C"))
	got, _ := encodeForTest(t, r, keepAlive11)
	assert.Equal(t, "HTTP/1.1 201 Created\r\n"+
		"x-a: one\r\nX-B: 2\r\nX-D: 4\r\n"+
		"Content-Type: text/html;charset=utf-8\r\nContent-Length: 0\r\n"+
		"Connection: keep-alive\r\nDate: D\r\n\r\n", got)

	// Replacing a header that appears several times keeps the first place.
	r = &Response{}
	r.headers = []headerField{{"A", "1"}, {"B", "2"}, {"a", "3"}}
	r.WithHeader("A", "x")
	assert.Equal(t, []headerField{{"A", "x"}, {"B", "2"}}, r.headers)
}

func TestResponseUserHeadersWin(t *testing.T) {
	r := NewResponse(200, map[string]string{
		"Content-Type": "application/json",
		"Date":         "Thu, 01 Jan 2026 00:00:00 GMT",
	}, "{}")
	out, _, err := appendResponse(nil, r, keepAlive11)
	require.NoError(t, err)
	s := string(out)
	assert.Contains(t, s, "Content-Type: application/json\r\n")
	assert.NotContains(t, s, "text/html")
	assert.Equal(t, 1, strings.Count(s, "Date:"))
	assert.Contains(t, s, "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n")
}

func TestResponseStatus(t *testing.T) {
	tests := []struct {
		code   int
		reason []string
		line   string
	}{
		{0, nil, "HTTP/1.1 200 OK\r\n"},
		{404, nil, "HTTP/1.1 404 Not Found\r\n"},
		{418, nil, "HTTP/1.1 418 I'm a teapot\r\n"},
		{299, nil, "HTTP/1.1 299 Success\r\n"},
		{599, nil, "HTTP/1.1 599 Server Error\r\n"},
		{999, nil, "HTTP/1.1 999 Unknown Status\r\n"},
		{200, []string{"Fine"}, "HTTP/1.1 200 Fine\r\n"},
	}
	for _, tt := range tests {
		got, _ := encodeForTest(t, (&Response{}).WithStatus(tt.code, tt.reason...), keepAlive11)
		assert.True(t, strings.HasPrefix(got, tt.line), "%d: %q", tt.code, got)
	}
	for _, code := range []int{-1, 1, 99, 1000, 1 << 40} {
		dst := []byte("keep")
		out, _, err := appendResponse(dst, NewResponse(code, nil, ""), keepAlive11)
		assert.ErrorIs(t, err, ErrInvalidStatusCode, "code %d", code)
		assert.Equal(t, "keep", string(out))
	}
	_, _, err := appendResponse(nil, (&Response{}).WithStatus(200, "OK\r\nX-Evil: 1"), keepAlive11)
	assert.ErrorIs(t, err, ErrInvalidStatusCode)
}

func TestResponseRefusesInjection(t *testing.T) {
	tests := []struct{ name, value string }{
		{"X-A", "a\r\nX-Evil: 1"},
		{"X-A", "a\nb"},
		{"X-A", "a\rb"},
		{"X-A", "a\x00b"},
		{"X-A", "a\x7fb"},
		{"X-A", "\x01"},
		{"X-A\r\nX-Evil", "1"},
		{"X A", "1"},
		{"X:A", "1"},
		{"", "1"},
		{"X-\x00", "1"},
		{"Ünicode", "1"},
	}
	for _, tt := range tests {
		dst := []byte("prefix")
		out, _, err := appendResponse(dst, NewResponse(200, nil, "").WithHeader(tt.name, tt.value), keepAlive11)
		assert.ErrorIs(t, err, ErrInvalidResponseHeader, "%q: %q", tt.name, tt.value)
		assert.Equal(t, "prefix", string(out), "nothing appended on error")
	}
	// HTAB and obs-text are legal in values.
	_, _, err := appendResponse(nil, NewResponse(200, nil, "").WithHeader("X-A", "a\tb \xff"), keepAlive11)
	assert.NoError(t, err)
}

func TestResponseBodilessStatuses(t *testing.T) {
	for _, code := range []int{204, 304} {
		r := NewResponse(code, map[string]string{"Content-Length": "5", "Transfer-Encoding": "chunked"}, "hello")
		got, kind := encodeForTest(t, r, keepAlive11)
		assert.Equal(t, kindComplete, kind)
		assert.NotContains(t, got, "Content-Length")
		assert.NotContains(t, got, "Transfer-Encoding")
		assert.NotContains(t, got, "Content-Type")
		assert.True(t, strings.HasSuffix(got, "\r\n\r\n"), "no body: %q", got)
	}
	got, kind := encodeForTest(t, NewResponse(100, nil, "x"), keepAlive11)
	assert.Equal(t, kindInformational, kind)
	assert.Equal(t, "HTTP/1.1 100 Continue\r\n\r\n", got)

	got, kind = encodeForTest(t, NewResponse(101, map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}, ""), keepAlive11)
	assert.Equal(t, kindInformational, kind)
	assert.Equal(t, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", got)
}

func TestResponseContentLength(t *testing.T) {
	// The body's real length wins over a user's Content-Length...
	got, _ := encodeForTest(t, NewResponse(200, map[string]string{"Content-Length": "99"}, "abc"), keepAlive11)
	assert.Contains(t, got, "Content-Length: 3\r\n")
	assert.NotContains(t, got, "99")
	// ...except for HEAD, where it states the GET length.
	head := encodeContext{head: true, keepAlive: true}
	got, _ = encodeForTest(t, NewResponse(200, map[string]string{"Content-Length": "99"}, ""), head)
	assert.Contains(t, got, "Content-Length: 99\r\n")
	assert.True(t, strings.HasSuffix(got, "\r\n\r\n"))
	_, _, err := appendResponse(nil, NewResponse(200, map[string]string{"Content-Length": "9x"}, ""), head)
	assert.ErrorIs(t, err, ErrInvalidResponseHeader)
	// HEAD without a user length: the body's length, no body bytes.
	got, kind := encodeForTest(t, NewResponse(200, nil, "hello"), head)
	assert.Equal(t, kindComplete, kind)
	assert.Contains(t, got, "Content-Length: 5\r\n")
	assert.True(t, strings.HasSuffix(got, "\r\n\r\n"))
}

func TestResponseBodyVariants(t *testing.T) {
	r := NewResponse(200, nil, "s")
	assert.Equal(t, []byte("s"), r.Body())
	r.WithBodyBytes([]byte("bytes"))
	assert.Equal(t, []byte("bytes"), r.Body())
	got, _ := encodeForTest(t, r, keepAlive11)
	assert.True(t, strings.HasSuffix(got, "Content-Length: 5\r\nConnection: keep-alive\r\nDate: D\r\n\r\nbytes"))
	r.WithBody("str")
	assert.Equal(t, []byte("str"), r.Body())
	assert.Equal(t, 200, r.Status())
}

func TestResponseChunked(t *testing.T) {
	r := NewResponse(200, map[string]string{"Transfer-Encoding": "chunked", "Content-Length": "3"}, "first")
	got, kind := encodeForTest(t, r, keepAlive11)
	assert.Equal(t, kindChunked, kind)
	assert.Equal(t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"+
		"Content-Type: text/html;charset=utf-8\r\nConnection: keep-alive\r\nDate: D\r\n\r\n"+
		"5\r\nfirst\r\n", got)

	// No body: header block only.
	got, _ = encodeForTest(t, NewResponse(200, map[string]string{"Transfer-Encoding": "chunked"}, ""), keepAlive11)
	assert.True(t, strings.HasSuffix(got, "Date: D\r\n\r\n"))

	// HTTP/1.0 has no chunked coding: unframed body, close-delimited.
	got, kind = encodeForTest(t, r, encodeContext{http10: true, keepAlive: true})
	assert.Equal(t, kindUnframed, kind)
	assert.True(t, kind.closesConnection())
	assert.NotContains(t, got, "Transfer-Encoding")
	assert.NotContains(t, got, "Content-Length")
	assert.Contains(t, got, "Connection: close\r\n")
	assert.True(t, strings.HasSuffix(got, "\r\n\r\nfirst"))

	// HEAD: header block, no chunk.
	got, kind = encodeForTest(t, r, encodeContext{head: true, keepAlive: true})
	assert.Equal(t, kindChunked, kind)
	assert.True(t, strings.HasSuffix(got, "Date: D\r\n\r\n"))

	for _, te := range []string{"gzip", "chunked, chunked", "chunked, gzip", ""} {
		_, _, err := appendResponse(nil, NewResponse(200, map[string]string{"Transfer-Encoding": te}, ""), keepAlive11)
		assert.ErrorIs(t, err, ErrInvalidResponseHeader, te)
	}
	_, kind, err := appendResponse(nil, NewResponse(200, map[string]string{"Transfer-Encoding": "gzip, Chunked"}, ""), keepAlive11)
	require.NoError(t, err)
	assert.Equal(t, kindChunked, kind)
}

func TestResponseEventStream(t *testing.T) {
	for _, ct := range []string{"text/event-stream", "Text/Event-Stream; charset=utf-8"} {
		// The seed's response: the "\r\n" body is not sent (workerman sends
		// the header block only).
		r := NewResponse(200, map[string]string{"Content-Type": ct}, "\r\n")
		got, kind := encodeForTest(t, r, keepAlive11)
		assert.Equal(t, kindEventStream, kind)
		assert.Equal(t, "HTTP/1.1 200 OK\r\nContent-Type: "+ct+"\r\nConnection: close\r\nDate: D\r\n\r\n", got)
	}
	// 204 tells an EventSource to stop: a complete bodiless response.
	_, kind := encodeForTest(t, NewResponse(204, map[string]string{"Content-Type": "text/event-stream"}, ""), keepAlive11)
	assert.Equal(t, kindComplete, kind)
}

func TestResponseCookie(t *testing.T) {
	r := NewResponse(200, nil, "").
		Cookie("a", "1").
		Cookie("b", "x y;z=é", CookieOptions{MaxAge: 60, Path: "/", Domain: "example.com", Secure: true, HTTPOnly: true, SameSite: "lax"}).
		Cookie("gone", "", CookieOptions{MaxAge: -1})
	got, _ := encodeForTest(t, r, keepAlive11)
	assert.Contains(t, got, "Set-Cookie: a=1\r\n"+
		"Set-Cookie: b=x%20y%3Bz%3D%C3%A9; Domain=example.com; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Lax\r\n"+
		"Set-Cookie: gone=; Max-Age=0\r\n")

	bad := []*Response{
		NewResponse(200, nil, "").Cookie("a b", "1"),
		NewResponse(200, nil, "").Cookie("", "1"),
		NewResponse(200, nil, "").Cookie("a", "1", CookieOptions{Path: "/; Domain=evil"}),
		NewResponse(200, nil, "").Cookie("a", "1", CookieOptions{Domain: "x\r\n"}),
		NewResponse(200, nil, "").Cookie("a", "1", CookieOptions{SameSite: "sometimes"}),
	}
	for i, r := range bad {
		_, _, err := appendResponse(nil, r, keepAlive11)
		assert.ErrorIs(t, err, ErrInvalidCookie, "case %d", i)
	}
}

func TestResponseNil(t *testing.T) {
	_, _, err := appendResponse(nil, nil, keepAlive11)
	assert.ErrorIs(t, err, ErrNilResponse)
}

// TestResponseParsesWithNetHTTP checks the output against an independent
// HTTP/1.1 parser.
func TestResponseParsesWithNetHTTP(t *testing.T) {
	r := NewResponse(404, map[string]string{"X-Tab": "a\tb"}, "not here").Cookie("k", "v w")
	out, _, err := appendResponse(nil, r, keepAlive11)
	require.NoError(t, err)
	resp, err := nethttp.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, 404, resp.StatusCode)
	assert.Equal(t, "not here", string(body))
	assert.Equal(t, int64(8), resp.ContentLength)
	assert.Equal(t, "a\tb", resp.Header.Get("X-Tab"))
	assert.Equal(t, "k=v%20w", resp.Header.Get("Set-Cookie"))
	assert.False(t, resp.Close)

	// A chunked response with its terminator.
	r = NewResponse(200, map[string]string{"Transfer-Encoding": "chunked"}, "one,")
	out, kind, err := appendResponse(nil, r, keepAlive11)
	require.NoError(t, err)
	msgs := []any{NewChunkString("two,"), "three,", ServerSentEvents{Data: "x"}, NewChunk(nil)}
	for i, m := range msgs {
		var last bool
		out, last, err = appendStreamMessage(out, m, kind, false)
		require.NoError(t, err)
		assert.Equal(t, i == len(msgs)-1, last)
	}
	resp, err = nethttp.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
	require.NoError(t, err)
	body, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "one,two,three,data: x\n\n", string(body))
}

func TestResponseTextAppend(t *testing.T) {
	out := appendTextResponse([]byte("pre"), "ok", keepAlive11)
	assert.Equal(t, "preHTTP/1.1 200 OK\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 2\r\n"+
		"Connection: keep-alive\r\nDate: D\r\n\r\nok", dateLine.ReplaceAllString(string(out), "Date: D\r\n"))
	out = appendTextResponse(nil, []byte("bytes"), encodeContext{head: true, http10: true})
	assert.Equal(t, "HTTP/1.1 200 OK\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 5\r\n"+
		"Connection: close\r\nDate: D\r\n\r\n", dateLine.ReplaceAllString(string(out), "Date: D\r\n"))
	// Same bytes as the equivalent Response.
	a := appendTextResponse(nil, "same", keepAlive11)
	b, _, err := appendResponse(nil, NewResponse(200, nil, "same"), keepAlive11)
	require.NoError(t, err)
	assert.Equal(t, dateLine.ReplaceAll(a, nil), dateLine.ReplaceAll(b, nil))
}

func TestResponseStreamMessage(t *testing.T) {
	ev := ServerSentEvents{Event: "message", Data: "hello", ID: "1"}
	tests := []struct {
		name string
		msg  any
		kind responseKind
		head bool
		want string
		last bool
		err  error
	}{
		{"chunk chunked", NewChunkString("abc"), kindChunked, false, "3\r\nabc\r\n", false, nil},
		{"terminator chunked", NewChunk(nil), kindChunked, false, "0\r\n\r\n", true, nil},
		{"chunk pointer", &Chunk{s: "ab", isStr: true}, kindChunked, false, "2\r\nab\r\n", false, nil},
		{"chunk unframed", NewChunk([]byte("abc")), kindUnframed, false, "abc", false, nil},
		{"terminator unframed", NewChunkString(""), kindUnframed, false, "", true, nil},
		{"event stream", ev, kindEventStream, false, "event: message\nid: 1\ndata: hello\n\n", false, nil},
		{"event pointer", &ev, kindEventStream, false, "event: message\nid: 1\ndata: hello\n\n", false, nil},
		{"event in chunked", ev, kindChunked, false, "22\r\nevent: message\nid: 1\ndata: hello\n\n\r\n", false, nil},
		{"empty event in chunked", ServerSentEvents{}, kindChunked, false, "", false, nil},
		{"bytes", []byte("xy"), kindChunked, false, "2\r\nxy\r\n", false, nil},
		{"empty string is no terminator", "", kindChunked, false, "", false, nil},
		{"head drops data", NewChunkString("abc"), kindChunked, true, "", false, nil},
		{"head terminator", NewChunk(nil), kindChunked, true, "", true, nil},
		{"head event", ev, kindEventStream, true, "", false, nil},
		{"invalid event", ServerSentEvents{ID: "a\nb"}, kindEventStream, false, "", false, ErrInvalidEventField},
		{"not streaming", NewChunkString("a"), kindComplete, false, "", false, protocols.ErrUnsupportedMessage},
		{"unsupported", 42, kindChunked, false, "", false, protocols.ErrUnsupportedMessage},
		{"nil chunk pointer", (*Chunk)(nil), kindChunked, false, "", false, protocols.ErrUnsupportedMessage},
		{"nil event pointer", (*ServerSentEvents)(nil), kindChunked, false, "", false, protocols.ErrUnsupportedMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, last, err := appendStreamMessage([]byte(">"), tt.msg, tt.kind, tt.head)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
			} else {
				assert.NoError(t, err)
			}
			assert.Equal(t, ">"+tt.want, string(out))
			assert.Equal(t, tt.last, last)
		})
	}
}

func TestResponseStatusReasonNeverPanics(t *testing.T) {
	for _, c := range []int{-1 << 62, -1, 0, 600, 1 << 62} {
		assert.NotEmpty(t, statusReason(c))
	}
}

// FuzzResponseEncode checks that no input makes the encoder panic, and
// that whatever it accepts parses back with net/http as one response with
// the given header and body.
func FuzzResponseEncode(f *testing.F) {
	f.Add(200, "X-A", "v", "body", false, "1.1")
	f.Add(101, "Connection", "upgrade", "", true, "1.0")
	f.Add(200, "Transfer-Encoding", "chunked", "b", false, "1.0")
	f.Add(200, "X-A", "a\r\nB: c", "", false, "1.1")
	f.Fuzz(func(t *testing.T, status int, name, value, body string, head bool, version string) {
		r := NewResponse(status, nil, body).WithHeader(name, value)
		ec := encodeContext{head: head, http10: version == "1.0", keepAlive: true}
		out, kind, err := appendResponse(nil, r, ec)
		if err != nil {
			assert.Empty(t, out)
			return
		}
		// Sent again, from the cached start once there is one: the same.
		for range 2 {
			again, againKind, err := appendResponse(nil, r, ec)
			require.NoError(t, err)
			assert.Equal(t, kind, againKind)
			assert.Equal(t, dateLine.ReplaceAllString(string(out), ""), dateLine.ReplaceAllString(string(again), ""))
		}
		if kind != kindComplete || status < 200 || head {
			return
		}
		resp, err := nethttp.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
		if status > 999 || status < 100 {
			t.Fatalf("accepted status %d", status)
		}
		require.NoError(t, err, "%q", out)
		got, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		if status != 204 && status != 304 {
			assert.Equal(t, body, string(got))
		}
		if classifyHeader(name) == hdrOther && !strings.EqualFold(name, "set-cookie") {
			// net/http trims surrounding whitespace of values.
			assert.Equal(t, strings.Trim(value, " \t"), resp.Header.Get(name))
		}
	})
}

func BenchmarkAppendResponse(b *testing.B) {
	r := NewResponse(200, map[string]string{
		"Content-Type":  "application/json",
		"Cache-Control": "no-cache",
		"X-Request-Id":  "0123456789abcdef",
	}, `{"message":"Hello, World!"}`)
	dst := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, _, err := appendResponse(dst[:0], r, keepAlive11)
		if err != nil {
			b.Fatal(err)
		}
		dst = out
	}
	b.SetBytes(int64(len(dst)))
}

func BenchmarkAppendTextResponse(b *testing.B) {
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		dst = appendTextResponse(dst[:0], "Hello, World!", keepAlive11)
	}
}

// A Response sent again and again is encoded from a cached start after its
// second encoding: whatever the request, the bytes must be those a fresh
// encoding gives, and a builder method must drop the cache.
func TestResponseWireCache(t *testing.T) {
	contexts := map[string]encodeContext{
		"1.1 keep-alive": {keepAlive: true},
		"1.1 close":      {},
		"1.0 keep-alive": {http10: true, keepAlive: true},
		"1.0 close":      {http10: true},
		"HEAD":           {head: true, keepAlive: true},
	}
	responses := map[string]func() *Response{
		"hello": func() *Response {
			return NewResponse(200, map[string]string{"Content-Type": "text/plain"}, "Hello, World!")
		},
		"no content": func() *Response { return NewResponse(204, map[string]string{"X-A": "1"}, "") },
		"not found":  func() *Response { return NewResponse(404, nil, "missing") },
		"user date": func() *Response {
			return NewResponse(200, map[string]string{"Date": "Mon, 01 Jan 2024 00:00:00 GMT"}, "x")
		},
		"bytes body":  func() *Response { return NewResponse(201, nil, "").WithBodyBytes([]byte("made")) },
		"close asked": func() *Response { return NewResponse(200, map[string]string{"Connection": "close"}, "bye") },
		"chunked":     func() *Response { return NewResponse(200, map[string]string{"Transfer-Encoding": "chunked"}, "c") },
		"with length": func() *Response { return NewResponse(200, map[string]string{"Content-Length": "99"}, "abc") },
	}
	for rname, build := range responses {
		for warm, warmCtx := range contexts {
			t.Run(rname+"/warmed by "+warm, func(t *testing.T) {
				r := build()
				for range 3 { // the second encoding fills the cache
					encodeForTest(t, r, warmCtx)
				}
				for cname, ec := range contexts {
					want, wantKind := encodeForTest(t, build(), ec)
					got, kind := encodeForTest(t, r, ec)
					assert.Equal(t, want, got, "encoded for %s", cname)
					assert.Equal(t, wantKind, kind, "kind for %s", cname)
				}
			})
		}
	}

	changes := map[string]func(r *Response){
		"status":         func(r *Response) { r.WithStatus(202) },
		"header":         func(r *Response) { r.WithHeader("X-New", "1") },
		"without header": func(r *Response) { r.WithoutHeader("Content-Type") },
		"body":           func(r *Response) { r.WithBody("longer body") },
		"body bytes":     func(r *Response) { r.WithBodyBytes([]byte("b")) },
		"cookie":         func(r *Response) { r.Cookie("id", "v") },
	}
	for name, change := range changes {
		t.Run("change "+name, func(t *testing.T) {
			r, fresh := responses["hello"](), responses["hello"]()
			for range 3 {
				encodeForTest(t, r, keepAlive11)
			}
			change(r)
			change(fresh)
			want, _ := encodeForTest(t, fresh, keepAlive11)
			for range 3 {
				got, _ := encodeForTest(t, r, keepAlive11)
				assert.Equal(t, want, got)
			}
		})
	}

	t.Run("builder error", func(t *testing.T) {
		r := responses["hello"]()
		for range 3 {
			encodeForTest(t, r, keepAlive11)
		}
		r.Cookie("bad name", "v")
		_, _, err := appendResponse(nil, r, keepAlive11)
		assert.ErrorIs(t, err, ErrInvalidCookie)
	})

	t.Run("built per request: never cached", func(t *testing.T) {
		r := responses["hello"]()
		encodeForTest(t, r, keepAlive11)
		assert.Nil(t, r.wire.Load())
		encodeForTest(t, r, keepAlive11)
		assert.NotNil(t, r.wire.Load())
	})
}

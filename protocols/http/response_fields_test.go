package http

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResponseAddedHeader(t *testing.T) {
	r := NewResponse(200, nil, "").
		WithAddedHeader("Link", "</a.css>; rel=preload").
		WithHeader("X-A", "1").
		WithAddedHeader("link", "</b.js>; rel=preload")
	got, _ := encodeForTest(t, r, keepAlive11)
	assert.Contains(t, got, "Link: </a.css>; rel=preload\r\nX-A: 1\r\nlink: </b.js>; rel=preload\r\n")
	assert.Equal(t, "</a.css>; rel=preload", r.Header("Link"), "Header gives the first")

	// WithHeader replaces them all, in the first one's place.
	r.WithHeader("Link", "</c>")
	got, _ = encodeForTest(t, r, keepAlive11)
	assert.Contains(t, got, "\r\nLink: </c>\r\nX-A: 1\r\n")
	assert.Equal(t, 1, strings.Count(strings.ToLower(got), "link:"))

	// An invalid one is refused when encoded, as WithHeader's are.
	_, _, err := appendResponse(nil, NewResponse(200, nil, "").WithAddedHeader("Link", "a\r\nX-Evil: 1"), keepAlive11)
	assert.ErrorIs(t, err, ErrInvalidResponseHeader)

	// A cached encoding is dropped when a header is added.
	h := NewResponse(200, nil, "x")
	for range 3 {
		_, _, err = appendResponse(nil, h, keepAlive11)
		require.NoError(t, err)
	}
	h.WithAddedHeader("X-Late", "1")
	got, _ = encodeForTest(t, h, keepAlive11)
	assert.Contains(t, got, "X-Late: 1\r\n")
}

func TestResponseHeadersIterator(t *testing.T) {
	r := NewResponse(200, map[string]string{"B": "2", "A": "1"}, "").
		WithAddedHeader("Link", "<x>").
		WithAddedHeader("Link", "<y>").
		Cookie("s", "v")
	var got [][2]string
	for name, value := range r.Headers() {
		got = append(got, [2]string{name, value})
	}
	assert.Equal(t, [][2]string{{"A", "1"}, {"B", "2"}, {"Link", "<x>"}, {"Link", "<y>"}, {"Set-Cookie", "s=v"}}, got)

	// Stopping early is honoured.
	n := 0
	for range r.Headers() {
		n++
		break
	}
	assert.Equal(t, 1, n)
	for range (&Response{}).Headers() {
		t.Fatal("a new Response has no headers")
	}
}

func TestResponseProtocolVersion(t *testing.T) {
	r := NewResponse(200, nil, "hi")
	assert.Equal(t, "1.1", r.ProtocolVersion())

	r.WithProtocolVersion("1.0")
	assert.Equal(t, "1.0", r.ProtocolVersion())
	got, kind := encodeForTest(t, r, keepAlive11)
	assert.Equal(t, kindComplete, kind)
	assert.True(t, strings.HasPrefix(got, "HTTP/1.0 200 OK\r\n"), got)
	// HTTP/1.0 keeps a connection open only when told: the header says so.
	assert.Contains(t, got, "Content-Length: 2\r\nConnection: keep-alive\r\n")
	for range 3 { // the cached form keeps the version
		got, _ = encodeForTest(t, r, keepAlive11)
		assert.True(t, strings.HasPrefix(got, "HTTP/1.0 200 OK\r\n"), got)
	}

	// An HTTP/1.0 response has no chunked coding, even to an HTTP/1.1
	// request: the body is delimited by the close.
	c := NewResponse(200, map[string]string{"Transfer-Encoding": "chunked"}, "ab").WithProtocolVersion("1.0")
	got, kind = encodeForTest(t, c, keepAlive11)
	assert.Equal(t, kindUnframed, kind)
	assert.True(t, strings.HasPrefix(got, "HTTP/1.0 200 OK\r\n"), got)
	assert.NotContains(t, got, "Transfer-Encoding")
	assert.Contains(t, got, "Connection: close\r\n")

	// "1.1" to an HTTP/1.0 request still frames as HTTP/1.0 allows.
	c.WithProtocolVersion("1.1")
	got, kind = encodeForTest(t, c, encodeContext{http10: true, keepAlive: true})
	assert.Equal(t, kindUnframed, kind)
	assert.True(t, strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n"), got)

	for _, v := range []string{"2", "2.0", "1.2", "HTTP/1.1", "", "1.0\r\nX: y"} {
		_, _, err := appendResponse(nil, NewResponse(200, nil, "").WithProtocolVersion(v), keepAlive11)
		assert.ErrorIs(t, err, ErrInvalidProtocolVersion, "%q", v)
	}
}

func TestResponseFileSectionEncodes206(t *testing.T) {
	dir := t.TempDir()
	p := writeTestFile(t, dir, "a.txt", []byte("0123456789"))
	head, f, off, n, err := prepareFile(NewResponse(200, nil, "").WithFile(p, 2, 3), "", "")
	require.NoError(t, err)
	require.Nil(t, f)
	assert.Equal(t, [2]int64{2, 3}, [2]int64{off, n})
	got, _ := encodeForTest(t, head, keepAlive11)
	assert.True(t, strings.HasPrefix(got, "HTTP/1.1 206 Partial Content\r\n"), got)
	assert.Contains(t, got, "Content-Range: bytes 2-4/10\r\n")
	assert.Contains(t, got, "Content-Length: 3\r\n")
	assert.True(t, strings.HasSuffix(got, "\r\n\r\n234"), got)
}

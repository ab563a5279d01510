package http

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseAll feeds raw whole and byte by byte and checks both agree; it
// returns the result of the whole run.
func parseAll(t *testing.T, raw string, lim Limits) driveResult {
	t.Helper()
	whole := drive([]byte(raw), 0, lim)
	split := drive([]byte(raw), 1, lim)
	require.Equal(t, whole, split, "whole and byte-by-byte differ for %q", raw)
	return whole
}

func TestParserRejects(t *testing.T) {
	const h = "Host: a\r\n"
	tests := []struct {
		name   string
		raw    string
		status int
	}{
		// Request line.
		{"lower-case version", "GET / http/1.1\r\n" + h + "\r\n", 400},
		{"missing version", "GET /\r\n" + h + "\r\n", 400},
		{"two spaces", "GET  / HTTP/1.1\r\n" + h + "\r\n", 400},
		{"trailing space", "GET / HTTP/1.1 \r\n" + h + "\r\n", 400},
		{"tab separator", "GET\t/ HTTP/1.1\r\n" + h + "\r\n", 400},
		{"leading space", " GET / HTTP/1.1\r\n" + h + "\r\n", 400},
		{"method not a token", "GE(T / HTTP/1.1\r\n" + h + "\r\n", 400},
		{"method with NUL", "GE\x00T / HTTP/1.1\r\n" + h + "\r\n", 400},
		{"target with NUL", "GET /\x00 HTTP/1.1\r\n" + h + "\r\n", 400},
		{"target with DEL", "GET /\x7f HTTP/1.1\r\n" + h + "\r\n", 400},
		{"target non-ASCII", "GET /\xc3\xa9 HTTP/1.1\r\n" + h + "\r\n", 400},
		{"target relative", "GET foo HTTP/1.1\r\n" + h + "\r\n", 400},
		{"asterisk with path", "OPTIONS *x HTTP/1.1\r\n" + h + "\r\n", 400},
		{"CONNECT origin-form", "CONNECT / HTTP/1.1\r\n" + h + "\r\n", 400},
		{"asterisk-form for GET", "GET * HTTP/1.1\r\n" + h + "\r\n", 400},
		{"asterisk-form for POST", "POST * HTTP/1.1\r\n" + h + "Content-Length: 0\r\n\r\n", 400},
		{"authority-form for GET", "GET example.com:80 HTTP/1.1\r\n" + h + "\r\n", 400},
		{"authority-form for OPTIONS", "OPTIONS example.com:443 HTTP/1.1\r\n" + h + "\r\n", 400},
		{"authority-form without port", "GET example.com: HTTP/1.1\r\n" + h + "\r\n", 400},
		{"version 2.0", "GET / HTTP/2.0\r\n" + h + "\r\n", 505},
		{"version 1.2", "GET / HTTP/1.2\r\n" + h + "\r\n", 505},
		{"version 0.9", "GET / HTTP/0.9\r\n\r\n", 505},
		{"version two digits", "GET / HTTP/1.10\r\n" + h + "\r\n", 400},
		{"version RTSP", "GET / RTSP/1.0\r\n\r\n", 400},
		{"bare LF after request line", "GET / HTTP/1.1\n" + h + "\r\n", 400},
		{"bare CR in request line", "GET / HTTP/1.1\rX\r\n" + h + "\r\n", 400},
		{"bare LF leading line", "\nGET / HTTP/1.1\r\n" + h + "\r\n", 400},
		{"bare CR leading line", "\rGET / HTTP/1.1\r\n" + h + "\r\n", 400},

		// Field lines.
		{"space before colon", "GET / HTTP/1.1\r\n" + h + "Foo : bar\r\n\r\n", 400},
		{"tab before colon", "GET / HTTP/1.1\r\n" + h + "Foo\t: bar\r\n\r\n", 400},
		{"obs-fold", "GET / HTTP/1.1\r\n" + h + "Foo: bar\r\n baz\r\n\r\n", 400},
		{"obs-fold tab", "GET / HTTP/1.1\r\n" + h + "Foo: bar\r\n\tbaz\r\n\r\n", 400},
		{"empty name", "GET / HTTP/1.1\r\n" + h + ": bar\r\n\r\n", 400},
		{"no colon", "GET / HTTP/1.1\r\n" + h + "Foo\r\n\r\n", 400},
		{"NUL in value", "GET / HTTP/1.1\r\n" + h + "Foo: b\x00r\r\n\r\n", 400},
		{"ESC in value", "GET / HTTP/1.1\r\n" + h + "Foo: b\x1br\r\n\r\n", 400},
		{"DEL in value", "GET / HTTP/1.1\r\n" + h + "Foo: b\x7fr\r\n\r\n", 400},
		{"bare CR in value", "GET / HTTP/1.1\r\n" + h + "Foo: b\rr\r\n\r\n", 400},
		{"bare LF between fields", "GET / HTTP/1.1\r\n" + h + "Foo: b\nBar: c\r\n\r\n", 400},
		{"bare LF ending head", "GET / HTTP/1.1\r\n" + h + "\n", 400},
		{"CR CR LF", "GET / HTTP/1.1\r\n" + h + "Foo: b\r\r\n\r\n", 400},
		{"bare CR ending head", "GET / HTTP/1.1\r\n" + h + "\rX\r\n", 400},

		// Host.
		{"no Host on 1.1", "GET / HTTP/1.1\r\n\r\n", 400},
		{"duplicate Host", "GET / HTTP/1.1\r\n" + h + h + "\r\n", 400},
		{"duplicate Host on 1.0", "GET / HTTP/1.0\r\n" + h + h + "\r\n", 400},
		{"Host with path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
		{"Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
		{"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
		{"Host bad port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400},
		{"Host bad pct", "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400},
		{"Host unclosed bracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400},

		// Content-Length.
		{"CL sign +", "POST / HTTP/1.1\r\n" + h + "Content-Length: +1\r\n\r\nx", 400},
		{"CL sign -", "POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\n", 400},
		{"CL inner space", "POST / HTTP/1.1\r\n" + h + "Content-Length: 1 1\r\n\r\n", 400},
		{"CL hex", "POST / HTTP/1.1\r\n" + h + "Content-Length: 0x1\r\n\r\n", 400},
		{"CL empty", "POST / HTTP/1.1\r\n" + h + "Content-Length:\r\n\r\n", 400},
		{"CL list", "POST / HTTP/1.1\r\n" + h + "Content-Length: 1, 1\r\n\r\nx", 400},
		{"CL conflicting", "POST / HTTP/1.1\r\n" + h + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nxx", 400},
		{"CL overflow", "POST / HTTP/1.1\r\n" + h + "Content-Length: 9223372036854775808\r\n\r\n", 400},
		{"CL over limit", "POST / HTTP/1.1\r\n" + h + "Content-Length: 1025\r\n\r\n", 413},

		// Transfer-Encoding and smuggling.
		{"CL and TE", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"TE and CL", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400},
		{"TE chunked twice", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400},
		{"TE chunked twice in two fields", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"TE chunked not last", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
		{"TE identity", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: identity\r\n\r\n", 400},
		{"TE empty", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding:\r\n\r\n", 400},
		{"TE chunked with params", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400},
		{"TE space before colon", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400},
		{"TE chunked garbage", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked x\r\n\r\n0\r\n\r\n", 400},
		{"TE vertical tab", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: \vchunked\r\n\r\n0\r\n\r\n", 400},
		{"TE chunkedx", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400},
		{"TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"TE gzip then chunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
		{"TE unknown then chunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: pigeons\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501},

		// Chunked body.
		{"chunk size not hex", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nz\r\n", 400},
		{"chunk size sign", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n+1\r\nx\r\n0\r\n\r\n", 400},
		{"chunk size 0x", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0x1\r\nx\r\n0\r\n\r\n", 400},
		{"chunk size empty", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n\r\n", 400},
		{"chunk size overflow", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 400},
		{"chunk size over limit", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n401\r\n", 413},
		{"chunks sum over limit", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n200\r\n" + strings.Repeat("x", 512) + "\r\n201\r\n", 413},
		{"chunk bare LF", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n", 400},
		{"chunk data no CRLF", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1\r\nxy0\r\n\r\n", 400},
		{"chunk data bare LF", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1\r\nx\n0\r\n\r\n", 400},
		{"chunk data CR only", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1\r\nx\rx0\r\n\r\n", 400},
		{"chunk ext empty", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1;\r\nx\r\n0\r\n\r\n", 400},
		{"chunk ext bad name", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1;a@b\r\nx\r\n0\r\n\r\n", 400},
		{"chunk ext empty value", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1;a=\r\nx\r\n0\r\n\r\n", 400},
		{"chunk ext unclosed quote", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1;a=\"b\r\nx\r\n0\r\n\r\n", 400},
		{"chunk ext bare LF in quote", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1;a=\"b\nc\"\r\nx\r\n0\r\n\r\n", 400},
		{"chunk ext CTL", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1;a=b\x01\r\nx\r\n0\r\n\r\n", 400},
		{"chunk size trailing space", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1 \r\nx\r\n0\r\n\r\n", 400},
		{"trailer obs-fold", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n c\r\n\r\n", 400},
		{"trailer bare LF", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nA: b\n\r\n", 400},

		// Limits.
		{"target over limit", "GET /" + strings.Repeat("a", 300) + " HTTP/1.1\r\n" + h + "\r\n", 414},
		{"target over limit, unfinished", "GET /" + strings.Repeat("a", 600), 414},
		{"head over limit", "GET / HTTP/1.1\r\n" + h + "X: " + strings.Repeat("a", 600) + "\r\n\r\n", 431},
		{"head over limit, unfinished", "GET / HTTP/1.1\r\n" + h + "X: " + strings.Repeat("a", 600), 431},
		{"too many fields", "GET / HTTP/1.1\r\n" + h + strings.Repeat("X: y\r\n", 10) + "\r\n", 431},
		{"too many trailers", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\n" + strings.Repeat("X: y\r\n", 11) + "\r\n", 431},
		{"trailers over limit", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: " + strings.Repeat("a", 600) + "\r\n\r\n", 431},
		{"leading empty lines over limit", strings.Repeat("\r\n", 300) + "GET / HTTP/1.1\r\n" + h + "\r\n", 431},
	}
	lim := Limits{MaxHeaderBytes: 512, MaxTargetLength: 256, MaxBodyBytes: 1024, MaxHeaderCount: 10}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parseAll(t, tt.raw, lim)
			assert.Equal(t, "reject", res.Outcome)
			assert.Equal(t, tt.status, res.Status)
			assert.Empty(t, res.Messages)
		})
	}
}

func TestParserAccepts(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want corpusMessage
		// optional checks on the request
		check func(t *testing.T, r *Request)
	}{
		{
			name: "identical duplicate Content-Length merged",
			raw:  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 003\r\n\r\nabc",
			want: corpusMessage{Method: "POST", Target: "/", Version: "1.1", Headers: [][2]string{{"Host", "a"}, {"Content-Length", "3"}, {"Content-Length", "003"}}, Body: "abc", KeepAlive: true},
		},
		{
			name: "empty Host on HTTP/1.1",
			raw:  "GET / HTTP/1.1\r\nHost:\r\n\r\n",
			want: corpusMessage{Method: "GET", Target: "/", Version: "1.1", Headers: [][2]string{{"Host", ""}}, KeepAlive: true},
		},
		{
			name: "IPv6 Host with port",
			raw:  "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
			want: corpusMessage{Method: "GET", Target: "/", Version: "1.1", Headers: [][2]string{{"Host", "[::1]:8080"}}, KeepAlive: true},
			check: func(t *testing.T, r *Request) {
				assert.Equal(t, "[::1]", r.Host(true))
				assert.Equal(t, "[::1]:8080", r.Host(false))
			},
		},
		{
			name: "HTTP/1.0 keep-alive",
			raw:  "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
			want: corpusMessage{Method: "GET", Target: "/", Version: "1.0", Headers: [][2]string{{"Connection", "Keep-Alive"}}, KeepAlive: true},
		},
		{
			name: "HTTP/1.1 close among tokens",
			raw:  "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade ,CLOSE\r\n\r\n",
			want: corpusMessage{Method: "GET", Target: "/", Version: "1.1", Headers: [][2]string{{"Host", "a"}, {"Connection", "upgrade ,CLOSE"}}, KeepAlive: false},
		},
		{
			name: "CONNECT authority-form",
			raw:  "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
			want: corpusMessage{Method: "CONNECT", Target: "example.com:443", Version: "1.1", Headers: [][2]string{{"Host", "example.com:443"}}, KeepAlive: true},
			check: func(t *testing.T, r *Request) {
				assert.Equal(t, "example.com", r.Host(true))
			},
		},
		{
			name: "absolute-form overrides Host",
			raw:  "GET http://user:pw@origin.test:81/p/q?x=1#f HTTP/1.1\r\nHost: other\r\n\r\n",
			want: corpusMessage{Method: "GET", Target: "http://user:pw@origin.test:81/p/q?x=1#f", Version: "1.1", Headers: [][2]string{{"Host", "other"}}, KeepAlive: true},
			check: func(t *testing.T, r *Request) {
				assert.Equal(t, "origin.test:81", r.Host(false))
				assert.Equal(t, "origin.test", r.Host(true))
				assert.Equal(t, "/p/q", r.Path())
				assert.Equal(t, "x=1", r.QueryString())
				assert.Equal(t, "1", r.Get("x"))
			},
		},
		{
			name: "obs-text and tabs in values",
			raw:  "GET / HTTP/1.1\r\nHost: a\r\nX: \t a\tb\xff \t\r\n\r\n",
			want: corpusMessage{Method: "GET", Target: "/", Version: "1.1", Headers: [][2]string{{"Host", "a"}, {"X", "a\tb\xff"}}, KeepAlive: true},
		},
		{
			name: "Content-Length zero",
			raw:  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
			want: corpusMessage{Method: "POST", Target: "/", Version: "1.1", Headers: [][2]string{{"Host", "a"}, {"Content-Length", "0"}}, KeepAlive: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parseAll(t, tt.raw, Limits{})
			require.Equal(t, "ok", res.Outcome, "status %d", res.Status)
			require.Len(t, res.Messages, 1)
			if tt.want.Method != "" {
				if tt.want.Trailers == nil {
					tt.want.Trailers = [][2]string{}
				}
				assert.Equal(t, tt.want, res.Messages[0])
			}
			if tt.check != nil {
				p := NewParser(Limits{})
				var r Request
				n, err := p.Input([]byte(tt.raw))
				require.NoError(t, err)
				require.NoError(t, p.Decode([]byte(tt.raw)[:n], &r))
				tt.check(t, &r)
			}
		})
	}
}

func TestChunkedDecode(t *testing.T) {
	raw := "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q=1 , \r\nTransfer-Encoding: ,chunked\r\n\r\n" +
		"3 ; a=b;c ;d=\"x;\\\"y\"\r\nabc\r\n0002\r\nde\r\n0\r\nX-Sum: 12\r\nX-Other:  v \r\n\r\n"
	// gzip before chunked is refused with 501; the same with chunked alone passes.
	res := parseAll(t, raw, Limits{})
	assert.Equal(t, 501, res.Status)

	raw = strings.Replace(raw, "gzip;q=1 , ", "", 1)
	res = parseAll(t, raw, Limits{})
	require.Equal(t, "ok", res.Outcome, "status %d", res.Status)
	m := res.Messages[0]
	assert.Equal(t, "abcde", m.Body)
	assert.Equal(t, [][2]string{{"X-Sum", "12"}, {"X-Other", "v"}}, m.Trailers)

	p := NewParser(Limits{})
	var r Request
	n, err := p.Input([]byte(raw))
	require.NoError(t, err)
	require.Equal(t, len(raw), n)
	require.NoError(t, p.Decode([]byte(raw), &r))
	assert.Equal(t, "12", r.Trailer("x-sum"))
	assert.True(t, r.Chunked())
	assert.Equal(t, int64(5), r.ContentLength())
	assert.Equal(t, ",chunked", r.Header("Transfer-Encoding"))
	assert.Equal(t, []string{"", ",chunked"}, r.HeaderValues("transfer-encoding"))
}

func TestPipelining(t *testing.T) {
	one := "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
	two := "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
	three := "\r\nPUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
	for _, step := range []int{0, 1, 7} {
		res := drive([]byte(one+two+three), step, Limits{})
		require.Equal(t, "ok", res.Outcome)
		require.Len(t, res.Messages, 3)
		assert.Equal(t, "/a", res.Messages[0].Target)
		assert.Equal(t, "hi", res.Messages[1].Body)
		assert.Equal(t, "x", res.Messages[2].Body)
	}
}

func TestParserStates(t *testing.T) {
	p := NewParser(Limits{})
	assert.False(t, p.Started())
	buf := []byte("\r\n")
	n, err := p.Input(buf)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.False(t, p.Started(), "empty lines do not start a request")

	buf = append(buf, "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n"...)
	n, err = p.Input(buf)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.True(t, p.Started())
	assert.False(t, p.HeaderComplete())
	assert.False(t, p.ExpectContinue())

	buf = append(buf, "\r\nhel"...)
	n, _ = p.Input(buf)
	assert.Zero(t, n)
	assert.True(t, p.HeaderComplete())
	assert.True(t, p.ExpectContinue())

	buf = append(buf, "lo"...)
	n, _ = p.Input(buf)
	assert.Equal(t, len(buf), n)
	assert.False(t, p.ExpectContinue())
	assert.False(t, p.HeaderComplete())
	assert.False(t, p.Started())
	n2, _ := p.Input(buf)
	assert.Equal(t, n, n2, "Input is idempotent once complete")

	var r Request
	require.NoError(t, p.Decode(buf[:n], &r))
	assert.Equal(t, "hello", string(r.RawBody()))
	assert.Equal(t, "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n", string(r.RawHead()))
	assert.Error(t, p.Decode(buf[:n], &r), "Decode without a measured request")

	// 413 comes before 100-continue.
	p.Reset()
	_, err = NewParser(Limits{MaxBodyBytes: 4}).Input([]byte("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 413, e.Status)

	// Expect on HTTP/1.0 is ignored; no body, no 100.
	p.Reset()
	n, _ = p.Input([]byte("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"))
	assert.Zero(t, n)
	assert.False(t, p.ExpectContinue())
	p.Reset()
	n, _ = p.Input([]byte("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"))
	assert.NotZero(t, n)
	assert.False(t, p.ExpectContinue())
	p.Reset()
	_, _ = p.Input([]byte("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"))
	assert.True(t, p.ExpectContinue())

	// Errors are sticky until Reset.
	p.Reset()
	_, err1 := p.Input([]byte("BAD\x00"))
	_, err2 := p.Input([]byte("BAD\x00 / HTTP/1.1\r\n\r\n"))
	require.Error(t, err2)
	if err1 != nil {
		assert.Equal(t, err1, err2)
	}
}

func TestErrorReply(t *testing.T) {
	_, err := NewParser(Limits{}).Input([]byte("GET / HTTP/1.1\r\n\r\n"))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 400, e.Status)
	reply := string(e.Reply())
	assert.True(t, strings.HasPrefix(reply, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"), reply)
	assert.True(t, strings.HasSuffix(reply, "\r\n\r\n"+e.Reason))
	assert.Contains(t, reply, "Content-Length: "+strconv.Itoa(len(e.Reason))+"\r\n")
	assert.Contains(t, e.Error(), "400")
	assert.Contains(t, string((&Error{Status: 505, Reason: "x"}).Reply()), "505 HTTP Version Not Supported")
}

// TestLinearScan feeds 1 MiB bodies one byte at a time and checks that the
// parser examined each byte O(1) times.
func TestLinearScan(t *testing.T) {
	const size = 1 << 20
	var chunked bytes.Buffer
	chunked.WriteString("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
	for i := 0; i < size/4096; i++ {
		chunked.WriteString("1000;ext=v\r\n")
		chunked.Write(bytes.Repeat([]byte{'x'}, 4096))
		chunked.WriteString("\r\n")
	}
	chunked.WriteString("0\r\nT: v\r\n\r\n")
	long := "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("v", 60000) + "\r\n\r\n"
	inputs := map[string][]byte{
		"content-length": append([]byte("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n"), bytes.Repeat([]byte{'x'}, size)...),
		"chunked":        chunked.Bytes(),
		"long header":    []byte(long),
	}
	for name, raw := range inputs {
		t.Run(name, func(t *testing.T) {
			p := NewParser(Limits{MaxHeaderBytes: 1 << 20, MaxBodyBytes: 2 << 20})
			for i := 1; i <= len(raw); i++ {
				n, err := p.Input(raw[:i])
				require.NoError(t, err)
				if i < len(raw) {
					require.Zero(t, n)
				} else {
					require.Equal(t, len(raw), n)
				}
			}
			assert.LessOrEqual(t, p.scanned, int64(len(raw)), "bytes examined")
			var r Request
			require.NoError(t, p.Decode(raw, &r))
			assert.Len(t, r.RawBody(), min(size, len(r.RawBody())))
		})
	}
}

package http

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	pageOrigin  = "http://127.0.0.1:3000"
	otherOrigin = "http://evil.example"
)

// corsRequest decodes a request with the given extra header lines.
func corsRequest(t *testing.T, method string, headers ...string) *Request {
	t.Helper()
	raw := method + " /events HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
	for _, h := range headers {
		raw += h + "\r\n"
	}
	return decodeOne(t, raw+"\r\n")
}

// preflight is an OPTIONS preflight from origin asking for method and
// headers ("" for none).
func preflight(t *testing.T, origin, method, headers string) *Request {
	t.Helper()
	lines := []string{"Origin: " + origin, "Access-Control-Request-Method: " + method}
	if headers != "" {
		lines = append(lines, "Access-Control-Request-Headers: "+headers)
	}
	return corsRequest(t, "OPTIONS", lines...)
}

// accessControl lists resp's Access-Control-* headers.
func accessControl(resp *Response) []string {
	var out []string
	for _, h := range resp.headers {
		if strings.HasPrefix(strings.ToLower(h.name), "access-control-") {
			out = append(out, h.name+": "+h.value)
		}
	}
	return out
}

func TestCORSPreflightAllowed(t *testing.T) {
	p := &CORS{AllowOrigins: []string{pageOrigin}, MaxAge: 90 * time.Second}
	resp, ok := p.Preflight(preflight(t, pageOrigin, "POST", "content-type,last-event-id"))
	require.True(t, ok)
	assert.Equal(t, 204, resp.Status())
	assert.Equal(t, pageOrigin, resp.Header("Access-Control-Allow-Origin"))
	assert.Equal(t, "GET, HEAD, POST", resp.Header("Access-Control-Allow-Methods"))
	assert.Equal(t, "Content-Type, Last-Event-ID", resp.Header("Access-Control-Allow-Headers"))
	assert.Equal(t, "90", resp.Header("Access-Control-Max-Age"))
	assert.Equal(t, "", resp.Header("Access-Control-Allow-Credentials"))
	assert.Equal(t, "Origin, Access-Control-Request-Method, Access-Control-Request-Headers", resp.Header("Vary"))

	wire, _ := encodeForTest(t, resp, keepAlive11)
	assert.True(t, strings.HasPrefix(wire, "HTTP/1.1 204 No Content\r\n"), wire)
	assert.NotContains(t, wire, "Content-Length")
}

// A reconnecting EventSource whose Last-Event-ID value is not
// CORS-safelisted asks first; Last-Event-ID passes whatever AllowHeaders
// says.
func TestCORSPreflightLastEventID(t *testing.T) {
	p := &CORS{AllowOrigins: []string{pageOrigin}, AllowHeaders: []string{"X-Token"}}
	resp, ok := p.Preflight(preflight(t, pageOrigin, "GET", "last-event-id"))
	require.True(t, ok)
	assert.Equal(t, 204, resp.Status())
	assert.Equal(t, "X-Token, Last-Event-ID", resp.Header("Access-Control-Allow-Headers"))

	p.AllowHeaders = []string{"last-event-id", "X-Token"} // listed: not twice
	resp, _ = p.Preflight(preflight(t, pageOrigin, "GET", "last-event-id"))
	assert.Equal(t, "X-Token, Last-Event-ID", resp.Header("Access-Control-Allow-Headers"))
}

func TestCORSPreflightMaxAge(t *testing.T) {
	for _, tc := range []struct {
		maxAge time.Duration
		want   string
	}{{0, "600"}, {-1, "0"}, {1500 * time.Millisecond, "1"}, {2 * time.Hour, "7200"}} {
		p := &CORS{AllowOrigins: []string{"*"}, MaxAge: tc.maxAge}
		resp, ok := p.Preflight(preflight(t, pageOrigin, "GET", ""))
		require.True(t, ok)
		assert.Equal(t, tc.want, resp.Header("Access-Control-Max-Age"), "MaxAge %v", tc.maxAge)
	}
}

func TestCORSPreflightRefused(t *testing.T) {
	p := &CORS{AllowOrigins: []string{pageOrigin}, AllowMethods: []string{"GET", "DELETE"}}
	for name, req := range map[string]*Request{
		"origin":   preflight(t, otherOrigin, "GET", ""),
		"method":   preflight(t, pageOrigin, "PUT", ""),
		"header":   preflight(t, pageOrigin, "GET", "x-token"),
		"bad name": preflight(t, pageOrigin, "GET", "a b"),
		"two origins": corsRequest(t, "OPTIONS", "Origin: "+pageOrigin, "Origin: "+pageOrigin,
			"Access-Control-Request-Method: GET"),
		"two methods": corsRequest(t, "OPTIONS", "Origin: "+pageOrigin,
			"Access-Control-Request-Method: GET", "Access-Control-Request-Method: PUT"),
	} {
		resp, ok := p.Preflight(req)
		require.True(t, ok, name)
		assert.Equal(t, 403, resp.Status(), name)
		assert.Empty(t, accessControl(resp), name)
		assert.Contains(t, string(resp.Body()), "CORS: ", name)
	}
	resp, _ := p.Preflight(preflight(t, otherOrigin, "GET", ""))
	assert.Equal(t, "CORS: origin not allowed\n", string(resp.Body()))
	resp, _ = p.Preflight(preflight(t, pageOrigin, "PUT", ""))
	assert.Equal(t, "CORS: method not allowed\n", string(resp.Body()))
	resp, _ = p.Preflight(preflight(t, pageOrigin, "GET", "x-token"))
	assert.Equal(t, "CORS: request header not allowed\n", string(resp.Body()))

	// A listed method passes; methods are case-sensitive.
	resp, _ = p.Preflight(preflight(t, pageOrigin, "DELETE", ""))
	assert.Equal(t, 204, resp.Status())
	assert.Equal(t, "GET, DELETE", resp.Header("Access-Control-Allow-Methods"))
	resp, _ = p.Preflight(preflight(t, pageOrigin, "delete", ""))
	assert.Equal(t, 403, resp.Status())

	// The zero policy and a nil one allow nothing.
	resp, ok := (&CORS{}).Preflight(preflight(t, pageOrigin, "GET", ""))
	assert.True(t, ok)
	assert.Equal(t, 403, resp.Status())
	var nilPolicy *CORS
	resp, ok = nilPolicy.Preflight(preflight(t, pageOrigin, "GET", ""))
	assert.True(t, ok)
	assert.Equal(t, 403, resp.Status())
}

func TestCORSPreflightWildcardHeaders(t *testing.T) {
	p := &CORS{AllowOrigins: []string{pageOrigin}, AllowHeaders: []string{"*"}, AllowCredentials: true}
	resp, ok := p.Preflight(preflight(t, pageOrigin, "POST", "x-a, x-b"))
	require.True(t, ok)
	assert.Equal(t, 204, resp.Status())
	assert.Equal(t, "x-a, x-b, Last-Event-ID", resp.Header("Access-Control-Allow-Headers"))
	assert.Equal(t, "true", resp.Header("Access-Control-Allow-Credentials"))
}

// Only OPTIONS with an Origin and Access-Control-Request-Method is a
// preflight; the caller answers everything else.
func TestCORSNotAPreflight(t *testing.T) {
	p := &CORS{AllowOrigins: []string{"*"}}
	for name, req := range map[string]*Request{
		"GET":             corsRequest(t, "GET", "Origin: "+pageOrigin, "Access-Control-Request-Method: GET"),
		"plain OPTIONS":   corsRequest(t, "OPTIONS"),
		"no request meth": corsRequest(t, "OPTIONS", "Origin: "+pageOrigin),
		"no origin":       corsRequest(t, "OPTIONS", "Access-Control-Request-Method: GET"),
	} {
		resp, ok := p.Preflight(req)
		assert.False(t, ok, name)
		assert.Nil(t, resp, name)
	}
	resp, ok := p.Preflight(nil)
	assert.False(t, ok)
	assert.Nil(t, resp)
}

func TestCORSApplyAllowed(t *testing.T) {
	p := &CORS{AllowOrigins: []string{pageOrigin}, ExposeHeaders: []string{"X-Id", "X-Node"}}
	req := corsRequest(t, "GET", "Origin: "+pageOrigin)
	resp := p.Apply(req, NewResponse(200, nil, "ok"))
	assert.Equal(t, []string{
		"Access-Control-Allow-Origin: " + pageOrigin,
		"Access-Control-Expose-Headers: X-Id, X-Node",
	}, accessControl(resp))
	assert.Equal(t, "Origin", resp.Header("Vary"))
	assert.Equal(t, pageOrigin, p.AllowOriginHeader(req))
}

// Origins compare case-insensitively; the echoed value is the request's.
func TestCORSOriginCase(t *testing.T) {
	p := &CORS{AllowOrigins: []string{"HTTP://Example.COM"}}
	req := corsRequest(t, "GET", "Origin: http://example.com")
	assert.Equal(t, "http://example.com", p.Apply(req, NewResponse(200, nil, "")).Header("Access-Control-Allow-Origin"))
}

func TestCORSWildcard(t *testing.T) {
	p := &CORS{AllowOrigins: []string{"*"}, ExposeHeaders: []string{"X-Id"}}
	for _, origin := range []string{pageOrigin, otherOrigin, "null"} {
		req := corsRequest(t, "GET", "Origin: "+origin)
		resp := p.Apply(req, NewResponse(200, nil, ""))
		assert.Equal(t, "*", resp.Header("Access-Control-Allow-Origin"), origin)
		assert.Equal(t, "X-Id", resp.Header("Access-Control-Expose-Headers"))
		assert.Equal(t, "", resp.Header("Vary"), "the same answer for every origin")
		assert.Equal(t, "*", p.AllowOriginHeader(req))
	}
}

// Browsers refuse "*" with credentials: the origin is echoed, with Vary,
// and "null" is no longer covered by "*".
func TestCORSWildcardWithCredentials(t *testing.T) {
	p := &CORS{AllowOrigins: []string{"*"}, AllowCredentials: true}
	resp := p.Apply(corsRequest(t, "GET", "Origin: "+otherOrigin), NewResponse(200, nil, ""))
	assert.Equal(t, []string{
		"Access-Control-Allow-Origin: " + otherOrigin,
		"Access-Control-Allow-Credentials: true",
	}, accessControl(resp))
	assert.Equal(t, "Origin", resp.Header("Vary"))

	resp = p.Apply(corsRequest(t, "GET", "Origin: null"), NewResponse(200, nil, ""))
	assert.Empty(t, accessControl(resp))
	assert.Equal(t, "Origin", resp.Header("Vary"))
	assert.False(t, p.AllowOrigin("null"))

	p.AllowOrigins = append(p.AllowOrigins, "null")
	assert.True(t, p.AllowOrigin("null"), "listed explicitly")

	pre, ok := p.Preflight(preflight(t, otherOrigin, "GET", ""))
	require.True(t, ok)
	assert.Equal(t, otherOrigin, pre.Header("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", pre.Header("Access-Control-Allow-Credentials"))
}

func TestCORSApplyDisallowedOrNoOrigin(t *testing.T) {
	p := &CORS{AllowOrigins: []string{pageOrigin}, AllowCredentials: true, ExposeHeaders: []string{"X-Id"}}
	for name, req := range map[string]*Request{
		"no origin":   corsRequest(t, "GET"),
		"other":       corsRequest(t, "GET", "Origin: "+otherOrigin),
		"two origins": corsRequest(t, "GET", "Origin: "+pageOrigin, "Origin: "+pageOrigin),
		"empty":       corsRequest(t, "GET", "Origin: "),
		"list":        corsRequest(t, "GET", "Origin: "+pageOrigin+", "+pageOrigin),
	} {
		resp := p.Apply(req, NewResponse(200, nil, ""))
		assert.Empty(t, accessControl(resp), name)
		assert.Equal(t, "Origin", resp.Header("Vary"), "%s: the answer depends on the origin", name)
		assert.Equal(t, "", p.AllowOriginHeader(req), name)
	}
	// A "*" policy without credentials answers the same to all: no Vary,
	// and nothing at all without an Origin.
	resp := (&CORS{AllowOrigins: []string{"*"}}).Apply(corsRequest(t, "GET"), NewResponse(200, nil, ""))
	assert.Empty(t, resp.headers)
}

func TestCORSVaryMerge(t *testing.T) {
	p := &CORS{AllowOrigins: []string{pageOrigin}}
	req := corsRequest(t, "GET", "Origin: "+pageOrigin)
	resp := NewResponse(200, map[string]string{"Vary": "Accept-Encoding"}, "")
	p.Apply(req, resp)
	p.Apply(req, resp)
	assert.Equal(t, "Accept-Encoding, Origin", resp.Header("Vary"), "added once")
	resp = p.Apply(req, NewResponse(200, map[string]string{"Vary": "*"}, ""))
	assert.Equal(t, "*", resp.Header("Vary"))
}

func TestCORSAllowOriginFunc(t *testing.T) {
	p := &CORS{
		AllowOrigins: []string{pageOrigin},
		AllowOriginFunc: func(o string) bool {
			return strings.HasSuffix(o, ".example.com") && strings.HasPrefix(o, "https://")
		},
	}
	assert.True(t, p.AllowOrigin(pageOrigin))
	assert.True(t, p.AllowOrigin("https://a.example.com"))
	assert.False(t, p.AllowOrigin("http://a.example.com"))
	assert.False(t, p.AllowOrigin(""))
	assert.False(t, p.AllowOrigin(pageOrigin+", https://a.example.com"), "a list is no origin")
	req := corsRequest(t, "GET", "Origin: https://a.example.com")
	assert.Equal(t, "https://a.example.com", p.Apply(req, NewResponse(200, nil, "")).Header("Access-Control-Allow-Origin"))
	var nilPolicy *CORS
	assert.False(t, nilPolicy.AllowOrigin(pageOrigin))
}

func TestCORSNilSafe(t *testing.T) {
	var p *CORS
	resp := NewResponse(200, nil, "")
	assert.Same(t, resp, p.Apply(corsRequest(t, "GET", "Origin: "+pageOrigin), resp))
	assert.Empty(t, resp.headers)
	assert.Nil(t, (&CORS{AllowOrigins: []string{"*"}}).Apply(nil, nil))
	assert.Equal(t, "", (&CORS{AllowOrigins: []string{"*"}}).AllowOriginHeader(nil))
	resp = (&CORS{AllowOrigins: []string{"*"}}).Apply(nil, NewResponse(200, nil, ""))
	assert.Empty(t, resp.headers)
}

func TestCORSValidate(t *testing.T) {
	good := []CORS{
		{},
		{AllowOrigins: []string{"*"}},
		{AllowOrigins: []string{"http://127.0.0.1:8080", "https://example.com", "http://[::1]:3000", "null"}},
		{AllowMethods: []string{"GET", "PATCH"}, AllowHeaders: []string{"*", "X-Token"}, ExposeHeaders: []string{"X-Id"}},
	}
	for i, p := range good {
		assert.NoError(t, p.Validate(), "good %d", i)
	}
	for _, p := range []CORS{
		{AllowOrigins: []string{"example.com"}},
		{AllowOrigins: []string{"http://example.com/"}},
		{AllowOrigins: []string{"http://example.com/path"}},
		{AllowOrigins: []string{"http://example.com:80a"}},
		{AllowOrigins: []string{"http://"}},
		{AllowOrigins: []string{"http://[::1"}},
		{AllowOrigins: []string{"http://a.com\r\nX: y"}},
		{AllowMethods: []string{"GET POST"}},
		{AllowMethods: []string{"*"}},
		{AllowHeaders: []string{"X:Y"}},
		{ExposeHeaders: []string{"*"}},
	} {
		err := p.Validate()
		assert.True(t, errors.Is(err, ErrInvalidCORS), "%+v: %v", p, err)
	}
	err := (&CORS{AllowOrigins: []string{"http://example.com/"}}).Validate()
	assert.EqualError(t, err, `http: invalid CORS policy: origin "http://example.com/" is not scheme://host[:port] (no path, no trailing slash)`)
}

// A policy is only read: one value serves every goroutine.
func TestCORSConcurrentUse(t *testing.T) {
	p := &CORS{AllowOrigins: []string{pageOrigin}, ExposeHeaders: []string{"X-Id"}}
	req := corsRequest(t, "GET", "Origin: "+pageOrigin)
	pre := preflight(t, pageOrigin, "GET", "last-event-id")
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 100 {
				p.Apply(req, NewResponse(200, nil, ""))
				p.Preflight(pre)
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// An echoed origin is the response's own copy: the Request's memory is
// reused for the next request on the connection, while a Response may be
// kept and sent again (the SSE hub keeps one per origin).
func TestCORSResponseOutlivesRequest(t *testing.T) {
	p := &CORS{AllowOrigins: []string{"*"}, AllowCredentials: true}
	raw := func(origin string) []byte {
		return []byte("GET / HTTP/1.1\r\nHost: x\r\nOrigin: " + origin + "\r\n\r\n")
	}
	a, b := raw("http://aaaa.example"), raw("http://bbbb.example")
	parser := NewParser(Limits{})
	req := new(Request)
	_, err := parser.Input(a)
	require.NoError(t, err)
	require.NoError(t, parser.Decode(a, req))
	resp := p.Apply(req, NewResponse(200, nil, ""))
	pre, ok := p.Preflight(corsRequest(t, "OPTIONS", "Origin: http://aaaa.example", "Access-Control-Request-Method: GET"))
	require.True(t, ok)

	parser.Reset()
	_, err = parser.Input(b)
	require.NoError(t, err)
	require.NoError(t, parser.Decode(b, req))
	require.Equal(t, "http://bbbb.example", req.Header("Origin"))
	assert.Equal(t, "http://aaaa.example", resp.Header("Access-Control-Allow-Origin"))
	assert.Equal(t, "http://aaaa.example", pre.Header("Access-Control-Allow-Origin"))
}

// Whatever a peer sends, the policy answers without panicking, and every
// response it makes encodes (no header it adds can be refused, nor split a
// response).
func FuzzCORS(f *testing.F) {
	f.Add(pageOrigin, "POST", "content-type, last-event-id", true)
	f.Add("null", "PUT", "x-a,,x-b", false)
	f.Add("http://[::1]:3000", "", " , ", true)
	f.Add("a\tb", "GET", "x y", false)
	policies := []*CORS{
		{AllowOrigins: []string{"*"}},
		{AllowOrigins: []string{"*"}, AllowCredentials: true, AllowHeaders: []string{"*"}},
		{AllowOriginFunc: func(string) bool { return true }, ExposeHeaders: []string{"X-Id"}},
		{AllowOrigins: []string{pageOrigin}, AllowMethods: []string{"PUT"}},
	}
	f.Fuzz(func(t *testing.T, origin, method, headers string, options bool) {
		raw := "GET / HTTP/1.1\r\nHost: x\r\nOrigin: " + origin + "\r\nAccess-Control-Request-Method: " + method +
			"\r\nAccess-Control-Request-Headers: " + headers + "\r\n\r\n"
		if options {
			raw = "OPTIONS" + raw[3:]
		}
		p := NewParser(Limits{})
		n, err := p.Input([]byte(raw))
		if err != nil || n != len(raw) {
			return // not a request the server would hand over
		}
		req := new(Request)
		if p.Decode([]byte(raw), req) != nil {
			return
		}
		for _, policy := range policies {
			if resp, ok := policy.Preflight(req); ok {
				_, _, err := appendResponse(nil, resp, keepAlive11)
				require.NoError(t, err)
			}
			_, _, err := appendResponse(nil, policy.Apply(req, NewResponse(200, nil, "x")), keepAlive11)
			require.NoError(t, err)
		}
	})
}

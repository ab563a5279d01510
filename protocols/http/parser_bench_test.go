package http

import (
	"bufio"
	"bytes"
	nethttp "net/http"
	"testing"
)

// chromeGET is a typical ~500-byte request from a desktop Chrome.
var chromeGET = []byte("GET /static/app/main.js?v=3f2a9c HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"Connection: keep-alive\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n" +
	"sec-ch-ua-mobile: ?0\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
	"sec-ch-ua-platform: \"Linux\"\r\n" +
	"Accept: */*\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"Sec-Fetch-Mode: no-cors\r\n" +
	"Sec-Fetch-Dest: script\r\n" +
	"Referer: https://www.example.com/\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"Cookie: session=7a1c3e9b5d; theme=dark\r\n" +
	"\r\n")

// BenchmarkParseGET measures Input+Decode plus the usual lookups of one
// Chrome GET with a reused Parser and Request.
func BenchmarkParseGET(b *testing.B) {
	p := NewParser(Limits{})
	var req Request
	b.ReportAllocs()
	b.SetBytes(int64(len(chromeGET)))
	for b.Loop() {
		n, err := p.Input(chromeGET)
		if err != nil || n != len(chromeGET) {
			b.Fatal(n, err)
		}
		if err := p.Decode(chromeGET[:n], &req); err != nil {
			b.Fatal(err)
		}
		if req.Method() != "GET" || req.Path() != "/static/app/main.js" || req.Header("host") == "" {
			b.Fatal("bad decode")
		}
	}
}

// BenchmarkParseGETSplit feeds the same request in two halves.
func BenchmarkParseGETSplit(b *testing.B) {
	p := NewParser(Limits{})
	var req Request
	half := len(chromeGET) / 2
	b.ReportAllocs()
	b.SetBytes(int64(len(chromeGET)))
	for b.Loop() {
		if n, _ := p.Input(chromeGET[:half]); n != 0 {
			b.Fatal(n)
		}
		n, err := p.Input(chromeGET)
		if err != nil || n != len(chromeGET) {
			b.Fatal(n, err)
		}
		if err := p.Decode(chromeGET[:n], &req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNetHTTPReadRequest is the same request through net/http.
func BenchmarkNetHTTPReadRequest(b *testing.B) {
	r := bytes.NewReader(chromeGET)
	br := bufio.NewReader(r)
	b.ReportAllocs()
	b.SetBytes(int64(len(chromeGET)))
	for b.Loop() {
		r.Reset(chromeGET)
		br.Reset(r)
		req, err := nethttp.ReadRequest(br)
		if err != nil {
			b.Fatal(err)
		}
		if req.Method != "GET" || req.URL.Path != "/static/app/main.js" || req.Header.Get("host") == "" && req.Host == "" {
			b.Fatal("bad decode")
		}
	}
}

func TestChromeGETZeroAlloc(t *testing.T) {
	p := NewParser(Limits{})
	var req Request
	allocs := testing.AllocsPerRun(100, func() {
		n, err := p.Input(chromeGET)
		if err != nil || n != len(chromeGET) {
			t.Fatal(n, err)
		}
		if err := p.Decode(chromeGET[:n], &req); err != nil {
			t.Fatal(err)
		}
		_ = req.Method()
		_ = req.Path()
		_ = req.QueryString()
		_ = req.Header("Accept-Encoding")
		_ = req.Host(true)
		_ = req.Cookie("session")
		_ = req.KeepAlive()
		_ = req.Get("v")
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per request, want 0", allocs)
	}
}

func TestHeadersIteratorAllocs(t *testing.T) {
	p := NewParser(Limits{})
	var req Request
	n, _ := p.Input(chromeGET)
	if err := p.Decode(chromeGET[:n], &req); err != nil {
		t.Fatal(err)
	}
	count := 0
	allocs := testing.AllocsPerRun(100, func() {
		for name, value := range req.Headers() {
			count += len(name) + len(value)
		}
		for i := 0; i < req.HeaderCount(); i++ {
			name, value := req.HeaderAt(i)
			count += len(name) + len(value)
		}
	})
	t.Logf("Headers()+HeaderAt: %v allocs per run", allocs)
	if allocs != 0 {
		t.Fatalf("%v allocations, want 0", allocs)
	}
}

package http

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestRequestSize guards the size of Request. Every new connection
// allocates one; an SSE stream drops it right after its handler and every
// idle keep-alive connection keeps one as the spare for its next request.
// What most requests never use (query, form, files, trailers, context)
// lives in requestExt, allocated on first use, so that Request stays in
// the 144-byte size class (it was 272 bytes, a 288-byte object).
func TestRequestSize(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(Request{}), uintptr(144))
}

// formPOST is a small urlencoded POST with a query string.
var formPOST = []byte("POST /submit?page=2&sort=name HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"Content-Type: application/x-www-form-urlencoded\r\n" +
	"Content-Length: 27\r\n" +
	"\r\n" +
	"user=gopher&msg=hello+world")

var requestSink *Request

// BenchmarkDecodeNewRequest decodes the Chrome GET into a new Request each
// time, as the first request of every new connection (and every SSE
// stream) does.
func BenchmarkDecodeNewRequest(b *testing.B) {
	p := NewParser(Limits{})
	b.ReportAllocs()
	for b.Loop() {
		n, err := p.Input(chromeGET)
		if err != nil || n != len(chromeGET) {
			b.Fatal(n, err)
		}
		req := new(Request)
		if err := p.Decode(chromeGET[:n], req); err != nil {
			b.Fatal(err)
		}
		requestSink = req
	}
}

// BenchmarkRequestQueryForm decodes a form POST into a reused Request and
// reads its query and body.
func BenchmarkRequestQueryForm(b *testing.B) {
	p := NewParser(Limits{})
	var req Request
	b.ReportAllocs()
	for b.Loop() {
		n, err := p.Input(formPOST)
		if err != nil || n != len(formPOST) {
			b.Fatal(n, err)
		}
		if err := p.Decode(formPOST[:n], &req); err != nil {
			b.Fatal(err)
		}
		if req.Get("sort") != "name" || req.Post("user") != "gopher" {
			b.Fatal("bad decode")
		}
	}
}

package http

import (
	"encoding/base64"
	"testing"
)

// fuzzLimits are small so that the fuzzer reaches every limit.
var fuzzLimits = Limits{MaxHeaderBytes: 300, MaxTargetLength: 64, MaxBodyBytes: 200, MaxHeaderCount: 8}

// exerciseRequest calls every accessor, which must never panic.
func exerciseRequest(r *Request) {
	_ = r.Method()
	_ = r.URI()
	_ = r.Path()
	_ = r.QueryString()
	_ = r.ProtocolVersion()
	_ = r.Host(true)
	_ = r.Host(false)
	_ = r.Header("content-type")
	_ = r.HeaderValues("x")
	for i := 0; i < r.HeaderCount(); i++ {
		_, _ = r.HeaderAt(i)
	}
	_ = r.Cookie("a")
	_ = r.Get("a")
	_ = r.Post("a")
	_ = r.File("f")
	_ = r.ParseForm()
	_, _ = r.QueryParams()
	_, _ = r.PostParams()
	_, _ = r.FileParams()
	_ = r.InputOr("a", "")
	_ = r.File("f[x]")
	for range r.Cookies() {
	}
	_ = r.Trailer("t")
	_ = r.RawHead()
	_ = r.RawBody()
	_ = r.KeepAlive()
}

// FuzzParser checks that the parser never panics and that the requests it
// decodes, and its final state, do not depend on how the input is split:
// whole, at a fuzzer-chosen point, and one byte at a time.
func FuzzParser(f *testing.F) {
	for _, c := range loadCorpus(f) {
		if raw, err := base64.StdEncoding.DecodeString(c.RawB64); err == nil {
			f.Add(raw, uint16(len(raw)/2))
		}
	}
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"\r\n\r\nGET /?a=1&b=%41+c HTTP/1.0\r\nCookie: a=\"x\"; b=2\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=\"y\\\"z\"\r\nabc\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\r\nHost: b\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"a\":\"b\",\"c\":[1]}",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=X\r\nContent-Length: 99\r\n\r\n--X\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhello\r\n--X--\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\na=1&b=%zz",
		"GET http://u@h:1/p?q#f HTTP/1.1\r\nHost: [::1]:2\r\n\r\n",
		"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
	} {
		f.Add([]byte(s), uint16(len(s)/3))
	}
	f.Fuzz(func(t *testing.T, raw []byte, cut uint16) {
		for _, lim := range []Limits{fuzzLimits, {}} {
			whole := drivePieces([][]byte{raw}, lim, exerciseRequest)
			c := int(cut)
			if c > len(raw) {
				c = len(raw)
			}
			split := drivePieces([][]byte{raw[:c], raw[c:]}, lim, nil)
			bytewise := drive(raw, 1, lim)
			if !equalResults(whole, split) {
				t.Fatalf("split at %d differs:\nwhole %+v\nsplit %+v", c, whole, split)
			}
			if !equalResults(whole, bytewise) {
				t.Fatalf("byte-by-byte differs:\nwhole %+v\nbytes %+v", whole, bytewise)
			}
		}
	})
}

func equalResults(a, b driveResult) bool {
	if a.Outcome != b.Outcome || a.Status != b.Status || len(a.Messages) != len(b.Messages) {
		return false
	}
	for i := range a.Messages {
		x, y := a.Messages[i], b.Messages[i]
		if x.Method != y.Method || x.Target != y.Target || x.Version != y.Version ||
			x.Body != y.Body || x.KeepAlive != y.KeepAlive ||
			len(x.Headers) != len(y.Headers) || len(x.Trailers) != len(y.Trailers) {
			return false
		}
		for j := range x.Headers {
			if x.Headers[j] != y.Headers[j] {
				return false
			}
		}
		for j := range x.Trailers {
			if x.Trailers[j] != y.Trailers[j] {
				return false
			}
		}
	}
	return true
}

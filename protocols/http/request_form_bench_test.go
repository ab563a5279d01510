package http

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// Benchmarks of ParseForm on 10 MiB bodies of each kind it parses, in
// memory and spooled (read through an io.Reader). ms/MiB is how long the
// event loop stalls per MiB of body (1 ms/MiB is about 1049 MB/s).
//
//	go test -run '^$' -bench ParseForm -benchmem ./protocols/http

// benchJSONObject is an object of about size bytes and fewer than
// MaxFormValues members (each about 1 KiB: a string with escapes, a number,
// a nested object and array).
func benchJSONObject(size int) []byte {
	var b bytes.Buffer
	b.WriteString("{")
	filler := strings.Repeat(`lorem ipsum \"dolor\" sit amet, \u00e9 `, 30)
	for i := 0; b.Len() < size-2048; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		switch k := "k" + strconv.Itoa(i); i % 3 {
		case 0:
			b.WriteString(`"` + k + `":"` + filler + `"`)
		case 1:
			b.WriteString(`"` + k + `":{"id":` + strconv.Itoa(i) + `,"ok":true,"tags":["a","b"],"v":[`)
			for j := 0; j < 300; j++ {
				if j > 0 {
					b.WriteString(",")
				}
				b.WriteString(strconv.Itoa(j * 7))
			}
			b.WriteString(`],"n":null}`)
		default:
			b.WriteString(`"` + k + `":-12345.678e-3`)
			b.WriteString(`,"s` + k + `":"` + strings.Repeat("plain text ", 250) + `"`)
		}
	}
	b.WriteString("}")
	return b.Bytes()
}

// benchURLEncoded is about size bytes of name=value pairs (MaxFormValues
// of them, every third value with escapes).
func benchURLEncoded(size int) []byte {
	var b bytes.Buffer
	per := size / MaxFormValues
	for i := 0; i < MaxFormValues; i++ {
		if i > 0 {
			b.WriteByte('&')
		}
		k := "field" + strconv.Itoa(i)
		b.WriteString(k + "=")
		v := strings.Repeat("value", (per-len(k))/5)
		if i%3 == 0 {
			v = strings.Repeat("a+b%20c%E2%82%AC", (per-len(k))/16)
		}
		b.WriteString(v)
	}
	return b.Bytes()
}

// benchMultipart is a 10 MiB upload: a few fields and one file.
func benchMultipart(size int) []byte {
	return mpBody("----WebKitFormBoundary7MA4YWxkTrZu0gW",
		mpPart{name: "title", data: "holiday"},
		mpPart{name: "description", data: strings.Repeat("words ", 100)},
		mpPart{name: "file", filename: "video.bin", ctype: "application/octet-stream", data: pattern(size)},
	)
}

func benchParseForm(b *testing.B, ctype string, body []byte, spooled bool) {
	b.Setenv("TMPDIR", b.TempDir())
	r := formRequest(b, ctype, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		forgetForm(r)
		var err error
		if spooled {
			r.parseFormFrom(ctype, formSource{rd: bytes.NewReader(body), size: int64(len(body))})
			err = r.ext.formErr
		} else {
			err = r.ParseForm()
		}
		if err != nil && err != ErrNotJSONObject {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6/(float64(len(body))/(1<<20)), "ms/MiB")
	forgetForm(r)
}

func BenchmarkParseFormJSONObject10MiB(b *testing.B) {
	body := benchJSONObject(10 << 20)
	b.Run("memory", func(b *testing.B) { benchParseForm(b, "application/json", body, false) })
	b.Run("spooled", func(b *testing.B) { benchParseForm(b, "application/json", body, true) })
}

func BenchmarkParseFormJSONArray10MiB(b *testing.B) {
	body := bigJSONArray(10 << 20)
	b.Run("memory", func(b *testing.B) { benchParseForm(b, "application/json", body, false) })
	b.Run("spooled", func(b *testing.B) { benchParseForm(b, "application/json", body, true) })
}

func BenchmarkParseFormURLEncoded10MiB(b *testing.B) {
	body := benchURLEncoded(10 << 20)
	b.Run("memory", func(b *testing.B) {
		benchParseForm(b, "application/x-www-form-urlencoded", body, false)
	})
	b.Run("spooled", func(b *testing.B) {
		benchParseForm(b, "application/x-www-form-urlencoded", body, true)
	})
}

func BenchmarkParseFormMultipart10MiB(b *testing.B) {
	body := benchMultipart(10 << 20)
	ctype := "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"
	b.Run("memory", func(b *testing.B) { benchParseForm(b, ctype, body, false) })
	b.Run("spooled", func(b *testing.B) { benchParseForm(b, ctype, body, true) })
}

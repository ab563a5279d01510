package http_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	nethttp "net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/fdbudget"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// secret is the content of a file just outside the static root: no
// response may ever carry it.
const secret = "TOPSECRET-outside-the-root"

var staticMtime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// staticTree builds a root to serve and a secret file beside it:
//
//	secret.txt            (outside)
//	root/index.html
//	root/a.txt            100 bytes
//	root/big.bin          3 MiB (streamed, not inlined)
//	root/style.css, style.css.gz, style.css.br
//	root/only.js.gz       (a sibling without its original)
//	root/sub/index.html
//	root/empty/           (no index)
//	root/.env             (a dot file)
//	root/link-in -> a.txt, root/link-out -> ../secret.txt,
//	root/dirlink-out -> .., root/sub/up -> ../..
func staticTree(t *testing.T) (root string, files map[string][]byte) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	files = map[string][]byte{
		"index.html":     []byte("<h1>home</h1>"),
		"a.txt":          bytes.Repeat([]byte("0123456789"), 10),
		"style.css":      []byte("body{color:red}body{color:red}body{color:red}"),
		"style.css.gz":   []byte("GZ-BYTES"),
		"style.css.br":   []byte("BR-BYTES!"),
		"only.js.gz":     []byte("ONLY-GZ"),
		"sub/index.html": []byte("<h1>sub</h1>"),
		".env":           []byte("DOT=1"),
		"big.bin":        bigContent(3 << 20),
		"100%.txt":       []byte("percent"),
		"%2e%2e":         []byte("literal-dots"),
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "sub"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "empty"), 0o755))
	for name, b := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		require.NoError(t, os.Chtimes(p, staticMtime, staticMtime))
	}
	require.NoError(t, os.WriteFile(filepath.Join(base, "secret.txt"), []byte(secret), 0o644))
	require.NoError(t, os.Symlink("a.txt", filepath.Join(root, "link-in")))
	require.NoError(t, os.Symlink("../secret.txt", filepath.Join(root, "link-out")))
	require.NoError(t, os.Symlink("..", filepath.Join(root, "dirlink-out")))
	require.NoError(t, os.Symlink("../..", filepath.Join(root, "sub", "up")))
	require.NoError(t, os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(root, "abs-out")))
	return root, files
}

func bigContent(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>11)
	}
	return b
}

// startStatic serves root under prefix with opts; other paths get "app".
func startStatic(t *testing.T, root, prefix string, opts http.StaticOptions) string {
	t.Helper()
	opts.Prefix = prefix
	s, err := http.NewStatic(root, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		if s.Serve(c, req) {
			return
		}
		_ = c.Send("app")
	}, func(w *worker.Worker) { w.MaxSendBufferSize = 256 << 10 })
	return addr
}

// do sends one request with a raw target (no client cleans it) and reads
// the response.
func do(t *testing.T, addr, method, target string, header ...string) (*nethttp.Response, string) {
	t.Helper()
	conn := dial(t, addr)
	req := method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	for _, h := range header {
		req += h + "\r\n"
	}
	_, err := io.WriteString(conn, req+"\r\n")
	require.NoError(t, err)
	resp, body := readResponse(t, bufio.NewReader(conn), method)
	_ = conn.Close()
	return resp, body
}

func TestStaticTraversal(t *testing.T) {
	root, _ := staticTree(t)
	targets := []string{
		"/static/../secret.txt",
		"/static/%2e%2e/secret.txt",
		"/static/%2E%2E/secret.txt",
		"/static/.%2e/secret.txt",
		"/static/%2e%2e%2fsecret.txt",
		"/static/..%2fsecret.txt",
		"/static/%252e%252e%252fsecret.txt",
		"/static/%252e%252e/secret.txt",
		"/static/..\\secret.txt",
		"/static/..%5csecret.txt",
		"/static/%5c..%5csecret.txt",
		"/static/%2e%2e%5csecret.txt",
		"/static/sub/../../secret.txt",
		"/static/./../secret.txt",
		"/static/sub/%2e%2e/%2e%2e/secret.txt",
		"/static/%c0%ae%c0%ae/secret.txt",
		"/static/..;/secret.txt",
		"/static/secret.txt%00",
		"/static/../secret.txt%00.html",
		"/static/a.txt%00",
		"/static/%00",
		"/static//etc/passwd",
		"/static/%2fetc%2fpasswd",
		"/static///../secret.txt",
		"/static/link-out",
		"/static/abs-out",
		"/static/dirlink-out/secret.txt",
		"/static/dirlink-out/",
		"/static/sub/up/secret.txt",
		"/static/%2",
		"/static/%zz",
		"/static/..",
		"/static/.../secret.txt",
		"/static/dirlink-out",
		"/../secret.txt",
		"http://x/static/../secret.txt",
	}
	for _, follow := range []bool{false, true} {
		addr := startStatic(t, root, "/static/", http.StaticOptions{FollowSymlinks: follow, ListDirectories: true})
		for _, target := range targets {
			for _, method := range []string{"GET", "HEAD"} {
				if follow && strings.Contains(target, "-out") || follow && strings.Contains(target, "/up/") {
					continue // followed on purpose: see TestStaticSymlinks
				}
				resp, body := do(t, addr, method, target)
				assert.NotContains(t, body, secret, "%v %s %s", follow, method, target)
				assert.NotContains(t, body, "root:", "%v %s %s", follow, method, target)
				if target != "/../secret.txt" { // not under the prefix: the app's
					assert.True(t, resp.StatusCode >= 400 && resp.StatusCode < 500,
						"%v %s %s: %d", follow, method, target, resp.StatusCode)
				}
			}
		}
	}
}

func TestStaticSymlinks(t *testing.T) {
	root, files := staticTree(t)
	addr := startStatic(t, root, "/", http.StaticOptions{})
	resp, body := do(t, addr, "GET", "/link-in")
	assert.Equal(t, 200, resp.StatusCode, "a link within the root is served")
	assert.Equal(t, string(files["a.txt"]), body)
	for _, target := range []string{"/link-out", "/abs-out", "/dirlink-out/secret.txt", "/sub/up/secret.txt"} {
		resp, body = do(t, addr, "GET", target)
		assert.Equal(t, 404, resp.StatusCode, target)
		assert.NotContains(t, body, secret, target)
	}

	addr = startStatic(t, root, "/", http.StaticOptions{FollowSymlinks: true})
	for _, target := range []string{"/link-out", "/abs-out", "/dirlink-out/secret.txt", "/sub/up/secret.txt"} {
		resp, body = do(t, addr, "GET", target)
		assert.Equal(t, 200, resp.StatusCode, "FollowSymlinks: %s", target)
		assert.Equal(t, secret, body, target)
	}
	resp, _ = do(t, addr, "GET", "/../secret.txt")
	assert.Equal(t, 400, resp.StatusCode, "FollowSymlinks follows links, not dot-dot")
}

func TestStaticFiles(t *testing.T) {
	root, files := staticTree(t)
	addr := startStatic(t, root, "/static/", http.StaticOptions{CacheControl: "public, max-age=60"})

	resp, body := do(t, addr, "GET", "/static/a.txt")
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, string(files["a.txt"]), body)
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "Mon, 06 May 2024 07:08:09 GMT", resp.Header.Get("Last-Modified"))
	assert.Equal(t, "bytes", resp.Header.Get("Accept-Ranges"))
	assert.Equal(t, "public, max-age=60", resp.Header.Get("Cache-Control"))
	etag := resp.Header.Get("ETag")
	assert.Regexp(t, `^"[0-9a-f]+-[0-9a-f]+"$`, etag)

	t.Run("paths", func(t *testing.T) {
		for target, want := range map[string]string{
			"/static/":              "index.html",
			"/static/index.html":    "index.html",
			"/static/sub/":          "sub/index.html",
			"/static/sub/index.htm": "",
			"/static/a.txt?x=1":     "a.txt",
			"/static/%61.txt":       "a.txt",
			"/static/./a.txt":       "a.txt",
			"/static//a.txt":        "a.txt",
			"/static/100%25.txt":    "100%.txt",
			"/static/%252e%252e":    "%2e%2e", // decoded once: a literal name
			"/static/empty/":        "",
			"/static/nope":          "",
			"/static/a.txt/":        "",
			"/static/a.txt/x":       "",
			"/static/.env":          "",
			"/static/sub/.env":      "",
			"/static/only.js":       "",
		} {
			resp, body := do(t, addr, "GET", target)
			if want == "" {
				assert.Equal(t, 404, resp.StatusCode, target)
				continue
			}
			assert.Equal(t, 200, resp.StatusCode, target)
			assert.Equal(t, string(files[want]), body, target)
		}
		resp, body := do(t, addr, "GET", "/elsewhere")
		assert.Equal(t, "app", body, "not under the prefix: the application answers")
		assert.Equal(t, 200, resp.StatusCode)
	})

	t.Run("directory redirects", func(t *testing.T) {
		for target, loc := range map[string]string{
			"/static":             "/static/",
			"/static/sub":         "/static/sub/",
			"/static/sub?a=1":     "/static/sub/?a=1",
			"/static//sub":        "/static/sub/",
			"/static/./sub":       "/static/sub/",
			"/static/empty":       "/static/empty/",
			"/static/%73ub":       "/static/sub/",
			"/static///evil.com/": "",
		} {
			resp, _ := do(t, addr, "GET", target)
			if loc == "" {
				assert.Equal(t, 404, resp.StatusCode, target)
				continue
			}
			assert.Equal(t, 301, resp.StatusCode, target)
			assert.Equal(t, loc, resp.Header.Get("Location"), target)
		}
	})

	t.Run("methods", func(t *testing.T) {
		for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS", "PATCH"} {
			resp, _ := do(t, addr, m, "/static/a.txt", "Content-Length: 0")
			assert.Equal(t, 405, resp.StatusCode, m)
			assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"), m)
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		for _, target := range []string{"/static/a.txt", "/static/big.bin", "/static/", "/static/nope", "/static/sub"} {
			g, gb := do(t, addr, "GET", target)
			h, hb := do(t, addr, "HEAD", target)
			assert.Equal(t, g.StatusCode, h.StatusCode, target)
			assert.Empty(t, hb, target)
			assert.NotEmpty(t, gb, target)
			g.Header.Del("Date")
			h.Header.Del("Date")
			assert.Equal(t, g.Header, h.Header, target)
			assert.Equal(t, g.ContentLength, h.ContentLength, target)
		}
	})

	t.Run("conditional", func(t *testing.T) {
		lm := "Mon, 06 May 2024 07:08:09 GMT"
		cases := []struct {
			header []string
			status int
		}{
			{[]string{"If-None-Match: " + etag}, 304},
			{[]string{"If-None-Match: W/" + etag}, 304},
			{[]string{`If-None-Match: "x", ` + etag}, 304},
			{[]string{"If-None-Match: *"}, 304},
			{[]string{`If-None-Match: "other"`}, 200},
			{[]string{`If-None-Match: "other"`, "If-Modified-Since: " + lm}, 200},
			{[]string{"If-Modified-Since: " + lm}, 304},
			{[]string{"If-Modified-Since: Mon, 06 May 2024 07:08:08 GMT"}, 200},
			{[]string{"If-Match: " + etag}, 200},
			{[]string{"If-Match: *"}, 200},
			{[]string{`If-Match: "other"`}, 412},
			{[]string{"If-Match: W/" + etag}, 412},
			{[]string{"If-Unmodified-Since: " + lm}, 200},
			{[]string{"If-Unmodified-Since: Mon, 06 May 2024 07:08:08 GMT"}, 412},
			{[]string{"If-None-Match: " + etag, "Range: bytes=0-1"}, 304},
		}
		for _, tc := range cases {
			for _, m := range []string{"GET", "HEAD"} {
				resp, body := do(t, addr, m, "/static/a.txt", tc.header...)
				assert.Equal(t, tc.status, resp.StatusCode, "%s %v", m, tc.header)
				if tc.status == 304 {
					assert.Empty(t, body)
					assert.Equal(t, etag, resp.Header.Get("ETag"))
					assert.Equal(t, lm, resp.Header.Get("Last-Modified"))
				}
			}
		}
	})

	t.Run("ranges", func(t *testing.T) {
		a := string(files["a.txt"])
		resp, body := do(t, addr, "GET", "/static/a.txt", "Range: bytes=10-19")
		assert.Equal(t, 206, resp.StatusCode)
		assert.Equal(t, "bytes 10-19/100", resp.Header.Get("Content-Range"))
		assert.Equal(t, a[10:20], body)

		resp, body = do(t, addr, "GET", "/static/a.txt", "Range: bytes=100-")
		assert.Equal(t, 416, resp.StatusCode)
		assert.Equal(t, "bytes */100", resp.Header.Get("Content-Range"))
		assert.NotContains(t, body, a)

		resp, body = do(t, addr, "GET", "/static/a.txt", "Range: bytes=-5", "If-Range: "+etag)
		assert.Equal(t, 206, resp.StatusCode, "If-Range matches")
		assert.Equal(t, a[95:], body)
		resp, body = do(t, addr, "GET", "/static/a.txt", "Range: bytes=-5", `If-Range: "old"`)
		assert.Equal(t, 200, resp.StatusCode, "If-Range does not match: the whole file")
		assert.Equal(t, a, body)
		resp, _ = do(t, addr, "GET", "/static/a.txt", "Range: bytes=-5", "If-Range: Mon, 06 May 2024 07:08:09 GMT")
		assert.Equal(t, 206, resp.StatusCode, "If-Range with the Last-Modified date")

		resp, body = do(t, addr, "HEAD", "/static/a.txt", "Range: bytes=0-1")
		assert.Equal(t, 200, resp.StatusCode, "Range applies to GET only (RFC 9110 section 14.2)")
		assert.Empty(t, body)

		big := files["big.bin"]
		resp, body = do(t, addr, "GET", "/static/big.bin", "Range: bytes=1-")
		assert.Equal(t, 206, resp.StatusCode)
		assert.Equal(t, fmt.Sprintf("bytes 1-%d/%d", len(big)-1, len(big)), resp.Header.Get("Content-Range"))
		assert.True(t, bytes.Equal(big[1:], []byte(body)), "a streamed range")
	})

	t.Run("multiple ranges", func(t *testing.T) {
		checkMultipart(t, addr, files)
	})

	t.Run("big file", func(t *testing.T) {
		resp, body := do(t, addr, "GET", "/static/big.bin")
		assert.Equal(t, 200, resp.StatusCode)
		assert.True(t, bytes.Equal(files["big.bin"], []byte(body)))
	})
}

func TestStaticPrecompressed(t *testing.T) {
	root, files := staticTree(t)
	addr := startStatic(t, root, "/", http.StaticOptions{Precompressed: true})
	cases := []struct {
		accept   string
		encoding string
		body     string
	}{
		{"gzip, deflate, br", "br", "BR-BYTES!"},
		{"br", "br", "BR-BYTES!"},
		{"gzip", "gzip", "GZ-BYTES"},
		{"br;q=0, gzip", "gzip", "GZ-BYTES"},
		{"BR;Q=0.0, GZIP;q=0.5", "gzip", "GZ-BYTES"},
		{"gzip;q=1.0, br;q=0.5", "gzip", "GZ-BYTES"},
		{"*", "br", "BR-BYTES!"},
		{"*;q=0, gzip", "gzip", "GZ-BYTES"},
		{"identity", "", string(files["style.css"])},
		{"gzip;q=0, br;q=0", "", string(files["style.css"])},
		{"", "", string(files["style.css"])},
		{"x-gzip", "", string(files["style.css"])},
	}
	var etags []string
	for _, tc := range cases {
		h := []string{}
		if tc.accept != "" {
			h = append(h, "Accept-Encoding: "+tc.accept)
		}
		resp, body := do(t, addr, "GET", "/style.css", h...)
		assert.Equal(t, 200, resp.StatusCode, tc.accept)
		assert.Equal(t, tc.body, body, tc.accept)
		assert.Equal(t, tc.encoding, resp.Header.Get("Content-Encoding"), tc.accept)
		assert.Equal(t, "text/css; charset=utf-8", resp.Header.Get("Content-Type"), tc.accept)
		assert.Equal(t, "Accept-Encoding", resp.Header.Get("Vary"), tc.accept)
		etags = append(etags, resp.Header.Get("ETag"))

		h = append(h, "If-None-Match: "+resp.Header.Get("ETag"))
		resp, _ = do(t, addr, "GET", "/style.css", h...)
		assert.Equal(t, 304, resp.StatusCode, tc.accept)
		assert.Equal(t, "Accept-Encoding", resp.Header.Get("Vary"), tc.accept)
	}
	assert.NotEqual(t, etags[0], etags[2], "br and gzip are different representations")
	assert.NotEqual(t, etags[2], etags[8], "gzip and identity are different representations")

	// A range applies to the encoded bytes.
	resp, body := do(t, addr, "GET", "/style.css", "Accept-Encoding: br", "Range: bytes=0-1")
	assert.Equal(t, 206, resp.StatusCode)
	assert.Equal(t, "BR", body)
	assert.Equal(t, "br", resp.Header.Get("Content-Encoding"))
	// Siblings are not looked for unless asked.
	addr = startStatic(t, root, "/", http.StaticOptions{})
	resp, body = do(t, addr, "GET", "/style.css", "Accept-Encoding: gzip, br")
	assert.Equal(t, string(files["style.css"]), body)
	assert.Empty(t, resp.Header.Get("Content-Encoding"))
	assert.Empty(t, resp.Header.Get("Vary"))
	// The compressed files are files too.
	resp, body = do(t, addr, "GET", "/style.css.gz")
	assert.Equal(t, "GZ-BYTES", body)
	assert.Equal(t, "application/gzip", resp.Header.Get("Content-Type"))
}

func TestStaticListing(t *testing.T) {
	root, _ := staticTree(t)
	require.NoError(t, os.WriteFile(filepath.Join(root, "empty", `<b>&"x".txt`), []byte("x"), 0o644))
	addr := startStatic(t, root, "/files/", http.StaticOptions{ListDirectories: true, Index: []string{}})
	resp, body := do(t, addr, "GET", "/files/")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, body, `<a href="a.txt">a.txt</a>`)
	assert.Contains(t, body, `<a href="sub/">sub/</a>`)
	assert.Contains(t, body, `<a href="100%25.txt">100%.txt</a>`)
	assert.NotContains(t, body, ".env", "dot files are not listed")
	resp, body = do(t, addr, "GET", "/files/empty/")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, `<a href="%3Cb%3E&amp;%22x%22.txt">&lt;b&gt;&amp;&#34;x&#34;.txt</a>`)
	assert.NotContains(t, body, "<b>")
	resp, _ = do(t, addr, "GET", "/files/sub")
	assert.Equal(t, 301, resp.StatusCode)

	// Without the option, a directory without an index is not found.
	addr = startStatic(t, root, "/files/", http.StaticOptions{Index: []string{}})
	resp, _ = do(t, addr, "GET", "/files/")
	assert.Equal(t, 404, resp.StatusCode)
}

func TestStaticNew(t *testing.T) {
	_, err := http.NewStatic(filepath.Join(t.TempDir(), "nope"), http.StaticOptions{})
	assert.Error(t, err)
	f := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(f, nil, 0o644))
	_, err = http.NewStatic(f, http.StaticOptions{})
	assert.Error(t, err)
	for _, p := range []string{"static/", "/a/../b/", "/a//"} {
		_, err = http.NewStatic(t.TempDir(), http.StaticOptions{Prefix: p})
		assert.Error(t, err, p)
	}
	s, err := http.NewStatic(t.TempDir(), http.StaticOptions{Prefix: "/assets"})
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

func TestStaticClosesEveryFile(t *testing.T) {
	root, files := staticTree(t)
	addr := startStatic(t, root, "/", http.StaticOptions{Precompressed: true, ListDirectories: true})
	// Warm up (each of the worker's loops makes its own descriptors as it
	// gets its first connections), then let the warm-up connections close.
	for range 4 {
		do(t, addr, "GET", "/big.bin")
	}
	time.Sleep(300 * time.Millisecond)
	fds, budget := openFDs(t), fdbudget.InUse()

	requests := [][]string{
		{"GET", "/a.txt"}, {"HEAD", "/a.txt"}, {"GET", "/big.bin"}, {"HEAD", "/big.bin"},
		{"GET", "/big.bin", "Range: bytes=5-"}, {"GET", "/big.bin", "Range: bytes=5-9,100-"},
		{"GET", "/a.txt", "Range: bytes=500-"}, {"GET", "/a.txt", "If-None-Match: *"},
		{"GET", "/a.txt", `If-Match: "x"`}, {"GET", "/style.css", "Accept-Encoding: br"},
		{"GET", "/"}, {"GET", "/empty/"}, {"GET", "/sub"}, {"GET", "/nope"}, {"GET", "/link-out"},
		{"GET", "/../x"}, {"POST", "/a.txt", "Content-Length: 0"}, {"GET", "/a.txt", "Range: bytes=0-1,3-4"},
	}
	for range 3 {
		for _, r := range requests {
			do(t, addr, r[0], r[1], r[2:]...)
		}
	}
	// A client that goes away in the middle of a big file.
	for range 5 {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		p := make([]byte, 1000)
		_, err = io.ReadFull(conn, p)
		require.NoError(t, err)
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
	}
	if !assert.Eventually(t, func() bool { return openFDs(t) <= fds && fdbudget.InUse() == budget },
		5*time.Second, 10*time.Millisecond, "descriptors: %d then %d; budget %d then %d", fds, openFDs(t), budget, fdbudget.InUse()) {
		ents, _ := os.ReadDir("/proc/self/fd")
		for _, e := range ents {
			l, _ := os.Readlink("/proc/self/fd/" + e.Name())
			t.Log(e.Name(), l)
		}
	}
	_ = files
}

// checkMultipart: several ranges get multipart/byteranges while the parts
// fit in memory; overlapping ones are merged.
func checkMultipart(t *testing.T, addr string, files map[string][]byte) {
	a := files["a.txt"]
	type part struct {
		rng  string
		body []byte
	}
	check := func(rangeHeader string, want []part) {
		t.Helper()
		resp, body := do(t, addr, "GET", "/static/a.txt", "Range: "+rangeHeader)
		require.Equal(t, 206, resp.StatusCode, rangeHeader)
		mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		require.NoError(t, err)
		require.Equal(t, "multipart/byteranges", mt)
		assert.Empty(t, resp.Header.Get("Content-Range"))
		assert.Equal(t, int64(len(body)), resp.ContentLength)
		mr := multipart.NewReader(strings.NewReader(body), params["boundary"])
		for _, w := range want {
			p, err := mr.NextPart()
			require.NoError(t, err, rangeHeader)
			assert.Equal(t, "text/plain; charset=utf-8", p.Header.Get("Content-Type"))
			assert.Equal(t, w.rng, p.Header.Get("Content-Range"), rangeHeader)
			got, err := io.ReadAll(p)
			require.NoError(t, err)
			assert.Equal(t, string(w.body), string(got), rangeHeader)
		}
		_, err = mr.NextPart()
		assert.ErrorIs(t, err, io.EOF, "no more parts")
	}
	check("bytes=0-1,5-6", []part{{"bytes 0-1/100", a[0:2]}, {"bytes 5-6/100", a[5:7]}})
	check("bytes=-3, 10-11", []part{{"bytes 10-11/100", a[10:12]}, {"bytes 97-99/100", a[97:]}})
	check("bytes=0-1,5-6,200-", []part{{"bytes 0-1/100", a[0:2]}, {"bytes 5-6/100", a[5:7]}})

	// Merged into one range: a plain 206.
	for h, want := range map[string]string{
		"bytes=0-5,3-8":     "bytes 0-8/100",
		"bytes=0-4,5-9":     "bytes 0-9/100",
		"bytes=0-1,200-":    "bytes 0-1/100",
		"bytes=0-,50-60,2-": "bytes 0-99/100",
	} {
		resp, _ := do(t, addr, "GET", "/static/a.txt", "Range: "+h)
		assert.Equal(t, 206, resp.StatusCode, h)
		assert.Equal(t, want, resp.Header.Get("Content-Range"), h)
	}
	resp, _ := do(t, addr, "GET", "/static/a.txt", "Range: bytes=100-,200-300")
	assert.Equal(t, 416, resp.StatusCode)
	assert.Equal(t, "bytes */100", resp.Header.Get("Content-Range"))

	// Refused (the whole file, 200, as RFC 9110 allows): a malformed
	// element, too many ranges, parts too large to hold in memory.
	many := "bytes=0-0"
	for i := 2; i < 80; i += 2 {
		many += fmt.Sprintf(",%d-%d", i, i)
	}
	big := files["big.bin"]
	for target, h := range map[string]string{
		"/static/a.txt":   many,
		"/static/a.txt#":  "bytes=0-1,x-2",
		"/static/big.bin": fmt.Sprintf("bytes=0-%d,%d-", len(big)/2, len(big)/2+10),
	} {
		target = strings.TrimSuffix(target, "#")
		resp, body := do(t, addr, "GET", target, "Range: "+h)
		assert.Equal(t, 200, resp.StatusCode, h)
		assert.Equal(t, len(files[strings.TrimPrefix(target, "/static/")]), len(body), h)
	}
	// Small parts of a big file are fine.
	resp, body := do(t, addr, "GET", "/static/big.bin", "Range: bytes=0-9,3000000-3000009")
	assert.Equal(t, 206, resp.StatusCode)
	assert.Contains(t, body, string(big[3000000:3000010]))
	assert.Contains(t, body, fmt.Sprintf("Content-Range: bytes 3000000-3000009/%d", len(big)))
}

package http_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/fdbudget"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// bodyReport answers with what the handler saw of the body: whether it
// was spooled, its length, the SHA-256 of Body() and whether RawBody
// agrees, and the trailer X-T.
func bodyReport(c *connection.TcpConnection, req *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, req.Body())
	sum := hex.EncodeToString(h.Sum(nil))
	raw := sha256.Sum256(req.RawBody())
	_ = c.Send(fmt.Sprintf("spooled=%v len=%d read=%d err=%v sum=%s raw=%v trailer=%s",
		req.BodySpooled(), req.ContentLength(), n, err, sum, hex.EncodeToString(raw[:]) == sum, req.Trailer("X-T")))
}

func randomBody(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func sumOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// openSpoolFiles counts this process's descriptors open on spool files
// (unlinked, they read "…/gnetworker-body-… (deleted)").
func openSpoolFiles(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here")
	}
	n := 0
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); strings.Contains(l, "gnetworker-body-") {
			n++
		}
	}
	return n
}

// writeSlowly writes b in pieces of about size bytes with a pause
// between, as a client on a slow link would.
func writeSlowly(t *testing.T, w io.Writer, b []byte, size int) {
	t.Helper()
	for len(b) > 0 {
		n := min(size, len(b))
		_, err := w.Write(b[:n])
		require.NoError(t, err)
		b = b[n:]
		time.Sleep(time.Millisecond)
	}
}

func chunked(body []byte, trailer string) []byte {
	var out bytes.Buffer
	r := rand.New(rand.NewPCG(3, 4))
	for len(body) > 0 {
		n := min(1+r.IntN(100<<10), len(body))
		fmt.Fprintf(&out, "%x\r\n", n)
		out.Write(body[:n])
		out.WriteString("\r\n")
		body = body[n:]
	}
	out.WriteString("0\r\n" + trailer + "\r\n")
	return out.Bytes()
}

// TestServerSpoolsLargeBodies: a body over MaxBodyInMemory is written to
// a temporary file as it arrives and read back whole; one under it stays
// in memory; nothing is left behind.
func TestServerSpoolsLargeBodies(t *testing.T) {
	var proto *http.Protocol
	w, addr := startServer(t, bodyReport, func(w *worker.Worker) {
		proto = httpProto(w)
		proto.TempDir = t.TempDir()
	})
	_ = w
	budgetBefore := fdbudget.InUse()

	big := randomBody(3<<20 + 17)
	small := randomBody(10 << 10)
	tests := []struct {
		name, head string
		body       []byte
		want       string
	}{
		{"content-length, large", fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(big)), big,
			fmt.Sprintf("spooled=true len=%d read=%d err=<nil> sum=%s raw=true trailer=", len(big), len(big), sumOf(big))},
		{"chunked, large, with trailer", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", chunked(big, "X-T: end\r\n"),
			fmt.Sprintf("spooled=true len=%d read=%d err=<nil> sum=%s raw=true trailer=end", len(big), len(big), sumOf(big))},
		{"content-length, small", fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(small)), small,
			fmt.Sprintf("spooled=false len=%d read=%d err=<nil> sum=%s raw=true trailer=", len(small), len(small), sumOf(small))},
		{"expect 100-continue, large", fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", len(big)), big,
			fmt.Sprintf("spooled=true len=%d read=%d err=<nil> sum=%s raw=true trailer=", len(big), len(big), sumOf(big))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn := dial(t, addr)
			br := bufio.NewReader(conn)
			_, err := io.WriteString(conn, tc.head)
			require.NoError(t, err)
			if strings.Contains(tc.head, "100-continue") {
				line, err := br.ReadString('\n')
				require.NoError(t, err)
				require.Equal(t, "HTTP/1.1 100 Continue\r\n", line)
				_, _ = br.ReadString('\n')
			}
			writeSlowly(t, conn, tc.body, 64<<10)
			resp, body := readResponse(t, br, "POST")
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, tc.want, body)
			// The connection serves the next request as usual.
			_, err = io.WriteString(conn, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
			require.NoError(t, err)
			resp, _ = readResponse(t, br, "GET")
			assert.Equal(t, 200, resp.StatusCode)
		})
	}

	t.Run("client gone mid-body", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(big))
		require.NoError(t, err)
		writeSlowly(t, conn, big[:2<<20], 64<<10)
		require.Eventually(t, func() bool { _, s := http.BodyBudgetInUse(proto); return s == 1 }, 5*time.Second, 5*time.Millisecond,
			"the body is being spooled")
		require.NoError(t, conn.Close())
	})

	var mem, spools, budget int64
	var files int
	released := func() bool {
		mem, spools = http.BodyBudgetInUse(proto)
		budget, files = fdbudget.InUse(), openSpoolFiles(t)
		return mem == 0 && spools == 0 && budget <= budgetBefore && files == 0
	}
	if !assert.Eventually(t, released, 5*time.Second, 10*time.Millisecond, "spool files and budget are released") {
		t.Logf("memory %d, spools %d, fd budget %d (before %d), spool files open %d", mem, spools, budget, budgetBefore, files)
	}
	left, err := os.ReadDir(proto.TempDir)
	require.NoError(t, err)
	assert.Empty(t, left, "no file is left in TempDir")
}

// TestServerBodyMemoryBudget: bodies within MaxBodyInMemory go to a
// file when the worker's bodies in memory would exceed MaxBodyMemory, and
// a body that needs a spool file when none is left gets 503 with
// Retry-After.
func TestServerBodyMemoryBudget(t *testing.T) {
	hold := make(chan struct{})
	var proto *http.Protocol
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		if req.Path() == "/hold" {
			go func() { <-hold; bodyReport(c, req) }()
			return
		}
		bodyReport(c, req)
	}, func(w *worker.Worker) {
		proto = httpProto(w)
		proto.TempDir = t.TempDir()
		proto.MaxBodyMemory = 100 << 10
		proto.MaxSpoolFiles = 1
	})
	body := randomBody(80 << 10)
	post := func(path string) (*bufio.Reader, func()) {
		conn := dial(t, addr)
		_, err := fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", path, len(body))
		require.NoError(t, err)
		_, err = conn.Write(body)
		require.NoError(t, err)
		return bufio.NewReader(conn), func() { _ = conn.Close() }
	}
	// The first holds 80 KiB of the 100 KiB budget while its answer waits.
	first, closeFirst := post("/hold")
	defer closeFirst()
	require.Eventually(t, func() bool { m, _ := http.BodyBudgetInUse(proto); return m == int64(len(body)) }, 5*time.Second, 5*time.Millisecond)
	// The second does not fit in memory: it is spooled.
	second, closeSecond := post("/")
	resp, got := readResponse(t, second, "POST")
	assert.Equal(t, 200, resp.StatusCode)
	assert.True(t, strings.HasPrefix(got, "spooled=true len=81920"), got)
	closeSecond()

	// With the one spool file taken by a body still arriving, the next
	// body that needs one is refused for now.
	conn := dial(t, addr)
	_, err := fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", 5<<20)
	require.NoError(t, err)
	_, err = conn.Write(body)
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, s := http.BodyBudgetInUse(proto); return s == 1 }, 5*time.Second, 5*time.Millisecond)
	third, closeThird := post("/")
	defer closeThird()
	_ = third
	conn2 := dial(t, addr)
	_, err = fmt.Fprintf(conn2, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", 2<<20)
	require.NoError(t, err)
	_, err = conn2.Write(body)
	require.NoError(t, err)
	resp, _ = readResponse(t, bufio.NewReader(conn2), "POST")
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))

	close(hold)
	resp, got = readResponse(t, first, "POST")
	assert.Equal(t, 200, resp.StatusCode)
	assert.True(t, strings.HasPrefix(got, "spooled=false len=81920"), got)
	_ = conn.Close()
	closeThird()
	require.Eventually(t, func() bool { m, s := http.BodyBudgetInUse(proto); return m == 0 && s == 0 }, 5*time.Second, 10*time.Millisecond,
		"the budget is whole again")
}

// A handler that panics on a spooled body still leaves no file behind.
func TestServerSpoolFreedAfterPanic(t *testing.T) {
	var proto *http.Protocol
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		panic("handler bug")
	}, func(w *worker.Worker) {
		proto = httpProto(w)
		proto.TempDir = t.TempDir()
	})
	body := randomBody(2 << 20)
	conn := dial(t, addr)
	_, err := fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body))
	require.NoError(t, err)
	writeSlowly(t, conn, body, 64<<10)
	resp, _ := readResponse(t, bufio.NewReader(conn), "POST")
	assert.Equal(t, 500, resp.StatusCode)
	require.Eventually(t, func() bool {
		m, s := http.BodyBudgetInUse(proto)
		return m == 0 && s == 0 && openSpoolFiles(t) == 0
	}, 5*time.Second, 10*time.Millisecond, "the spool file is closed")
}

// An upload in a spooled multipart body reaches the handler as a
// temporary file in TempDir (workerman's tmp_name), removed once the
// response is complete.
func TestServerSpooledUpload(t *testing.T) {
	dir := t.TempDir()
	content := randomBody(3 << 20)
	var seenName atomic.Value
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		f := req.File("doc")
		if f == nil {
			_ = c.Send(http.NewResponse(400, nil, fmt.Sprint(req.ParseForm())))
			return
		}
		seenName.Store(f.TmpName)
		rd, err := f.Open()
		if err != nil {
			_ = c.Send(http.NewResponse(500, nil, err.Error()))
			return
		}
		defer rd.Close()
		h := sha256.New()
		_, _ = io.Copy(h, rd)
		_ = c.Send(fmt.Sprintf("spooled=%v name=%s note=%s sum=%s", req.BodySpooled(), f.Name, req.Post("note"), hex.EncodeToString(h.Sum(nil))))
	}, func(w *worker.Worker) { httpProto(w).TempDir = dir })

	var body bytes.Buffer
	body.WriteString("--XYZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n")
	body.WriteString("--XYZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n")
	body.Write(content)
	body.WriteString("\r\n--XYZ--\r\n")
	conn := dial(t, addr)
	_, err := fmt.Fprintf(conn, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: %d\r\n\r\n", body.Len())
	require.NoError(t, err)
	writeSlowly(t, conn, body.Bytes(), 64<<10)
	resp, got := readResponse(t, bufio.NewReader(conn), "POST")
	require.Equal(t, 200, resp.StatusCode, got)
	assert.Equal(t, "spooled=true name=a.bin note=hello sum="+sumOf(content), got)
	seen, _ := seenName.Load().(string)
	assert.True(t, strings.HasPrefix(seen, dir), "the upload went to TempDir: %s", seen)
	_, err = os.Stat(seen)
	assert.True(t, os.IsNotExist(err), "the upload's temporary file is removed with the response")
}

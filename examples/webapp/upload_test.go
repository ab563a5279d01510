package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/proctest"
)

// pattern is an endless reader of pseudo-random bytes: a 64 KiB block,
// repeated.
type pattern struct {
	block []byte
	off   int
}

func newPattern() *pattern {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return &pattern{block: b}
}

func (p *pattern) Read(b []byte) (int, error) {
	n := copy(b, p.block[p.off:])
	p.off = (p.off + n) % len(p.block)
	return n, nil
}

// A 200 MiB upload streams through a server whose peak memory stays under
// 100 MiB, arrives whole (its SHA-256 matches), and leaves no temporary
// file behind.
func TestUpload200MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MiB upload: not with -short")
	}
	const size = 200 << 20
	tmp := t.TempDir()
	c := proctest.NewCommander(t, "webapp")
	out, err := c.Run("-addr", "127.0.0.1:0", "-tmp", tmp, "start", "-d")
	require.NoError(t, err, out)
	t.Cleanup(func() { _, _ = c.Run("stop") })
	pid, err := c.PID()
	require.NoError(t, err)
	addr := c.Addr()
	before := proctest.PeakRSS(t, pid)

	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Minute)))
	head := "--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--BOUNDARY--\r\n"
	_, err = fmt.Fprintf(conn, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=BOUNDARY\r\n"+
		"Content-Length: %d\r\n\r\n%s", len(head)+size+len(tail), head)
	require.NoError(t, err)
	h := sha256.New()
	w := bufio.NewWriterSize(conn, 256<<10)
	_, err = io.CopyN(io.MultiWriter(w, h), newPattern(), size)
	require.NoError(t, err)
	_, err = w.WriteString(tail)
	require.NoError(t, err)
	require.NoError(t, w.Flush())

	r := bufio.NewReader(conn)
	status, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "HTTP/1.1 200 OK\r\n", status)
	var length int
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		if line == "\r\n" {
			break
		}
		if v, ok := strings.CutPrefix(strings.ToLower(line), "content-length:"); ok {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	body := make([]byte, length)
	_, err = io.ReadFull(r, body)
	require.NoError(t, err)
	var got uploaded
	require.NoError(t, json.Unmarshal(body, &got), string(body))
	assert.Equal(t, uploaded{Name: "big.bin", Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}, got)

	peak := proctest.PeakRSS(t, pid)
	t.Logf("server peak RSS: %.1f MiB before, %.1f MiB after a %d MiB upload", float64(before)/(1<<20), float64(peak)/(1<<20), size>>20)
	assert.Less(t, peak, int64(100<<20), "peak RSS")
	require.Eventually(t, func() bool {
		left, err := os.ReadDir(tmp)
		return err == nil && len(left) == 0
	}, 10*time.Second, 20*time.Millisecond, "the request's temporary files are removed")
}

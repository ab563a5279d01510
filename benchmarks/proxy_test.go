package main

import (
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

// startSink builds and starts servers/proxysink.
func startSink(t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, proxySink)
	if out, err := exec.Command("go", "build", "-o", bin, "./servers/proxysink").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s, err := startServer(launch{Name: proxySink, Bin: bin, Procs: 1, LogDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s
}

// faultyRelay relays to upstream, passing each direction's bytes
// through spoil (nil: as they are).
func faultyRelay(t *testing.T, upstream string, spoil func(b []byte, off int64) []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	pipe := func(dst, src net.Conn) {
		defer dst.Close()
		defer src.Close()
		buf := make([]byte, 32<<10)
		var off int64
		for {
			n, err := src.Read(buf)
			b := buf[:n]
			if spoil != nil {
				b = spoil(b, off)
			}
			off += int64(n)
			if _, werr := dst.Write(b); werr != nil || err != nil {
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			go pipe(up, c)
			go pipe(c, up)
		}
	}()
	return ln.Addr().String()
}

// A relay that passes the bytes as they are passes; one that changes a
// byte fails the checksum, and one that drops bytes fails the count,
// each way.
func TestProxyTransferChecks(t *testing.T) {
	sink := startSink(t)
	pattern := common.ProxyPattern()
	const n = 3<<20 + 5
	want := common.ProxyStreamCRC(pattern, n)
	const at = 2<<20 + 1234 // past the header, in the second pattern round
	flip := func(b []byte, off int64) []byte {
		if off <= at && at < off+int64(len(b)) {
			b[at-off] ^= 1
		}
		return b
	}
	drop := func(b []byte, off int64) []byte {
		if off <= at && at < off+int64(len(b)) {
			return append(b[:at-off:at-off], b[at-off+1:]...)
		}
		return b
	}
	for _, op := range []byte{common.ProxyUpload, common.ProxyDownload} {
		c := proxyCase{Name: string(op), Op: op, Conns: 1, PerConn: n}
		for _, tc := range []struct {
			name  string
			spoil func([]byte, int64) []byte
			sum   bool
			err   string
		}{
			{"intact", nil, true, ""},
			{"a byte changed", flip, true, "checksum"},
			{"a byte changed, not checksummed", flip, false, ""},
			{"a byte dropped", drop, false, map[byte]string{
				common.ProxyUpload:   "no count back", // the upstream waits for the last byte
				common.ProxyDownload: "before the end of stream",
			}[op]},
		} {
			t.Run(string(op)+"/"+tc.name, func(t *testing.T) {
				addr := faultyRelay(t, sink.addr, tc.spoil)
				cn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer cn.Close()
				_ = cn.SetDeadline(time.Now().Add(2 * time.Second))
				got, err := proxyTransfer(cn, c, tc.sum, pattern, want)
				switch {
				case tc.err == "" && err != nil:
					t.Fatalf("moved %d: %v", got, err)
				case tc.err == "" && got != n:
					t.Fatalf("moved %d, want %d", got, n)
				case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
					t.Fatalf("err %v, want one saying %q", err, tc.err)
				}
			})
		}
	}
}

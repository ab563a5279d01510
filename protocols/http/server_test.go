package http_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/fdbudget"
	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/timer"
	"github.com/gnetworker/gnetworker/worker"
)

// These tests drive an http worker over loopback sockets: the codec, the
// connection's Sequencer gating and the event loop together.

func TestServerKeepAliveRules(t *testing.T) {
	_, addr := startServer(t, respondPath, nil)
	tests := []struct {
		name      string
		request   string
		wantConn  string // the response's Connection header (close: resp.Close)
		wantClose bool
	}{
		{"1.1 default keep-alive", "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "", false},
		{"1.1 Connection: close", "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "close", true},
		{"1.0 default close", "GET /a HTTP/1.0\r\n\r\n", "close", true},
		{"1.0 keep-alive", "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "keep-alive", false},
		{"1.0 keep-alive and close", "GET /a HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", "close", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn := dial(t, addr)
			br := bufio.NewReader(conn)
			for round := 0; round < 2; round++ {
				_, err := io.WriteString(conn, tc.request)
				require.NoError(t, err)
				resp, body := readResponse(t, br, "GET")
				assert.Equal(t, 200, resp.StatusCode)
				assert.Equal(t, "/a", body)
				// net/http's reader turns "Connection: close" into Close
				// and drops the header.
				assert.Equal(t, tc.wantClose, resp.Close, "Connection: close")
				if tc.wantConn == "keep-alive" {
					assert.Equal(t, tc.wantConn, strings.ToLower(resp.Header.Get("Connection")))
				}
				if tc.wantClose {
					assert.True(t, waitClosed(conn, 2*time.Second), "connection must close")
					return
				}
			}
			// Kept alive for both rounds; still open now.
			assert.False(t, waitClosed(conn, 100*time.Millisecond), "connection must stay open")
		})
	}
}

func TestServerPipelining(t *testing.T) {
	const n = 16
	var raw strings.Builder
	for i := range n {
		fmt.Fprintf(&raw, "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
	}

	t.Run("one write, one burst, in order", func(t *testing.T) {
		_, addr := startServer(t, respondPath, nil)
		conn := dial(t, addr)
		_, err := io.WriteString(conn, raw.String())
		require.NoError(t, err)
		// The loop answers every pipelined request of one read before it
		// writes: the first read returns all the answers.
		p := make([]byte, 64<<10)
		k, err := conn.Read(p)
		require.NoError(t, err)
		br := bufio.NewReader(bytes.NewReader(p[:k]))
		for i := range n {
			resp, body := readResponse(t, br, "GET")
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, "/"+strconv.Itoa(i), body)
		}
		assert.Zero(t, br.Buffered(), "nothing after the 16 answers")
	})

	t.Run("first answered late from a goroutine", func(t *testing.T) {
		var dispatched []string
		var mu sync.Mutex
		_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
			path := req.Path()
			mu.Lock()
			dispatched = append(dispatched, path)
			mu.Unlock()
			if path == "/0" {
				go func() {
					time.Sleep(50 * time.Millisecond)
					_ = c.Send(http.NewResponse(200, nil, path))
				}()
				return
			}
			_ = c.Send(http.NewResponse(200, nil, path))
		}, nil)
		conn := dial(t, addr)
		_, err := io.WriteString(conn, raw.String())
		require.NoError(t, err)
		br := bufio.NewReader(conn)
		for i := range n {
			resp, body := readResponse(t, br, "GET")
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, "/"+strconv.Itoa(i), body)
		}
		mu.Lock()
		defer mu.Unlock()
		assert.Len(t, dispatched, n)
	})
}

// A client that pipelines more answers than the send buffer holds before
// it starts reading still gets every one: the connection stops dispatching
// while the buffer is full instead of letting the handler's Send fail and
// leave a request owed forever.
func TestServerPipelineFloodWithLateReader(t *testing.T) {
	big := strings.Repeat("x", 10<<10)
	var sendErrs atomic.Int32
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		if err := c.Send(http.NewResponse(200, nil, big)); err != nil {
			sendErrs.Add(1)
		}
	}, func(w *worker.Worker) { w.MaxSendBufferSize = 256 << 10 })
	conn := dial(t, addr)
	const n = 300 // 3 MiB of answers
	go func() {
		_, _ = io.WriteString(conn, strings.Repeat("GET / HTTP/1.1\r\nHost: x\r\n\r\n", n))
	}()
	time.Sleep(300 * time.Millisecond)
	br := bufio.NewReader(conn)
	for i := range n {
		resp, body := readResponse(t, br, "GET")
		require.Equal(t, 200, resp.StatusCode, "answer %d", i)
		require.Len(t, body, len(big), "answer %d", i)
	}
	assert.Zero(t, sendErrs.Load(), "Send failures")
}

func TestServerExpectContinue(t *testing.T) {
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		_ = c.Send(http.NewResponse(200, nil, "got "+string(req.RawBody())))
	}, func(w *worker.Worker) { w.MaxPackageSize = 1024 })

	t.Run("100 before the body, then 200", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		require.NoError(t, err)
		br := bufio.NewReader(conn)
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "HTTP/1.1 100 Continue\r\n", line)
		line, err = br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "\r\n", line)
		_, err = io.WriteString(conn, "hello")
		require.NoError(t, err)
		resp, body := readResponse(t, br, "POST")
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "got hello", body)
	})

	t.Run("too large: 413 and no 100", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4096\r\n\r\n")
		require.NoError(t, err)
		br := bufio.NewReader(conn)
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(line, "HTTP/1.1 413 "), "status line %q", line)
		assert.True(t, waitClosed(conn, 2*time.Second))
	})
}

func TestServerHead(t *testing.T) {
	_, addr := startServer(t, respondPath, nil)
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "HEAD /head HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, body := readResponse(t, br, "HEAD")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "5", resp.Header.Get("Content-Length"), "the length a GET would have")
	assert.Empty(t, body)
	resp, body = readResponse(t, br, "GET")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "/next", body)
}

func TestServerErrorReplies(t *testing.T) {
	_, addr := startServer(t, respondPath, func(w *worker.Worker) { w.MaxPackageSize = 1024 })
	tests := []struct {
		name    string
		request string
		status  int
	}{
		{"400 no Host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"400 bad header", "GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400},
		{"413 body over MaxPackageSize", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n", 413},
		{"414 long target", "GET /" + strings.Repeat("a", 9<<10) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
		{"431 large head", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 17<<10) + "\r\n\r\n", 431},
		{"501 unknown coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
		{"505 version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn := dial(t, addr)
			_, err := io.WriteString(conn, tc.request)
			require.NoError(t, err)
			resp, _ := readResponse(t, bufio.NewReader(conn), "GET")
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.True(t, resp.Close, "Connection: close")
			assert.True(t, waitClosed(conn, 2*time.Second), "connection must close")
		})
	}
}

func TestServerPanicAnswers500(t *testing.T) {
	var panics atomic.Int32
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		if req.Path() == "/panic" {
			panics.Add(1)
			panic("boom")
		}
		respondPath(c, req)
	}, nil)
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "GET /panic HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, _ := readResponse(t, br, "GET")
	assert.Equal(t, 500, resp.StatusCode)
	assert.True(t, resp.Close, "Connection: close")
	assert.True(t, waitClosed(conn, 2*time.Second), "connection must close after a panic")
	assert.Zero(t, br.Buffered(), "the pipelined request must not be answered")
	assert.Equal(t, int32(1), panics.Load())

	conn2 := dial(t, addr)
	_, err = io.WriteString(conn2, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, body := readResponse(t, bufio.NewReader(conn2), "GET")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "/ok", body)
}

// A handler whose response carries CR LF in a header value gets an error
// from Send and nothing is written: the request is still owed, so the
// handler can answer it otherwise. Here it answers 500; the client sees
// that and no injected header. (A handler that ignores the error leaves
// the client waiting, as for any request it never answers.)
func TestServerRefusesResponseSplitting(t *testing.T) {
	sendErr := make(chan error, 1)
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		err := c.Send(http.NewResponse(200, map[string]string{"X-Note": "a\r\nSet-Cookie: pwned=1"}, "evil"))
		sendErr <- err
		if err != nil {
			_ = c.Send(http.NewResponse(500, nil, "refused"))
		}
	}, nil)
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, body := readResponse(t, bufio.NewReader(conn), "GET")
	assert.ErrorIs(t, <-sendErr, http.ErrInvalidResponseHeader)
	assert.Equal(t, 500, resp.StatusCode)
	assert.Equal(t, "refused", body)
	assert.Empty(t, resp.Header.Values("Set-Cookie"))
	assert.Empty(t, resp.Header.Values("X-Note"))
}

// newClient is a net/http client with one keep-alive connection to the
// server, counting the connections it dials.
func newClient(t testing.TB) (*nethttp.Client, *atomic.Int32) {
	var dials atomic.Int32
	tr := &nethttp.Transport{
		MaxIdleConnsPerHost: 1,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &nethttp.Client{Transport: tr, Timeout: 10 * time.Second}, &dials
}

func get(t testing.TB, client *nethttp.Client, url string, header map[string]string) (*nethttp.Response, []byte) {
	t.Helper()
	req, err := nethttp.NewRequest("GET", url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func TestServerChunkedStreaming(t *testing.T) {
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		if req.Path() != "/chunks" {
			respondPath(c, req)
			return
		}
		require.NoError(t, c.Send(http.NewResponse(200, map[string]string{"Transfer-Encoding": "chunked"}, "")))
		go func() {
			for _, s := range []string{"one,", "two,", "three"} {
				_ = c.Send(http.NewChunkString(s))
				time.Sleep(5 * time.Millisecond)
			}
			_ = c.Send(http.NewChunkString(""))
		}()
	}, nil)
	client, dials := newClient(t)
	resp, body := get(t, client, "http://"+addr+"/chunks", nil)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	assert.Equal(t, "one,two,three", string(body))

	var reused bool
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
	})
	req, err := nethttp.NewRequestWithContext(ctx, "GET", "http://"+addr+"/after", nil)
	require.NoError(t, err)
	resp2, err := client.Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp2.Body)
	require.NoError(t, err)
	resp2.Body.Close()
	assert.Equal(t, "/after", string(b))
	assert.True(t, reused, "the connection is reused after the last chunk")
	assert.Equal(t, int32(1), dials.Load())
}

func TestServerFiles(t *testing.T) {
	const size = 5 << 20
	path, content := writeTempFile(t, size)
	dir := filepath.Dir(path)
	budget := fdbudget.InUse()
	t.Cleanup(func() {
		// Every served file's descriptor went back to the budget (the
		// worker has stopped: its connections' did too).
		assert.Equal(t, budget, fdbudget.InUse())
	})

	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		p := path
		if req.Path() == "/missing" {
			p = filepath.Join(dir, "nope.bin")
		}
		_ = c.Send(http.NewResponse(200, nil, "").WithFile(p, 0, 0))
	}, func(w *worker.Worker) { w.MaxSendBufferSize = 256 << 10 })
	base := "http://" + addr
	client, _ := newClient(t)

	t.Run("whole file", func(t *testing.T) {
		resp, body := get(t, client, base+"/big", nil)
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, int64(size), resp.ContentLength)
		assert.True(t, bytes.Equal(content, body), "body differs from the file (%d bytes)", len(body))
	})

	t.Run("range", func(t *testing.T) {
		resp, body := get(t, client, base+"/big", map[string]string{"Range": "bytes=1000-2999"})
		assert.Equal(t, 206, resp.StatusCode)
		assert.Equal(t, fmt.Sprintf("bytes 1000-2999/%d", size), resp.Header.Get("Content-Range"))
		assert.Equal(t, content[1000:3000], body)

		resp, body = get(t, client, base+"/big", map[string]string{"Range": "bytes=-3000000"})
		assert.Equal(t, 206, resp.StatusCode)
		assert.True(t, bytes.Equal(content[size-3000000:], body), "suffix range streamed from the file")
	})

	t.Run("if-modified-since", func(t *testing.T) {
		st, err := os.Stat(path)
		require.NoError(t, err)
		ims := st.ModTime().Add(time.Second).UTC().Format(nethttp.TimeFormat)
		resp, body := get(t, client, base+"/big", map[string]string{"If-Modified-Since": ims})
		assert.Equal(t, 304, resp.StatusCode)
		assert.Empty(t, body)
	})

	t.Run("HEAD has the length and no body", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "HEAD /big HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		br := bufio.NewReader(conn)
		resp, body := readResponse(t, br, "HEAD")
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, strconv.Itoa(size), resp.Header.Get("Content-Length"))
		assert.Empty(t, body)
		resp, _ = readResponse(t, br, "GET")
		assert.Equal(t, 404, resp.StatusCode, "the next request parses right after the HEAD")
	})

	t.Run("pipelined after a streamed file", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		br := bufio.NewReader(conn)
		resp, body := readResponse(t, br, "GET")
		assert.Equal(t, 200, resp.StatusCode)
		assert.True(t, bytes.Equal(content, []byte(body)), "got %d bytes", len(body))
		resp, _ = readResponse(t, br, "GET")
		assert.Equal(t, 404, resp.StatusCode)
	})

	t.Run("missing", func(t *testing.T) {
		resp, _ := get(t, client, base+"/missing", nil)
		assert.Equal(t, 404, resp.StatusCode)
	})
}

// writeTempFile writes size random bytes to a file in a temporary
// directory and returns its path and content.
func writeTempFile(t *testing.T, size int) (string, []byte) {
	content := make([]byte, size)
	_, _ = rand.Read(content)
	path := filepath.Join(t.TempDir(), "big.bin")
	require.NoError(t, os.WriteFile(path, content, 0o644))
	return path, content
}

// A file larger than the send buffer reaches a client that reads slowly,
// whole, with the connection's buffered output bounded by the pump's pacing
// (a 64 KiB piece only while under half of MaxSendBufferSize), whatever
// MaxSendBufferSize is.
func TestServerFileSlowReader(t *testing.T) {
	const size = 5 << 20
	path, content := writeTempFile(t, size)
	for _, maxSend := range []int{256 << 10, 48 << 10, 4 << 10} {
		t.Run(fmt.Sprintf("MaxSendBufferSize=%d", maxSend), func(t *testing.T) {
			w, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
				_ = c.Send(http.NewResponse(200, nil, "").WithFile(path, 0, 0))
			}, func(w *worker.Worker) { w.MaxSendBufferSize = maxSend })
			// A small receive window and a pause before reading make the
			// server's socket fill up, so that gnet holds output and the
			// pump must wait for it to drain.
			d := net.Dialer{Timeout: 2 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
				return rc.Control(func(fd uintptr) {
					_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10)
				})
			}}
			conn, err := d.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
			_, err = io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
			require.NoError(t, err)
			var peak atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
					}
					for _, c := range w.Connections() {
						if b := int64(c.BufferedOutput()); b > peak.Load() {
							peak.Store(b)
						}
					}
				}
			})
			time.Sleep(300 * time.Millisecond)
			br := bufio.NewReaderSize(conn, 16<<10)
			resp, err := nethttp.ReadResponse(br, &nethttp.Request{Method: "GET"})
			require.NoError(t, err)
			got := make([]byte, 0, size)
			p := make([]byte, 32<<10)
			for {
				k, err := resp.Body.Read(p)
				got = append(got, p[:k]...)
				if err == io.EOF {
					break
				}
				if !assert.NoError(t, err, "after %d bytes", len(got)) {
					break
				}
				if len(got)%(1<<20) < len(p) {
					time.Sleep(20 * time.Millisecond) // now and then a pause
				}
			}
			close(stop)
			wg.Wait()
			assert.True(t, bytes.Equal(content, got), "slow reader got %d bytes", len(got))
			assert.LessOrEqual(t, peak.Load(), int64(maxSend/2+64<<10), "output buffered for one connection")
			t.Logf("peak buffered output: %d bytes", peak.Load())
		})
	}
}

// A client that asks for a large file and never reads must not hold the
// connection, the pump's goroutine and the open file forever: when the
// output makes no progress for the idle timeout, the connection is dropped.
func TestServerFileToNonReader(t *testing.T) {
	path, content := writeTempFile(t, 5<<20)
	var closed atomic.Bool
	_, addr := startServer(t, func(c *connection.TcpConnection, req *http.Request) {
		_ = c.Send(http.NewResponse(200, nil, "").WithFile(path, 0, 0))
	}, func(w *worker.Worker) {
		w.MaxSendBufferSize = 128 << 10
		httpProto(w).IdleTimeout = 200 * time.Millisecond
		w.OnClose = func(*connection.TcpConnection) { closed.Store(true) }
	})
	d := net.Dialer{Timeout: 2 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10)
		})
	}}
	conn, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	assert.Eventually(t, closed.Load, 3*time.Second, 10*time.Millisecond,
		"the server must drop a peer that does not read")

	// A peer that reads steadily, through a small window so that the
	// transfer lasts many idle timeouts, gets the whole file.
	conn2, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn2.Close()
	require.NoError(t, conn2.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn2, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	start := time.Now()
	resp, body := readResponse(t, bufio.NewReaderSize(conn2, 4<<10), "GET")
	assert.Equal(t, 200, resp.StatusCode)
	assert.True(t, bytes.Equal(content, []byte(body)), "got %d bytes", len(body))
	t.Logf("steady reader took %v", time.Since(start))
}

func TestServerNoLeaks(t *testing.T) {
	_, addr := startServer(t, respondPath, nil)
	// Warm up: the date cache's timer, gnet's goroutines, the client side.
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	readResponse(t, bufio.NewReader(conn), "GET")
	conn.Close()
	time.Sleep(50 * time.Millisecond)
	goroutines := runtime.NumGoroutine()
	timers := (timer.Len() + systimer.Len())

	const n = 200
	var wg sync.WaitGroup
	sem := make(chan struct{}, 20)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if !assert.NoError(t, err) {
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
			switch i % 3 {
			case 1:
				req = "GET / HTTP/1.1\r\nHost: x\r\n" // half a head: header timeout armed
			case 2:
				req = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
			}
			_, _ = io.WriteString(c, req)
			if i%3 == 0 {
				_, _ = c.Read(make([]byte, 512)) // the answer: idle timeout armed
			}
		})
	}
	wg.Wait()
	assert.Eventually(t, func() bool {
		return runtime.NumGoroutine() <= goroutines+2 && (timer.Len()+systimer.Len()) <= timers
	}, 5*time.Second, 10*time.Millisecond, "goroutines %d (start %d), timers %d (start %d)",
		runtime.NumGoroutine(), goroutines, (timer.Len() + systimer.Len()), timers)
}

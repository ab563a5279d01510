package worker_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/worker"
)

// Close(data) from OnConnect on a TLS connection: the transport keeps the
// data until the handshake ends, and the close waits for it. The client
// gets "bye" and then the end of the stream. (Found by a second reader.)
func TestTLSCloseWithDataBeforeHandshake(t *testing.T) {
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.Transport = "ssl"
		w.TLSConfig = serverTLS(t)
		w.OnConnect = func(c *connection.TcpConnection) { _ = c.Close("bye") }
		w.OnMessage = func(c *connection.TcpConnection, line string) {}
	})
	raw := dial(t, addr)
	conn := tls.Client(raw, clientTLS(t))
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	assert.NoError(t, conn.Handshake(), "the handshake is not cut by the close")
	got, err := io.ReadAll(conn)
	assert.NoError(t, err, "a clean end of stream")
	assert.Equal(t, "bye\n", string(got), "what Close was given is written before the close")
}

// MaxSendBufferSize during the handshake: what is sent before the
// handshake ends, which the transport keeps, counts in BufferedOutput and
// against the limit. (Found by a second reader.)
func TestTLSSendBufferCountsWhatWaitsForTheHandshake(t *testing.T) {
	const max, chunk, n = 64 << 10, 16 << 10, 64 // 1 MiB offered against 64 KiB
	type result struct {
		accepted int
		buffered int
		full     bool
	}
	res := make(chan result, 1)
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.Transport = "ssl"
		w.TLSConfig = serverTLS(t)
		w.MaxSendBufferSize = max
		w.OnConnect = func(c *connection.TcpConnection) {
			go func() {
				var r result
				line := string(bytes.Repeat([]byte{'x'}, chunk-1))
				for range n {
					err := c.Send(line)
					if errors.Is(err, connection.ErrSendBufferFull) {
						r.full = true
						break
					}
					if err != nil {
						break
					}
					r.accepted += chunk
					// Let the loop flush what was staged before the next send.
					done := make(chan struct{})
					if c.Execute(func() { close(done) }) != nil {
						break
					}
					select {
					case <-done:
					case <-time.After(5 * time.Second):
					}
				}
				r.buffered = c.BufferedOutput()
				res <- r
			}()
		}
		w.OnMessage = func(c *connection.TcpConnection, line string) {}
	})
	_ = dial(t, addr) // connects, never says hello: nothing can reach it
	var r result
	select {
	case r = <-res:
	case <-time.After(8 * time.Second):
		t.Fatal("sender did not finish")
	}
	assert.True(t, r.full || r.buffered >= r.accepted-max,
		"accepted %d bytes that nothing wrote, BufferedOutput reports %d, never full", r.accepted, r.buffered)
}

// flushConn holds writes back until flush, so that two TLS records go to
// the server in one TCP segment.
type flushConn struct {
	net.Conn
	mu   sync.Mutex
	hold bool
	buf  []byte
}

func (f *flushConn) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hold {
		f.buf = append(f.buf, p...)
		return len(p), nil
	}
	return f.Conn.Write(p)
}

func (f *flushConn) flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = false
	// tls.Conn.CloseWrite leaves the write deadline at now.
	if err := f.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	_, err := f.Conn.Write(f.buf)
	return err
}

// A request followed at once by the client's close_notify (in one read)
// is answered before the close, as a plain TCP connection answers a
// request that comes with the FIN. (Found by a second reader.)
func TestTLSDataBeforeCloseNotifyIsAnswered(t *testing.T) {
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.Transport = "ssl"
		w.TLSConfig = serverTLS(t)
		w.OnMessage = func(c *connection.TcpConnection, line string) { _ = c.Send("re " + line) }
	})
	raw := dial(t, addr)
	fc := &flushConn{Conn: raw}
	conn := tls.Client(fc, clientTLS(t))
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	require.NoError(t, conn.Handshake())
	fc.mu.Lock()
	fc.hold = true
	fc.mu.Unlock()
	_, err := io.WriteString(conn, "hello\n")
	require.NoError(t, err)
	require.NoError(t, conn.CloseWrite()) // close_notify
	require.NoError(t, fc.flush())
	line, err := bufio.NewReader(conn).ReadString('\n')
	assert.NoError(t, err)
	assert.Equal(t, "re hello\n", line)
}

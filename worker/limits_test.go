package worker_test

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/worker"
)

func TestBadPortSaysOutOfRange(t *testing.T) {
	_, err := worker.New("text://127.0.0.1:99999")
	require.ErrorIs(t, err, worker.ErrBadAddress)
	assert.Contains(t, err.Error(), "port 99999 out of range")
}

// An http worker without OnMessage would accept requests and never answer
// them: Start refuses it and names the worker.
func TestStartRequiresOnMessageForHTTP(t *testing.T) {
	w, err := worker.New("http://127.0.0.1:0")
	require.NoError(t, err)
	w.Name = "api"
	err = w.Start()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"api"`)
	assert.Contains(t, err.Error(), "OnMessage")

	// A raw tcp worker may well live on OnConnect alone.
	tw, err := worker.New("tcp://127.0.0.1:0")
	require.NoError(t, err)
	tw.Count = 1
	tw.OnConnect = func(c *connection.TcpConnection) { _ = c.Close("hi") }
	require.NoError(t, tw.Start())
	require.NoError(t, tw.Stop())
}

func TestMaxConnections(t *testing.T) {
	var open atomic.Int32
	w, addr := start(t, "text", func(w *worker.Worker) {
		w.MaxConnections = 3
		w.OnConnect = func(*connection.TcpConnection) { open.Add(1) }
		w.OnMessage = func(c *connection.TcpConnection, line string) { _ = c.Send(line) }
	})
	var conns []net.Conn
	for range 3 {
		c := dial(t, addr)
		_, err := c.Write([]byte("x\n"))
		require.NoError(t, err)
		_, err = c.Read(make([]byte, 2))
		require.NoError(t, err)
		conns = append(conns, c)
	}
	over := dial(t, addr)
	_, err := io.ReadAll(over)
	require.NoError(t, err, "the fourth connection is closed at once")
	assert.Equal(t, int32(3), open.Load(), "OnConnect never ran for the refused one")
	assert.Equal(t, 3, w.ConnectionCount())

	require.NoError(t, conns[0].Close())
	eventually(t, func() bool { return w.ConnectionCount() == 2 }, "the closed one is gone")
	again := dial(t, addr)
	_, err = again.Write([]byte("back\n"))
	require.NoError(t, err)
	buf := make([]byte, 5)
	_, err = io.ReadFull(again, buf)
	require.NoError(t, err)
	assert.Equal(t, "back\n", string(buf))
}

// A restart right after the server closed connections itself (leaving
// them in TIME_WAIT) binds the same port at once: SO_REUSEADDR.
func TestRestartAfterServerSideCloses(t *testing.T) {
	w, err := worker.New("text://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 1
	w.OnMessage = func(c *connection.TcpConnection, line string) { _ = c.Close("bye") }
	require.NoError(t, w.Start())
	addr := w.Addr().String()
	for range 5 {
		c := dial(t, addr)
		_, err := c.Write([]byte("x\n"))
		require.NoError(t, err)
		_, _ = io.ReadAll(c)
	}
	time.Sleep(50 * time.Millisecond) // the server's close is the active one
	require.NoError(t, w.Stop())

	w2, err := worker.New("text://" + addr)
	require.NoError(t, err)
	w2.Count = 1
	w2.OnMessage = func(c *connection.TcpConnection, line string) {}
	err = w2.Start()
	if err != nil && strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("restart failed: %v", err)
	}
	require.NoError(t, err)
	require.NoError(t, w2.Stop())
}

// Every loop listens with SO_REUSEPORT on Linux, which would let a second
// server share the port silently: without ReusePort it must fail instead.
func TestSecondWorkerOnSamePortFails(t *testing.T) {
	w, addr := start(t, "text", func(w *worker.Worker) {
		w.OnMessage = func(*connection.TcpConnection, string) {}
	})
	_ = w
	w2, err := worker.New("text://" + addr)
	require.NoError(t, err)
	w2.Count = 1
	w2.OnMessage = func(*connection.TcpConnection, string) {}
	err = w2.Start()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "address already in use")
}

// gnet's own log lines go to the worker's Logger, not to stderr; its
// start-up chatter at Debug.
func TestGnetLogsGoToTheWorkersLogger(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	w, err := worker.New("text://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 1
	w.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w.OnMessage = func(*connection.TcpConnection, string) {}
	require.NoError(t, w.Start())
	require.NoError(t, w.Stop())
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, buf.String(), "level=DEBUG")
	assert.Contains(t, buf.String(), "Launching gnet")
	assert.Contains(t, buf.String(), "component=gnet")
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

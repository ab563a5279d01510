package worker_test

import (
	"bufio"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/worker"
)

// A server connection paused with PauseRecv gets no message until
// ResumeRecv, and then every line in order; its peer can still read
// what the server sends meanwhile.
func TestPauseRecvOnServerConnection(t *testing.T) {
	var mu sync.Mutex
	var got []string
	conns := make(chan *connection.TcpConnection, 1)
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.OnConnect = func(c *connection.TcpConnection) {
			c.PauseRecv()
			_ = c.Send("paused")
			conns <- c
		}
		w.OnMessage = func(c *connection.TcpConnection, msg string) {
			mu.Lock()
			got = append(got, msg)
			mu.Unlock()
		}
	})
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	assert.Equal(t, "paused", readLine(t, r))
	c := <-conns
	assert.True(t, c.RecvPaused())
	const lines = 1000
	for i := range lines {
		_, err := fmt.Fprintf(conn, "line %d\n", i)
		require.NoError(t, err)
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	assert.Empty(t, got, "dispatched while paused")
	mu.Unlock()
	require.NoError(t, c.Send("still talking"))
	assert.Equal(t, "still talking", readLine(t, r))

	c.ResumeRecv()
	assert.False(t, c.RecvPaused())
	eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == lines
	}, "every line after ResumeRecv")
	mu.Lock()
	defer mu.Unlock()
	for i, s := range got {
		require.Equal(t, fmt.Sprintf("line %d", i), s)
	}
}

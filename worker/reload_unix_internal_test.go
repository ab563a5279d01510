package worker

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
)

// A reload with a unix:// worker, in one process: the new process removes
// the path and listens on a new socket there (claimAddress under
// inReload); the old one, handed over, stops. gnet's listener close
// removes the path (os.RemoveAll of the address), and the old worker puts
// the new socket back there, so the new process stays reachable. (Found
// by a second reader.)
func TestReloadKeepsTheNewUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	mk := func(reply string) *Worker {
		w, err := New("text+unix://" + path)
		require.NoError(t, err)
		w.Count = 1
		w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		w.OnMessage = func(c *connection.TcpConnection, msg string) { _ = c.Send(reply) }
		return w
	}
	old := mk("old")
	require.NoError(t, old.Start())
	t.Cleanup(func() { _ = old.Stop() })

	// The new process: the path is its own now.
	require.NoError(t, os.Remove(path))
	nw := mk("new")
	require.NoError(t, nw.Start())
	t.Cleanup(func() { _ = nw.Stop() })

	// The old process, handed over, stops.
	old.handedOver.Store(true)
	require.NoError(t, old.Stop())

	_, err := os.Stat(path)
	assert.NoError(t, err, "the new process's socket path is still there")
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if !assert.NoError(t, err, "the new process is reachable") {
		return
	}
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = io.WriteString(c, "hi\n")
	require.NoError(t, err)
	line, err := bufio.NewReader(c).ReadString('\n')
	assert.NoError(t, err)
	assert.Equal(t, "new\n", line)
}

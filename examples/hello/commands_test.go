package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/proctest"
	"github.com/gnetworker/gnetworker/worker"
)

// start -d returns once the daemon listens; status, connections and stop
// then reach it over its control socket; stop returns once it is gone.
func TestDaemonCommands(t *testing.T) {
	c := proctest.NewCommander(t, "hello")
	out, err := c.Run("-addr", "127.0.0.1:0", "-count", "1", "start", "-d")
	require.NoError(t, err, out)
	assert.Contains(t, out, "started (pid ")
	pid, err := c.PID()
	require.NoError(t, err)

	out, err = c.Run("-addr", "127.0.0.1:0", "start", "-d")
	assert.Error(t, err, "a second start while it runs fails")
	assert.Contains(t, out, "already running (pid "+strconv.Itoa(pid))

	st := c.Status()
	assert.Equal(t, pid, st.PID)
	require.Len(t, st.Workers, 1)
	w := st.Workers[0]
	assert.Equal(t, "hello", w.Name)
	assert.Equal(t, 1, w.Loops)
	addr := strings.TrimPrefix(w.Listen, "http://")
	for range 3 {
		resp, err := http.Get("http://" + addr + "/")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
	}
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.Eventually(t, func() bool {
		st := c.Status()
		return st.Workers[0].Messages == 3 && st.Workers[0].Connections >= 1
	}, 10*time.Second, 50*time.Millisecond, "status counts the requests and the open connection")
	assert.Positive(t, c.Status().RSS)

	out, err = c.Run("connections", "--json")
	require.NoError(t, err, out)
	var conns []worker.ConnectionStatus
	require.NoError(t, json.Unmarshal([]byte(out), &conns), out)
	found := false
	for _, cs := range conns {
		if cs.Remote == conn.LocalAddr().String() {
			found = true
			assert.Equal(t, "hello", cs.Worker)
			assert.Equal(t, "http", cs.Protocol)
			assert.Equal(t, "ESTABLISHED", cs.Status)
		}
	}
	assert.True(t, found, "our connection is listed: %s", out)

	out, err = c.Run("status")
	require.NoError(t, err, out)
	assert.Contains(t, out, "hello")
	assert.Contains(t, out, "http://"+addr)
	out, err = c.Run("connections")
	require.NoError(t, err, out)
	assert.Contains(t, out, conn.LocalAddr().String())

	out, err = c.Run("stop")
	require.NoError(t, err, out)
	assert.Contains(t, out, "stopped")
	assert.False(t, proctest.Alive(pid), "the daemon is gone once stop returns")
	_, err = os.Stat(c.PidFile)
	assert.True(t, os.IsNotExist(err), "the pid file is removed")

	out, err = c.Run("status")
	assert.Error(t, err)
	assert.Contains(t, out, "not running")
}

// A daemon that cannot bind reports why, and start -d fails with it.
func TestDaemonStartReportsBindError(t *testing.T) {
	c := proctest.NewCommander(t, "hello")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	out, err := c.Run("-addr", busy.Addr().String(), "start", "-d")
	assert.Error(t, err)
	assert.Contains(t, out, "address already in use")
	_, err = os.Stat(c.PidFile)
	assert.True(t, os.IsNotExist(err), "no pid file is left")
}

// A pid file whose process is gone does not block a start, nor does a
// restart need a running server.
func TestStalePidFile(t *testing.T) {
	c := proctest.NewCommander(t, "hello")
	require.NoError(t, os.WriteFile(c.PidFile, []byte("999999\n"), 0o644))
	out, err := c.Run("-addr", "127.0.0.1:0", "start", "-d")
	require.NoError(t, err, out)
	first, err := c.PID()
	require.NoError(t, err)
	out, err = c.Run("-addr", "127.0.0.1:0", "restart", "-d")
	require.NoError(t, err, out)
	second, err := c.PID()
	require.NoError(t, err)
	assert.NotEqual(t, first, second, "restart runs a new process")
	out, err = c.Run("stop", "-g")
	require.NoError(t, err, out)
}

// status -d refreshes the table every second until interrupted.
func TestStatusRefreshes(t *testing.T) {
	c := proctest.NewCommander(t, "hello")
	out, err := c.Run("-addr", "127.0.0.1:0", "start", "-d")
	require.NoError(t, err, out)
	cmd := exec.Command(c.Bin, "status", "-d")
	cmd.Env = append(os.Environ(), "GNETWORKER_PIDFILE="+c.PidFile)
	var buf syncBuffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return strings.Count(buf.String(), "uptime") >= 2 },
		15*time.Second, 50*time.Millisecond, "refreshed at least once")
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	assert.NoError(t, cmd.Wait(), "status -d ends cleanly on SIGINT")
	assert.Contains(t, buf.String(), "\033[2J", "each refresh clears the screen")
	out, err = c.Run("stop")
	require.NoError(t, err, out)
}

// syncBuffer is a strings.Builder that a process writes while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/worker"
)

// commander runs the built example with workerman's commands, all of them
// on one pid file (and so one control socket) in a temporary directory.
type commander struct {
	t       *testing.T
	bin     string
	pidFile string
}

func newCommander(t *testing.T) *commander {
	t.Helper()
	dir := t.TempDir()
	c := &commander{t: t, bin: buildHello(t, requireTool(t, "go"), dir), pidFile: filepath.Join(dir, "hello.pid")}
	t.Cleanup(func() {
		// Whatever the test did, no daemon outlives it.
		if pid, err := c.pid(); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return c
}

// run runs the example with args and returns its output and error.
func (c *commander) run(args ...string) (string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = append(os.Environ(), "GNETWORKER_PIDFILE="+c.pidFile)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *commander) pid() (int, error) {
	b, err := os.ReadFile(c.pidFile)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// status runs `status --json`.
func (c *commander) status() worker.ProcessStatus {
	c.t.Helper()
	out, err := c.run("status", "--json")
	require.NoError(c.t, err, out)
	var st worker.ProcessStatus
	require.NoError(c.t, json.Unmarshal([]byte(out), &st), out)
	return st
}

// start -d returns once the daemon listens; status, connections and stop
// then reach it over its control socket; stop returns once it is gone.
func TestDaemonCommands(t *testing.T) {
	c := newCommander(t)
	out, err := c.run("-addr", "127.0.0.1:0", "-count", "1", "start", "-d")
	require.NoError(t, err, out)
	assert.Contains(t, out, "started (pid ")
	pid, err := c.pid()
	require.NoError(t, err)

	out, err = c.run("-addr", "127.0.0.1:0", "start", "-d")
	assert.Error(t, err, "a second start while it runs fails")
	assert.Contains(t, out, "already running (pid "+strconv.Itoa(pid))

	st := c.status()
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
		st := c.status()
		return st.Workers[0].Messages == 3 && st.Workers[0].Connections >= 1
	}, 10*time.Second, 50*time.Millisecond, "status counts the requests and the open connection")
	assert.Positive(t, c.status().RSS)

	out, err = c.run("connections", "--json")
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

	out, err = c.run("status")
	require.NoError(t, err, out)
	assert.Contains(t, out, "hello")
	assert.Contains(t, out, "http://"+addr)
	out, err = c.run("connections")
	require.NoError(t, err, out)
	assert.Contains(t, out, conn.LocalAddr().String())

	out, err = c.run("stop")
	require.NoError(t, err, out)
	assert.Contains(t, out, "stopped")
	assert.False(t, alive(pid), "the daemon is gone once stop returns")
	_, err = os.Stat(c.pidFile)
	assert.True(t, os.IsNotExist(err), "the pid file is removed")

	out, err = c.run("status")
	assert.Error(t, err)
	assert.Contains(t, out, "not running")
}

// A daemon that cannot bind reports why, and start -d fails with it.
func TestDaemonStartReportsBindError(t *testing.T) {
	c := newCommander(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	out, err := c.run("-addr", busy.Addr().String(), "start", "-d")
	assert.Error(t, err)
	assert.Contains(t, out, "address already in use")
	_, err = os.Stat(c.pidFile)
	assert.True(t, os.IsNotExist(err), "no pid file is left")
}

// A pid file whose process is gone does not block a start, nor does a
// restart need a running server.
func TestStalePidFile(t *testing.T) {
	c := newCommander(t)
	require.NoError(t, os.WriteFile(c.pidFile, []byte("999999\n"), 0o644))
	out, err := c.run("-addr", "127.0.0.1:0", "start", "-d")
	require.NoError(t, err, out)
	first, err := c.pid()
	require.NoError(t, err)
	out, err = c.run("-addr", "127.0.0.1:0", "restart", "-d")
	require.NoError(t, err, out)
	second, err := c.pid()
	require.NoError(t, err)
	assert.NotEqual(t, first, second, "restart runs a new process")
	out, err = c.run("stop", "-g")
	require.NoError(t, err, out)
}

// alive: pid is a process that has not exited (a zombie has).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

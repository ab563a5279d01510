package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/proctest"
)

// A second reload while the first one's old process still drains is
// refused: that process's sockets are still in the port's reuseport group,
// ahead of the current one's, and the next process could not tell where
// its own begin (a second reader found new connections all going to a
// process that was exiting). Once it has exited, the reload goes through
// and new connections reach the newest process.
func TestReloadWaitsForTheLastOldProcess(t *testing.T) {
	c := proctest.NewCommander(t, "hello")
	out, err := c.Run("-addr", "127.0.0.1:0", "-count", "2", "start", "-d")
	require.NoError(t, err, out)
	addr := c.Addr()
	p1 := c.Status().PID
	t.Cleanup(func() { _ = syscall.Kill(p1, syscall.SIGKILL) })

	// A request half sent to the first process keeps it draining.
	hold, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer hold.Close()
	_, err = io.WriteString(hold, "GET / HTTP/1.1\r\nHost: x\r\n")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return c.Status().Workers[0].Connections == 1 },
		5*time.Second, 10*time.Millisecond, "the first process holds the request")

	out, err = c.Run("reload", "-g")
	require.NoError(t, err, out)
	p2 := c.Status().PID
	t.Cleanup(func() { _ = syscall.Kill(p2, syscall.SIGKILL) })
	out, err = c.Run("reload", "-g")
	assert.Error(t, err)
	assert.Contains(t, out, "still finishes its connections")
	require.True(t, proctest.Alive(p1), "the first process still drains")

	hold.Close()
	require.Eventually(t, func() bool { return !proctest.Alive(p1) }, 10*time.Second, 10*time.Millisecond)
	out, err = c.Run("reload", "-g")
	require.NoError(t, err, out)
	p3 := c.Status().PID
	require.NotEqual(t, p2, p3)

	closed := 0
	for range 40 {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err)
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if assert.NoError(t, err) {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.Close {
				closed++
			}
		}
		conn.Close()
	}
	assert.Zero(t, closed, "of 40 new connections, %d were served by a handed-over process (pids %d %d %d)", closed, p1, p2, p3)
	out, err = c.Run("stop")
	assert.NoError(t, err, strings.TrimSpace(out))
}

// childOf returns the pid of a process whose parent is ppid, or 0.
func childOf(ppid int) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(ppid) {
			return pid
		}
	}
	return 0
}

// stop while a reload is starting the new process is refused: stopping
// the old process then would leave the new one serving with no command
// reaching it (a second reader showed that). Once the reload is done, stop
// reaches the new process, and nothing is left on the port.
func TestStopDuringReloadIsRefused(t *testing.T) {
	c := proctest.NewCommander(t, "hello")
	out, err := c.Run("-addr", "127.0.0.1:0", "start", "-d")
	require.NoError(t, err, out)
	addr := c.Addr()
	p1 := c.Status().PID

	type result struct {
		out string
		err error
	}
	reloaded := make(chan result, 1)
	go func() {
		out, err := c.Run("reload")
		reloaded <- result{out, err}
	}()
	// A child of the old process shows the reload under way. It is not
	// always the new process: the Go runtime's first exec probes clone
	// with a child that exits at once. The reload's answer names the new
	// one.
	require.Eventually(t, func() bool { return childOf(p1) != 0 }, 5*time.Second, time.Millisecond,
		"the reload started a new process")

	// stop, as the command sends it, at once (starting the command takes
	// longer than the new process takes to listen).
	ctl, err := net.DialTimeout("unix", strings.TrimSuffix(c.PidFile, ".pid")+".sock", 5*time.Second)
	require.NoError(t, err)
	_ = ctl.SetDeadline(time.Now().Add(20 * time.Second))
	_, err = io.WriteString(ctl, "stop\n")
	require.NoError(t, err)
	answer, _ := io.ReadAll(ctl)
	ctl.Close()
	// The old process refuses; or, when the new one already owned the
	// socket, the new one stops (the old one is leaving anyway).
	refused := strings.Contains(string(answer), "a reload is under way")
	var child int
	select {
	case r := <-reloaded:
		require.NoError(t, r.err, "the reload goes through: %s", r.out)
		_, err := fmt.Sscanf(r.out, "reloaded: pid %d serves", &child)
		require.NoError(t, err, r.out)
		t.Cleanup(func() { _ = syscall.Kill(child, syscall.SIGKILL) })
	case <-time.After(20 * time.Second):
		t.Fatal("reload did not return")
	}
	if !refused {
		assert.Contains(t, string(answer), "stopping "+strconv.Itoa(child), "stop reached the new process")
	}
	if refused {
		assert.Equal(t, child, c.Status().PID, "the new process serves")
		out, err = c.Run("stop")
		require.NoError(t, err, out)
	}
	require.Eventually(t, func() bool { return !proctest.Alive(p1) }, 10*time.Second, 10*time.Millisecond)
	assert.Eventually(t, func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	}, 5*time.Second, 20*time.Millisecond, "no server is left on %s", addr)
}

package worker_test

// Second reader's reproducer (review of the changes since bc73216).

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/fdbudget"
	"github.com/gnetworker/gnetworker/worker"
)

const reviewChildEnv = "GNETWORKER_REVIEW_FD_CHILD"

func openFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}

// The child: a text echo worker with many event loops under a small
// RLIMIT_NOFILE.
func TestFdReserveChild(t *testing.T) {
	if os.Getenv(reviewChildEnv) == "" {
		t.Skip("run by TestFdReserveIgnoresLoopCount")
	}
	var n uint64 = 1024
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}))
	before := openFDs()
	w, err := worker.New("text://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 16 // a 16-core machine's default
	w.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	w.OnMessage = func(c *connection.TcpConnection, line string) { _ = c.Send(line) }
	require.NoError(t, w.Start())
	fmt.Printf("ADDR %s fds-before=%d fds-after-start=%d budget=%d\n", w.Addr(), before, openFDs(), fdbudget.Limit())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent is done
	fmt.Printf("END fds=%d inuse=%d\n", openFDs(), fdbudget.InUse())
}

// fdbudget's reserve is max(limit/16, 64) whatever the number of event
// loops, but each loop holds descriptors outside the budget (its
// SO_REUSEPORT listener, its epoll and eventfd, the probe's two ends).
// With 16 loops and RLIMIT_NOFILE 1024 the budget lets accepted sockets
// reach the limit: accept(2) fails with EMFILE and gnet's engine stops, so
// the server no longer answers anyone once the flood is gone.
func TestFdReserveIgnoresLoopCount(t *testing.T) {
	if os.Getenv(reviewChildEnv) != "" {
		t.Skip("child")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFdReserveChild$", "-test.v")
	cmd.Env = append(os.Environ(), reviewChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	br := bufio.NewReader(out)
	var addr string
	for addr == "" {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		t.Log(strings.TrimSpace(line))
		if strings.HasPrefix(line, "ADDR ") {
			addr = strings.Fields(line)[1]
		}
	}
	var held []net.Conn
	for range 1100 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Logf("dial: %v", err)
			break
		}
		held = append(held, c)
	}
	time.Sleep(500 * time.Millisecond)
	for _, c := range held {
		_ = c.Close()
	}
	time.Sleep(500 * time.Millisecond)
	c, err := net.DialTimeout("tcp", addr, time.Second)
	require.NoError(t, err, "the server still listens after the flood")
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	_, err = io.WriteString(c, "ping\n")
	require.NoError(t, err)
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err, "the server still answers after the flood")
	require.Equal(t, "ping\n", line)
	_ = stdin.Close()
	rest, _ := io.ReadAll(br)
	t.Log(string(rest))
}

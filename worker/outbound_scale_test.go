package worker_test

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/fdbudget"
	"github.com/gnetworker/gnetworker/worker"
)

// echoServerEnv makes this test binary a text echo server in another
// process (see TestMain), so that 10,000 outbound connections and the
// 10,000 they reach do not share one process's descriptor limit.
const echoServerEnv = "GNETWORKER_TEST_ECHO_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(echoServerEnv) != "" {
		runEchoServer()
		return
	}
	os.Exit(m.Run())
}

// runEchoServer serves text:// echo on 127.0.0.1:0, printing its address
// on stdout, until stdin closes.
func runEchoServer() {
	w, err := worker.New("text://127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	w.Count = 1
	w.Logger = quiet()
	w.OnMessage = func(c *connection.TcpConnection, msg string) { _ = c.Send("echo: " + msg) }
	if err := w.Start(); err != nil {
		panic(err)
	}
	os.Stdout.WriteString(w.Addr().String() + "\n")
	_, _ = os.Stdin.Read(make([]byte, 1))
	_ = w.Stop()
}

// startEchoProcess runs the echo server in a child process.
func startEchoProcess(t *testing.T) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), echoServerEnv+"=1")
	return startChild(t, cmd)
}

// startChild starts a server process that prints its address (or port)
// on its first line and stops when its stdin closes, returning that
// line; the server is stopped when the test ends.
func startChild(t *testing.T, cmd *exec.Cmd) string {
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSpace(line)
}

// 10,000 outbound connections from one process to the framework's own
// server: all connect, each sends and receives a line, all close, and
// connecting them costs no goroutine per connection.
func TestTenThousandOutboundConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 connections: not with -short")
	}
	const n = 10_000
	var rl syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl))
	if rl.Cur < n+2000 {
		t.Skipf("RLIMIT_NOFILE %d: too low for %d connections", rl.Cur, n)
	}
	addr := startEchoProcess(t)
	w := client(t)
	baseGoroutines := runtime.NumGoroutine()
	baseFDs := fdbudget.InUse()

	var connected, answered, closed, failed atomic.Int32
	conns := make([]*connection.AsyncTcpConnection, n)
	for i := range conns {
		ac, err := w.NewAsyncTcpConnection("text://" + addr)
		require.NoError(t, err)
		ac.ConnectTimeout = time.Minute
		ac.OnConnect = func(c *connection.TcpConnection) {
			connected.Add(1)
			_ = c.Send("hi")
		}
		ac.OnMessage = func(c *connection.TcpConnection, msg string) {
			if msg == "echo: hi" {
				answered.Add(1)
			}
		}
		ac.OnError = func(c *connection.TcpConnection, code int, err error) {
			if failed.Add(1) == 1 {
				t.Logf("first error: %d %v", code, err)
			}
		}
		ac.OnClose = func(*connection.TcpConnection) { closed.Add(1) }
		conns[i] = ac
	}
	maxGoroutines := 0
	for _, ac := range conns {
		require.NoError(t, ac.Connect())
	}
	deadline := time.Now().Add(60 * time.Second)
	for answered.Load() < n && failed.Load() == 0 && time.Now().Before(deadline) {
		maxGoroutines = max(maxGoroutines, runtime.NumGoroutine())
		time.Sleep(5 * time.Millisecond)
	}
	require.Zero(t, failed.Load())
	require.Equal(t, int32(n), connected.Load())
	require.Equal(t, int32(n), answered.Load())
	t.Logf("goroutines: %d before, at most %d while %d connections connected", baseGoroutines, maxGoroutines, n)
	// A constant: the dialer's connector and resolvers, the timing
	// wheel, and gnet's pool goroutines for the 32 enrollments let in
	// flight at a time (and those its pool keeps idle a while).
	assert.Less(t, maxGoroutines, baseGoroutines+150, "connecting cost goroutines per connection")

	for _, ac := range conns {
		require.NoError(t, ac.Close())
	}
	deadline = time.Now().Add(60 * time.Second)
	for closed.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.Equal(t, int32(n), closed.Load())
	assert.Equal(t, baseFDs, fdbudget.InUse(), "every descriptor counted is given back")
}

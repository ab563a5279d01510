// Package redistest runs a real redis-server (Debian's, from PATH) for a
// test: one process per Start, on a free 127.0.0.1 port, in the test's own
// temporary directory, never on 6379 and never a system instance.
//
// It promises that data survives a crash: the server runs with the append
// only file fsynced on every write (--appendonly yes --appendfsync always,
// no RDB snapshots), so after Kill (SIGKILL) a Restart on the same port and
// directory reloads every acknowledged write. Start returns only once the
// server answers PING, and the test's cleanup kills the server and waits
// for it, so no process outlives the test. Without redis-server on PATH,
// Start skips the test, saying how to install it (make test does).
package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// readyTimeout bounds how long a started server may take to answer PING.
	readyTimeout = 10 * time.Second
	// startAttempts is how many free ports Start tries before giving up.
	startAttempts = 5
	// rebindTimeout bounds how long Restart retries binding its old port.
	rebindTimeout = 5 * time.Second
	// tailBytes is how much of redis.log a failure quotes.
	tailBytes = 4 << 10
)

// Server is a redis-server process started by Start for one test. Its
// methods call t.Fatal on failure, so call them from the test's goroutine.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd has been waited for
}

// Start starts redis-server for t on a free 127.0.0.1 port, with t.TempDir()
// as its working directory (append only file and redis.log), waits until it
// answers PING, and kills it when t ends. It skips t when redis-server is
// not on PATH.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skipf("redis-server is not installed (make test installs it with scripts/install-test-deps.sh): %v", err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(s.stop)
	var lastErr error
	for range startAttempts {
		port, err := freePort()
		if err != nil {
			t.Fatalf("redistest: no free port: %v", err)
		}
		s.port = port
		// An early exit is most likely another process taking the port
		// between freePort and redis binding it: try another port.
		if lastErr = s.launch(); lastErr == nil {
			return s
		}
		if !errors.Is(lastErr, errExited) {
			break
		}
	}
	t.Fatalf("redistest: redis-server did not start: %v\n%s", lastErr, s.logTail())
	return nil
}

// Addr returns the server's address, "127.0.0.1:port".
func (s *Server) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// URL returns the server's address as a redis URL for database 0,
// "redis://127.0.0.1:port/0".
func (s *Server) URL() string {
	return "redis://" + s.Addr() + "/0"
}

// Kill kills the server with SIGKILL, as a crash would, and waits for the
// process to end. The server stays down until Restart; Kill on a server
// that is down does nothing.
func (s *Server) Kill() {
	s.t.Helper()
	s.stop()
}

// Restart starts the server again on the same port and in the same
// directory, so it reloads its append only file, and waits until it
// answers PING. A server still running is killed first. It retries binding
// the port for a few seconds and fails the test if it cannot.
func (s *Server) Restart() {
	s.t.Helper()
	s.stop()
	deadline := time.Now().Add(rebindTimeout)
	for {
		err := s.launch()
		if err == nil {
			return
		}
		if !errors.Is(err, errExited) || time.Now().After(deadline) {
			s.t.Fatalf("redistest: restarting redis-server on %s: %v\n%s", s.Addr(), err, s.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Alive reports whether the server process is running (it may not answer
// yet, or any more, if it is hung).
func (s *Server) Alive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// errExited is launch's error when redis-server exited before answering
// PING (typically: it could not bind its port).
var errExited = errors.New("redis-server exited before answering PING")

// launch starts redis-server on s.port and waits until it answers PING.
// On failure, nothing is left running.
func (s *Server) launch() error {
	out, err := os.OpenFile(filepath.Join(s.dir, "redis.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer out.Close() // the child has its own copy
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "yes",
		"--appendfsync", "always",
		"--protected-mode", "no",
		"--daemonize", "no",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	)
	cmd.Dir = s.dir
	cmd.Stdout = out
	cmd.Stderr = out
	// Its own process group, so that stop also kills any child it forked
	// (an append only file rewrite).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-done:
			return fmt.Errorf("%w (%v)", errExited, cmd.ProcessState)
		default:
		}
		if ping(s.Addr()) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			err := ping(s.Addr())
			s.stop()
			return fmt.Errorf("no PONG from %s within %v: %v", s.Addr(), readyTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server's process group, if it runs, and waits for it.
func (s *Server) stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return // already exited and waited for
	default:
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
	<-done
}

// freePort returns a 127.0.0.1 TCP port that was free a moment ago.
func freePort() (int, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	return port, ln.Close()
}

// ping sends PING to addr over raw RESP and wants +PONG back.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	var reply []byte
	buf := make([]byte, 128)
	for !bytes.Contains(reply, []byte("\r\n")) {
		n, err := conn.Read(buf)
		reply = append(reply, buf[:n]...)
		if err != nil {
			return fmt.Errorf("reading the reply to PING (%q so far): %w", reply, err)
		}
	}
	if !bytes.HasPrefix(reply, []byte("+PONG\r\n")) {
		return fmt.Errorf("PING answered %q", reply)
	}
	return nil
}

// logTail returns the end of redis.log and of redis-server's own output,
// for a failure message.
func (s *Server) logTail() string {
	var b bytes.Buffer
	for _, name := range []string{"redis.log", "redis.out"} {
		data, err := os.ReadFile(filepath.Join(s.dir, name))
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", name, err)
			continue
		}
		if len(data) > tailBytes {
			data = data[len(data)-tailBytes:]
		}
		fmt.Fprintf(&b, "--- tail of %s ---\n%s\n", name, bytes.TrimRight(data, "\n"))
	}
	return b.String()
}

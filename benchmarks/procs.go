package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Every child (server, wrk, go test) runs in its own process group and is
// registered here, so that a normal exit, an error or Ctrl-C kills the
// whole group.
var (
	childMu  sync.Mutex
	children = map[int]struct{}{}
)

func register(pid int) {
	childMu.Lock()
	children[pid] = struct{}{}
	childMu.Unlock()
}

func unregister(pid int) {
	childMu.Lock()
	delete(children, pid)
	childMu.Unlock()
}

// killAll SIGKILLs the process group of every registered child.
func killAll() {
	childMu.Lock()
	defer childMu.Unlock()
	for pid := range children {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		delete(children, pid)
	}
}

// command makes a context-bound command in its own process group whose
// cancellation kills the group.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// runChild runs cmd to completion, registered for cleanup, and returns its
// combined output.
func runChild(cmd *exec.Cmd) ([]byte, error) {
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	register(cmd.Process.Pid)
	err := cmd.Wait()
	unregister(cmd.Process.Pid)
	return []byte(out.String()), err
}

// server is one running server under test.
type server struct {
	name string
	addr string
	cmd  *exec.Cmd
	pid  int
	done chan struct{}
	log  string
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// launch is how to start one server process.
type launch struct {
	Name   string   // as in tables and messages
	Bin    string   // path of the binary
	Args   []string // flags after -addr (and -count)
	Loops  bool     // pass -count Procs
	Procs  int      // GOMAXPROCS
	Wrap   []string // a command the server runs under (valgrind ...), if any
	Env    []string // added to the environment
	LogDir string
}

// startServer starts l.Bin on a free loopback port with GOMAXPROCS=l.Procs
// (and -count l.Procs when l.Loops), under l.Wrap if set, and waits until
// it accepts connections.
func startServer(l launch) (*server, error) {
	name := l.Name
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"-addr", addr}
	if l.Loops {
		args = append(args, "-count", strconv.Itoa(l.Procs))
	}
	args = append(args, l.Args...)
	argv := append(append(slices.Clone(l.Wrap), l.Bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(l.Procs)), l.Env...)
	logPath := filepath.Join(l.LogDir, filepath.Base(l.Bin)+"-"+strconv.Itoa(port)+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout = lf
	cmd.Stderr = lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	register(cmd.Process.Pid)
	s := &server{name: name, addr: addr, cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{}), log: logPath}
	go func() {
		_ = cmd.Wait()
		lf.Close()
		close(s.done)
	}()
	deadline := time.Now().Add(30 * time.Second) // valgrind starts slowly
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.done:
			b, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("%s exited at start: %s", name, strings.TrimSpace(string(b)))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not listen on %s within 30 s", name, addr)
		}
	}
}

// stop sends SIGTERM to the server's group, then SIGKILL after 3 s.
func (s *server) stop() {
	_ = syscall.Kill(-s.pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-s.pid, syscall.SIGKILL)
		<-s.done
	}
	unregister(s.pid)
}

// logTail is the end of the server's output, for error messages.
func (s *server) logTail() string {
	b, _ := os.ReadFile(s.log)
	b = bytes.TrimSpace(b)
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return string(b)
}

// alive reports whether the server process is still running.
func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// rssBytes reads VmRSS from /proc/PID/status.
func rssBytes(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			f := strings.Fields(v)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// cpuTime is a process's CPU time so far: the sum of its threads' on-CPU
// nanoseconds from /proc/PID/task/*/schedstat, or, where that is missing,
// user+system time from /proc/PID/stat (10 ms resolution).
func cpuTime(pid int) time.Duration {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err == nil {
		var sum time.Duration
		ok := false
		for _, t := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
			if err != nil {
				continue
			}
			f := strings.Fields(string(b))
			if len(f) == 0 {
				continue
			}
			ns, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				continue
			}
			sum += time.Duration(ns)
			ok = true
		}
		if ok {
			return sum
		}
	}
	return statCPU(pid)
}

// statCPU reads user+system CPU time from /proc/PID/stat.
func statCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * time.Second / 100 // USER_HZ is 100 on Linux
}

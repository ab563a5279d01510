//go:build linux

package main

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
	"strings"
	"sync"
	"syscall"
	"time"
)

// launchEnv makes this binary a launcher: it sets RLIMIT_NOFILE (soft and
// hard) to the variable's value and execs os.Args[1:], keeping its pid, so
// that the server starts with that limit already in force.
const launchEnv = "GNETWORKER_ATTACK_NOFILE"

func init() {
	if v := os.Getenv(launchEnv); v != "" {
		launch(v)
	}
}

func launch(v string) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || len(os.Args) < 2 {
		fmt.Fprintf(os.Stderr, "launcher: want %s=N and a command\n", launchEnv)
		os.Exit(127)
	}
	// syscall.Setrlimit, not unix.Setrlimit: it also stops the runtime from
	// restoring its startup soft limit in the exec'd process.
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
		fmt.Fprintln(os.Stderr, "launcher: setrlimit:", err)
		os.Exit(127)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, launchEnv+"=") {
			env = append(env, kv)
		}
	}
	err = syscall.Exec(os.Args[1], os.Args[1:], env)
	fmt.Fprintln(os.Stderr, "launcher: exec:", err)
	os.Exit(127)
}

// buildExamples builds examples/<name> for each name into dir.
func buildExamples(ctx context.Context, dir string, names ...string) ([]string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	var bins []string
	for _, n := range names {
		bin := filepath.Join(dir, n)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/"+n)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./examples/%s: %v\n%s", n, err, out)
		}
		bins = append(bins, bin)
	}
	return bins, nil
}

// moduleRoot is the directory of the gnetworker module (go.mod).
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the gnetworker module: run from the repository")
	}
	return filepath.Dir(mod), nil
}

// Every server runs in its own process group, registered here until it is
// reaped, so that the end of an attack (or of the run) kills it whatever
// happened.
var (
	procMu sync.Mutex
	procs  = map[int]*server{}
)

// killAll SIGKILLs the process group of every server still running and
// waits for each to be reaped.
func killAll() {
	procMu.Lock()
	var all []*server
	for _, s := range procs {
		all = append(all, s)
	}
	procMu.Unlock()
	for _, s := range all {
		s.kill()
	}
}

// server is one running example server.
type server struct {
	name    string
	addr    string
	pid     int
	logPath string
	cmd     *exec.Cmd
	logFile *os.File
	done    chan struct{} // closed once reaped
	state   *os.ProcessState
}

// serverSpec says how to start a server.
type serverSpec struct {
	bin    string
	addr   string // "" for a free port
	args   []string
	nofile uint64   // RLIMIT_NOFILE; 0 inherits the harness's
	env    []string // added to the environment
}

// startServer starts a server on 127.0.0.1 and waits until it accepts.
func (h *harness) startServer(ctx context.Context, sp serverSpec) (*server, error) {
	s, err := h.spawn(sp)
	if err != nil {
		return nil, err
	}
	if err := s.waitAccepting(ctx, 15*time.Second); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

// spawn starts a server without waiting for it.
func (h *harness) spawn(sp serverSpec) (*server, error) {
	addr := sp.addr
	if addr == "" {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		addr = "127.0.0.1:" + strconv.Itoa(p)
	}
	name := filepath.Base(sp.bin)
	args := append([]string{"-addr", addr}, sp.args...)
	bin := sp.bin
	env := append(os.Environ(), sp.env...)
	if sp.nofile > 0 {
		args = append([]string{bin}, args...)
		bin = h.self
		env = append(env, launchEnv+"="+strconv.FormatUint(sp.nofile, 10))
	}
	logFile, err := os.CreateTemp(h.dir, name+"-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{name: name, addr: addr, pid: cmd.Process.Pid, logPath: logFile.Name(),
		cmd: cmd, logFile: logFile, done: make(chan struct{})}
	procMu.Lock()
	procs[s.pid] = s
	procMu.Unlock()
	go func() {
		_ = cmd.Wait()
		s.state = cmd.ProcessState
		logFile.Close()
		procMu.Lock()
		delete(procs, s.pid)
		procMu.Unlock()
		close(s.done)
	}()
	h.logf("started %s %s (pid %d)", name, strings.Join(sp.args, " "), s.pid)
	return s, nil
}

// waitAccepting waits until the server accepts a connection, or fails
// when it exits first or does not within limit.
func (s *server) waitAccepting(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("%s exited before accepting (%s): %s", s.name, s.exitString(), s.logLine())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept on %s within %s", s.name, s.addr, limit)
		}
	}
}

// exited reports whether the server has exited.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// exitString describes how the server ended, once it has.
func (s *server) exitString() string {
	if !s.exited() {
		return "running"
	}
	if s.state == nil {
		return "unknown"
	}
	return s.state.String()
}

// exitCode is the server's exit status, or -1 when killed by a signal or
// still running.
func (s *server) exitCode() int {
	if !s.exited() || s.state == nil {
		return -1
	}
	return s.state.ExitCode()
}

// logLine is the server log's last non-empty line.
func (s *server) logLine() string {
	b, _ := os.ReadFile(s.logPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// logContains reports whether the server's log contains sub.
func (s *server) logContains(sub string) bool {
	b, _ := os.ReadFile(s.logPath)
	return bytes.Contains(b, []byte(sub))
}

// signal sends sig to the server process.
func (s *server) signal(sig syscall.Signal) {
	if !s.exited() {
		_ = syscall.Kill(s.pid, sig)
	}
}

// wait waits up to limit for the server to exit.
func (s *server) wait(limit time.Duration) bool {
	select {
	case <-s.done:
		return true
	case <-time.After(limit):
		return false
	}
}

// kill SIGKILLs the server's process group and waits for it to be reaped.
func (s *server) kill() {
	if !s.exited() {
		_ = syscall.Kill(-s.pid, syscall.SIGKILL)
	}
	<-s.done
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

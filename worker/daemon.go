package worker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Go cannot fork, so `start -d` starts the program again, detached in a
// session of its own, with the same arguments and an environment
// variable that makes it the daemon. The daemon tells its parent through
// a pipe (its descriptor 3) that it listens, or why it could not; the
// parent then exits 0, or returns that error.

// daemonEnv marks the daemon's environment.
const daemonEnv = "GNETWORKER_DAEMON"

func inDaemon() bool { return os.Getenv(daemonEnv) == "1" }

// readyPipe is the daemon's end of the pipe to its parent.
var readyPipe = func() *os.File {
	if !inDaemon() {
		return nil
	}
	return os.NewFile(3, "ready")
}()

// notifyReady tells the parent of a daemon that it listens (err nil) or
// why it does not. It does nothing outside a daemon, or a second time.
func notifyReady(err error) {
	p := readyPipe
	if p == nil {
		return
	}
	readyPipe = nil
	if err != nil {
		fmt.Fprintf(p, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	} else {
		fmt.Fprintf(p, "ok %d\n", os.Getpid())
	}
	p.Close()
}

// startDaemon starts the program as a daemon and waits until it listens.
func startDaemon(f ctlFiles, out io.Writer) error {
	if pid, ok := f.running(); ok {
		return fmt.Errorf("worker: already running (pid %d, %s)", pid, f.pid)
	}
	logFile, err := os.OpenFile(f.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("worker: daemon log: %w", err)
	}
	defer logFile.Close()
	pid, err := spawn(f, nil, logFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "started (pid %d); pid file %s, log %s\n", pid, f.pid, f.log)
	return nil
}

// spawn starts the program again as a daemon, with extra environment
// variables and its output to logFile, and waits until it listens: it
// returns its pid, or the error that kept it from listening.
func spawn(f ctlFiles, env []string, logFile *os.File) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1", "GNETWORKER_PIDFILE="+f.pid)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return 0, fmt.Errorf("worker: starting %s: %w", exe, err)
	}
	w.Close()
	line, _ := bufio.NewReader(r).ReadString('\n')
	line = strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(line, "ok "):
		_ = cmd.Process.Release()
		return strconv.Atoi(strings.TrimPrefix(line, "ok "))
	case strings.HasPrefix(line, "error "):
		_ = cmd.Wait()
		return 0, errors.New(strings.TrimPrefix(line, "error "))
	}
	err = cmd.Wait()
	return 0, fmt.Errorf("worker: %s exited before it listened (%v); see %s", exe, err, f.log)
}

// serve runs the workers in this process (start in the foreground, or
// the daemon's side of start -d) with the pid file and control socket.
func serve(f ctlFiles) error {
	if pid, ok := f.running(); ok && !inReload() {
		err := fmt.Errorf("worker: already running (pid %d, %s)", pid, f.pid)
		notifyReady(err)
		return err
	}
	var ctl *controlServer
	err := runAll(func() error {
		var err error
		if inReload() {
			if err := steerToThisProcess(); err != nil {
				return err
			}
			// Done with: workers started later bind as usual.
			_ = os.Unsetenv(reloadEnv)
		}
		if ctl, err = startControl(f); err != nil {
			return err
		}
		notifyReady(nil)
		return nil
	})
	if ctl != nil {
		ctl.close()
	}
	notifyReady(err)
	return err
}

// stopServer asks the running server to stop and waits until it has.
func stopServer(f ctlFiles, graceful bool, out io.Writer) error {
	pid, _ := f.running()
	c, err := f.ask(request("stop", graceful))
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	first, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("worker: stop: %w", err)
	}
	if err := answerError(first); err != nil {
		return err
	}
	fmt.Fprint(out, first)
	// The server closes the connection once it has stopped (or exits,
	// which closes it too).
	_, _ = io.ReadAll(r)
	// The workers have stopped; the process ends as its main returns.
	if pid > 0 && !waitGone(pid, 10*time.Second) {
		return fmt.Errorf("worker: pid %d stopped its workers but has not exited", pid)
	}
	fmt.Fprintln(out, "stopped")
	return nil
}

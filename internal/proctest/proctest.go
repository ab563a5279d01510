// Package proctest runs an example as users do, for process-level tests:
// it builds the package under test with go build, and drives the built
// binary with workerman's commands (start -d, status, reload, stop) on a
// pid file of the test's own.
package proctest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/worker"
)

// Build builds the package in the test's working directory into dir as
// name, skipping the test when there is no go command.
func Build(t *testing.T, dir, name string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go is not on PATH: cannot build the example: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := filepath.Join(dir, name)
	out, err := exec.CommandContext(ctx, goBin, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build:\n%s", out)
	return bin
}

// Commander runs a built example's commands, all on one pid file (and so
// one control socket) in a temporary directory.
type Commander struct {
	T       *testing.T
	Bin     string
	PidFile string
}

// NewCommander builds the example and kills, when the test ends, whatever
// daemon it left.
func NewCommander(t *testing.T, name string) *Commander {
	t.Helper()
	dir := t.TempDir()
	c := &Commander{T: t, Bin: Build(t, dir, name), PidFile: filepath.Join(dir, name+".pid")}
	t.Cleanup(func() {
		if pid, err := c.PID(); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return c
}

// Run runs the example with args and returns its output and error.
func (c *Commander) Run(args ...string) (string, error) {
	c.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	cmd.Env = append(os.Environ(), "GNETWORKER_PIDFILE="+c.PidFile)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// PID is the pid the pid file names.
func (c *Commander) PID() (int, error) {
	b, err := os.ReadFile(c.PidFile)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// Status runs `status --json`.
func (c *Commander) Status() worker.ProcessStatus {
	c.T.Helper()
	out, err := c.Run("status", "--json")
	require.NoError(c.T, err, out)
	var st worker.ProcessStatus
	require.NoError(c.T, json.Unmarshal([]byte(out), &st), out)
	return st
}

// Addr is the first worker's listening address, host:port.
func (c *Commander) Addr() string {
	c.T.Helper()
	st := c.Status()
	require.NotEmpty(c.T, st.Workers)
	_, hostPort, _ := strings.Cut(st.Workers[0].Listen, "://")
	return hostPort
}

// Alive reports whether pid is a process that has not exited (a zombie
// has).
func Alive(pid int) bool {
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

// PeakRSS is process pid's peak resident set (VmHWM), in bytes.
func PeakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

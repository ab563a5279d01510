package worker

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PidFile is where a started server writes its pid (workerman's
// pidFile); its control socket is beside it, with ".sock" for ".pid".
// Empty: $GNETWORKER_PIDFILE, else a name in /tmp made from the
// program's name, working directory and socket names, so
// that `./server start -d` and a later `./server status` find each other.
// A socket name with port 0 adds the pid: such servers can only be
// controlled through an explicit PidFile.
var PidFile string

// StdoutFile receives a daemon's standard output and error (workerman's
// stdoutFile). Empty: the pid file's name with ".log" for ".pid".
var StdoutFile string

// ctlFiles are one server's pid file, control socket and daemon log.
type ctlFiles struct{ pid, sock, log string }

func controlFiles() ctlFiles {
	pid := PidFile
	if pid == "" {
		pid = os.Getenv("GNETWORKER_PIDFILE")
	}
	if pid == "" {
		pid = defaultPidFile()
	}
	base := strings.TrimSuffix(pid, ".pid")
	f := ctlFiles{pid: pid, sock: base + ".sock", log: StdoutFile}
	if f.log == "" {
		f.log = base + ".log"
	}
	return f
}

func defaultPidFile() string {
	exe, _ := os.Executable()
	name := filepath.Base(exe)
	wd, _ := os.Getwd()
	allMu.Lock()
	var names []string
	for _, w := range allWorkers {
		names = append(names, w.socketName)
	}
	allMu.Unlock()
	slices.Sort(names)
	key := name + "|" + wd + "|" + strings.Join(names, "|")
	for _, n := range names {
		if strings.HasSuffix(n, ":0") {
			key += "|" + strconv.Itoa(os.Getpid())
			break
		}
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	// /tmp rather than $TMPDIR: a later command must find the file
	// whatever its environment, and TMPDIR is where request bodies spool.
	// A unix socket path is at most 107 bytes: the name stays short.
	return filepath.Join("/tmp", fmt.Sprintf("gnetworker-%.24s-%08x.pid", name, h.Sum32()))
}

// running returns the pid of the server these files belong to when it is
// alive and answers on its control socket. Files left by a server that
// is gone (or whose pid was reused) are removed: a stale pid file never
// blocks a start.
func (f ctlFiles) running() (int, bool) {
	b, err := os.ReadFile(f.pid)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err == nil && pid > 0 && processAlive(pid) {
		if c, err := net.DialTimeout("unix", f.sock, time.Second); err == nil {
			c.Close()
			return pid, true
		}
	}
	_ = os.Remove(f.pid)
	_ = os.Remove(f.sock)
	return 0, false
}

// processAlive reports whether pid names a live process: a zombie (one
// that exited and that no one reaped, as a daemon whose parent is a
// container's init may stay) is not.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc (macOS, FreeBSD): kill's answer stands
	}
	// The state follows the command name, which is in parentheses.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// waitGone waits up to d for pid to exit.
func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// ownedBy reports whether the pid file names pid (or is gone).
func (f ctlFiles) ownedBy(pid int) bool {
	b, err := os.ReadFile(f.pid)
	if err != nil {
		return true
	}
	got, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return err != nil || got == pid
}

// writePid writes the pid file, replacing it atomically.
func (f ctlFiles) writePid() error {
	tmp := f.pid + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, f.pid)
}

//go:build linux

package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux port Go runs on).
const clockTicks = 100

// usage is what a sampler saw of a server process.
type usage struct {
	peakRSS   int64         // VmHWM, bytes
	cpu       time.Duration // utime+stime during the sampling
	peakFDs   int
	peakSpool int   // files open under the spool directory, peak
	spoolSize int64 // their bytes, peak
}

// sampler reads a process's /proc entries every interval until stopped.
type sampler struct {
	pid   int
	spool string // count open files under this directory ("" skips)
	stop  chan struct{}
	wg    sync.WaitGroup

	mu   sync.Mutex
	u    usage
	cpu0 time.Duration
	cpu1 time.Duration
}

func startSampler(pid int, spool string) *sampler {
	s := &sampler{pid: pid, spool: spool, stop: make(chan struct{})}
	s.cpu0, _ = cpuTime(pid)
	s.cpu1 = s.cpu0
	s.sample()
	s.wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.sample()
			}
		}
	})
	return s
}

func (s *sampler) sample() {
	hwm := statusKB(s.pid, "VmHWM:") * kiB
	cpu, cpuOK := cpuTime(s.pid)
	fds := countFDs(s.pid)
	var files int
	var size int64
	if s.spool != "" {
		files, size = openFilesUnder(s.pid, s.spool)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.u.peakRSS = max(s.u.peakRSS, hwm)
	if cpuOK {
		s.cpu1 = cpu
	}
	s.u.peakFDs = max(s.u.peakFDs, fds)
	s.u.peakSpool = max(s.u.peakSpool, files)
	s.u.spoolSize = max(s.u.spoolSize, size)
}

// now is the usage so far.
func (s *sampler) now() usage {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.u
	u.cpu = s.cpu1 - s.cpu0
	return u
}

// finish takes a last sample and stops the sampler.
func (s *sampler) finish() usage {
	u := s.now()
	close(s.stop)
	s.wg.Wait()
	return u
}

// statusKB reads a "Name:   123 kB" line of /proc/PID/status, or 0.
func statusKB(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	i := bytes.Index(b, []byte(field))
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+len(field):]))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n
}

// cpuTime is the process's utime+stime.
func cpuTime(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// Fields after the command name, which may hold spaces: state is the
	// 3rd field, utime the 14th and stime the 15th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks, true
}

// countFDs is the number of open descriptors of a process, or 0.
func countFDs(pid int) int {
	d, err := os.Open("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 0
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	n := len(names)
	if pid == os.Getpid() {
		n-- // the directory just opened
	}
	return n
}

// openFilesUnder counts a process's descriptors open on files under dir
// (deleted ones included) and their sizes.
func openFilesUnder(pid int, dir string) (int, int64) {
	base := "/proc/" + strconv.Itoa(pid) + "/fd/"
	d, err := os.Open(base)
	if err != nil {
		return 0, 0
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var n int
	var size int64
	for _, name := range names {
		target, err := os.Readlink(base + name)
		if err != nil || !strings.HasPrefix(target, dir+"/") {
			continue
		}
		n++
		if fi, err := os.Stat(base + name); err == nil {
			size += fi.Size()
		}
	}
	return n, size
}

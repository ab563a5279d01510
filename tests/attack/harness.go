//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"
)

// mode holds the sizes, server flags and margins of a run: full (the
// issue's sizes against default limits) or quick (short timeouts, smaller
// sizes, generous margins).
type mode struct {
	name string

	// Server timeouts: the flag given to the server ("" keeps its default)
	// and the value in force.
	headerFlag, bodyFlag, minRateFlag string
	header, body, stop                time.Duration
	// factor: a timeout is met when the server acts within factor times it.
	factor float64

	fdConns  int    // connections held against the fd-limited server
	fdLimit  uint64 // that server's RLIMIT_NOFILE
	fdHeader time.Duration

	crlfEvery    time.Duration // gap between the CRLF trickle's lines
	trickleEvery time.Duration // gap between the slow body's bytes

	junk int64 // bytes of junk after a closing request

	uploads      int           // concurrent uploads
	uploadSize   int64         // bytes each
	uploadTime   time.Duration // how long each takes to send
	uploadRSS    int64         // the server's peak RSS must stay below this
	attackBudget time.Duration // hard bound of one attack
}

const (
	kiB = 1 << 10
	miB = 1 << 20
)

func pickMode(quick bool) mode {
	if quick {
		return mode{
			name:       "quick",
			headerFlag: "1s", bodyFlag: "2s", minRateFlag: "500",
			header: time.Second, body: 2 * time.Second, stop: 2 * time.Second,
			factor:  3,
			fdConns: 2000, fdLimit: 1024, fdHeader: 3 * time.Second,
			crlfEvery: 250 * time.Millisecond, trickleEvery: 250 * time.Millisecond,
			junk:    100 * miB,
			uploads: 20, uploadSize: 9 * miB, uploadTime: 3 * time.Second, uploadRSS: 100 * miB,
			attackBudget: 40 * time.Second,
		}
	}
	return mode{
		name:   "full",
		header: 10 * time.Second, body: 20 * time.Second, stop: 2 * time.Second,
		factor:  1.5,
		fdConns: 2000, fdLimit: 1024, fdHeader: 10 * time.Second,
		crlfEvery: 2 * time.Second, trickleEvery: time.Second,
		junk:    300 * miB,
		uploads: 100, uploadSize: 9 * miB, uploadTime: 10 * time.Second, uploadRSS: 300 * miB,
		attackBudget: 2 * time.Minute,
	}
}

// serverFlags are the limit flags of the mode, for hello and ssehub.
func (m mode) serverFlags() []string {
	var f []string
	if m.headerFlag != "" {
		f = append(f, "-header-timeout", m.headerFlag)
	}
	if m.bodyFlag != "" {
		f = append(f, "-body-timeout", m.bodyFlag)
	}
	if m.minRateFlag != "" {
		f = append(f, "-body-min-rate", m.minRateFlag)
	}
	return f
}

// attack is one row of the table.
type attack struct {
	name string
	desc string
	run  func(ctx context.Context, h *harness, r *result) error
}

var attacks = []attack{
	{"fdlimit", "connections held against a server with RLIMIT_NOFILE 1024", attackFDLimit},
	{"silent", "connections that send nothing", attackSilent},
	{"crlf", `connections that send "\r\n" now and then`, attackCRLF},
	{"slowbody", "a request body trickled a byte at a time", attackSlowBody},
	{"junk", "GET with Connection: close behind 50,000 unread pipelined GETs, then junk as fast as possible, never reading", attackJunk},
	{"uploads", "concurrent 9 MiB uploads sent slowly", attackUploads},
	{"jsonarray", "a 10 MB JSON array POSTed to ssehub's /messages", attackJSONArray},
	{"restart", "restart right after serving Connection: close and SSE clients", attackRestart},
	{"sigterm", "SIGTERM while a POST body is half received", attackSigterm},
}

func attackNames() []string {
	var n []string
	for _, a := range attacks {
		n = append(n, a.name)
	}
	return n
}

// harness holds the built servers and a scratch directory.
type harness struct {
	mode    mode
	verbose bool
	out     io.Writer
	dir     string // scratch: binaries, server logs, spool directories
	hello   string // binary paths
	ssehub  string
	self    string // this binary, re-executed as the fd-limit launcher
}

func newHarness(ctx context.Context, m mode, verbose bool, out io.Writer) (*harness, error) {
	dir, err := os.MkdirTemp("", "gnetworker-attack-")
	if err != nil {
		return nil, err
	}
	h := &harness{mode: m, verbose: verbose, out: out, dir: dir}
	if h.self, err = os.Executable(); err != nil {
		h.close()
		return nil, err
	}
	h.logf("building examples/hello and examples/ssehub into %s", dir)
	bins, err := buildExamples(ctx, dir, "hello", "ssehub")
	if err != nil {
		h.close()
		return nil, err
	}
	h.hello, h.ssehub = bins[0], bins[1]
	return h, nil
}

func (h *harness) close() {
	killAll()
	if h.dir != "" {
		_ = os.RemoveAll(h.dir)
	}
}

func (h *harness) logf(format string, args ...any) {
	if h.verbose {
		fmt.Fprintf(h.out, "  . "+format+"\n", args...)
	}
}

// scratch makes a fresh directory for one use.
func (h *harness) scratch(name string) (string, error) {
	return os.MkdirTemp(h.dir, name+"-")
}

// run runs one attack within the mode's time budget, then checks that the
// harness leaked neither goroutines nor descriptors.
func (h *harness) run(ctx context.Context, a attack) *result {
	r := &result{name: a.name, desc: a.desc}
	g0, f0 := runtime.NumGoroutine(), countFDs(os.Getpid())
	ctx, cancel := context.WithTimeout(ctx, h.mode.attackBudget)
	start := time.Now()
	h.logf("%s: %s", a.name, a.desc)
	func() {
		defer func() {
			if v := recover(); v != nil {
				r.err = fmt.Errorf("harness panic: %v", v)
			}
		}()
		if err := a.run(ctx, h, r); err != nil && r.err == nil {
			r.err = err
		}
	}()
	cancel()
	killAll() // whatever the attack left running, on success or failure
	r.wall = time.Since(start)
	if ctx.Err() == context.DeadlineExceeded && r.err == nil {
		r.err = fmt.Errorf("attack exceeded its budget of %s", h.mode.attackBudget)
	}
	// Everything the attack opened must be gone once it returned.
	var g, f int
	deadline := time.Now().Add(3 * time.Second)
	for {
		g, f = runtime.NumGoroutine(), countFDs(os.Getpid())
		if (g <= g0 && f <= f0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.leak = check{name: "harness leaks nothing", ok: g <= g0 && f <= f0,
		detail: fmt.Sprintf("goroutines %d -> %d, fds %d -> %d", g0, g, f0, f)}
	return r
}

// serverLogTail is the end of a server's log, for -v.
func serverLogTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

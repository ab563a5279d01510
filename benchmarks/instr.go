package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
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

// The instruction phase counts what a fixed number of GET / requests cost
// each server, in instructions: repeatable where CPU time is not. With a
// working hardware counter that is `perf stat -e instructions` attached to
// the server; without one (a VM without a PMU), the server runs under
// valgrind's callgrind, which counts the user-space instructions it
// executes (kernel work, the syscalls included, is not counted).

// instrLoad is one counted load: GET / on instrConns keep-alive
// connections, Depth requests per write, after a warm-up.
type instrLoad struct {
	Name        string
	Scenario    string // the throughput scenario whose CPU time it sits beside
	Depth       int
	Rounds      int // per connection
	QuickRounds int
}

var instrLoads = []instrLoad{
	{Name: "plaintext", Scenario: "plaintext-256", Depth: 1, Rounds: 200, QuickRounds: 100},
	{Name: "pipelined", Scenario: "pipeline-16", Depth: 16, Rounds: 30, QuickRounds: 15},
}

const (
	instrConns = 32
	instrWarm  = 20 // rounds per connection before counting
)

// instrResult is one server's count for one load.
type instrResult struct {
	Instructions int64
	Requests     int64
}

func (r instrResult) perRequest() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Instructions) / float64(r.Requests)
}

// counter counts a process's instructions between Begin and End.
type counter interface {
	Method() string // for the report
	Wrap() []string // the command a server runs under, if any
	Env() []string  // what the server's environment needs
	Begin(pid int) error
	End(pid int) (int64, error)
}

// perfEvent is the event perf counts; BENCH_PERF_EVENT overrides it (a
// software event such as task-clock exercises the perf path on a machine
// without hardware counters; its counts are then not instructions).
func perfEvent() string {
	if e := os.Getenv("BENCH_PERF_EVENT"); e != "" {
		return e
	}
	return "instructions"
}

// pickCounter chooses how to count: perf if its counter works here, else
// callgrind if valgrind is installed. The string says why neither.
func pickCounter(dir string) (counter, string) {
	var notes []string
	if _, err := exec.LookPath("perf"); err == nil {
		out, err := exec.Command("perf", "stat", "-x,", "-e", perfEvent(), "--", "true").CombinedOutput()
		if err == nil && !bytes.Contains(out, []byte("<not supported>")) && !bytes.Contains(out, []byte("<not counted>")) {
			return &perfCounter{event: perfEvent()}, ""
		}
		notes = append(notes, fmt.Sprintf("`perf stat -e %s` reports %q", perfEvent(), strings.TrimSpace(firstLine(string(out)))))
	} else {
		notes = append(notes, "perf is not installed (apt-get install linux-perf)")
	}
	_, errV := exec.LookPath("valgrind")
	_, errC := exec.LookPath("callgrind_control")
	if errV == nil && errC == nil {
		return &callgrind{dir: dir, note: strings.Join(notes, "; ")}, ""
	}
	notes = append(notes, "valgrind is not installed (apt-get install valgrind)")
	return nil, strings.Join(notes, "; ")
}

// perfCounter attaches `perf stat` to the server for the counted load.
type perfCounter struct {
	event string
	cmd   *exec.Cmd
	out   bytes.Buffer
}

func (p *perfCounter) Method() string {
	return fmt.Sprintf("`perf stat -e %s -p PID` (user and kernel) during the counted requests", p.event)
}

func (p *perfCounter) Wrap() []string { return nil }

func (p *perfCounter) Env() []string { return nil }

func (p *perfCounter) Begin(pid int) error {
	p.out.Reset()
	p.cmd = exec.Command("perf", "stat", "-x,", "-e", p.event, "-p", strconv.Itoa(pid))
	p.cmd.Stderr = &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return err
	}
	register(p.cmd.Process.Pid)
	time.Sleep(200 * time.Millisecond) // let it attach
	return nil
}

func (p *perfCounter) End(int) (int64, error) {
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()
	unregister(p.cmd.Process.Pid)
	for _, l := range strings.Split(p.out.String(), "\n") {
		f := strings.Split(l, ",")
		if len(f) >= 3 && strings.HasPrefix(f[2], p.event) {
			v, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return 0, fmt.Errorf("perf: %q", l)
			}
			return int64(v), nil
		}
	}
	return 0, fmt.Errorf("perf printed no count: %s", strings.TrimSpace(p.out.String()))
}

// callgrind runs the server under valgrind --tool=callgrind, zeroes its
// counters before the counted load and dumps them after
// (callgrind_control -z, -d).
type callgrind struct {
	dir  string
	note string // why perf was not used
}

func (c *callgrind) Method() string {
	return "valgrind --tool=callgrind (Ir: user-space instructions; kernel work is not counted), " +
		"counters zeroed before and dumped after the counted requests, GODEBUG=asyncpreemptoff=1 (callgrind 3.19 asserts on Go's preemption signals); " +
		"hardware counters are unavailable here: " + c.note
}

func (c *callgrind) Wrap() []string {
	return []string{"valgrind", "--tool=callgrind", "--callgrind-out-file=" + filepath.Join(c.dir, "callgrind.%p"), "--dump-line=no", "--dump-instr=no"}
}

// Env turns off Go's asynchronous preemption: callgrind 3.19 fails an
// assertion (threads.c, vgCallgrind_post_signal) on the SIGURGs it sends
// while another signal is handled, and the server dies.
func (c *callgrind) Env() []string { return []string{"GODEBUG=asyncpreemptoff=1"} }

func (c *callgrind) Begin(pid int) error {
	out, err := control("-z", pid)
	if err != nil {
		return fmt.Errorf("callgrind_control -z: %v: %s", err, out)
	}
	return nil
}

func (c *callgrind) End(pid int) (int64, error) {
	before, _ := filepath.Glob(filepath.Join(c.dir, fmt.Sprintf("callgrind.%d.*", pid)))
	out, err := control("-d", pid)
	if err != nil {
		return 0, fmt.Errorf("callgrind_control -d: %v: %s", err, out)
	}
	// The dump is callgrind.PID.N, N counting dumps from 1.
	path := filepath.Join(c.dir, fmt.Sprintf("callgrind.%d.%d", pid, len(before)+1))
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "summary:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no summary line", path)
}

// control runs callgrind_control with one command against pid, for at
// most a minute.
func control(cmd string, pid int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return exec.CommandContext(ctx, "callgrind_control", cmd, strconv.Itoa(pid)).CombinedOutput()
}

// runInstrPhase counts each server's instructions for every load, one
// server process (under the counter) per server.
func runInstrPhase(ctx context.Context, o options, bin, tmp string, res *results) error {
	if !has(o, kindInstr) {
		return nil
	}
	c, why := pickCounter(tmp)
	if c == nil {
		res.InstrMethod = "not measured: " + why
		log.Printf("instructions: %s", res.InstrMethod)
		return nil
	}
	res.InstrMethod = c.Method()
	log.Printf("instructions: %s", res.InstrMethod)
	for _, d := range servers {
		if e := res.BuildErr[d.Plain]; e != "" {
			res.InstrErr[d.Key] = "build failed: " + firstLine(e)
			continue
		}
		l := launchOf(d, d.Plain, bin, o.Procs, tmp)
		l.Wrap, l.Env = c.Wrap(), c.Env()
		p, err := startServer(l)
		if err != nil {
			res.InstrErr[d.Key] = err.Error()
			continue
		}
		res.Instr[d.Key] = map[string]instrResult{}
		for _, ld := range instrLoads {
			rounds := ld.Rounds
			if o.Quick {
				rounds = ld.QuickRounds
			}
			var n int64
			end := func() error {
				var err error
				n, err = c.End(p.pid)
				return err
			}
			reqs, err := fixedLoad(ctx, p.addr, instrConns, ld.Depth, instrWarm, rounds, func() error { return c.Begin(p.pid) }, end)
			if ctx.Err() != nil {
				p.stop()
				return ctx.Err()
			}
			if err != nil {
				res.InstrErr[d.Key] = ld.Name + ": " + firstLine(err.Error())
				log.Printf("instructions %s %s: %v; server output: %s", d.Key, ld.Name, firstLine(err.Error()), p.logTail())
				break
			}
			r := instrResult{Instructions: n, Requests: reqs}
			res.Instr[d.Key][ld.Name] = r
			log.Printf("instructions %-10s %-9s %d requests, %.0f instructions/request", d.Key, ld.Name, reqs, r.perRequest())
		}
		p.stop()
	}
	return nil
}

// fixedLoad opens conns keep-alive connections to addr and runs warm
// rounds on each, then begin, then rounds more, then end, before the
// connections close. A round writes depth GET / requests at once and
// reads depth 200 responses. It returns the requests between begin and
// end.
func fixedLoad(ctx context.Context, addr string, conns, depth, warm, rounds int, begin, end func() error) (int64, error) {
	req := bytes.Repeat(request(&scenario{Method: "GET", Path: "/"}), depth)
	cs := make([]net.Conn, 0, conns)
	brs := make([]*bufio.Reader, 0, conns)
	defer func() {
		for _, c := range cs {
			closeConn(c)
		}
	}()
	deadline := time.Now().Add(10 * time.Minute)
	for range conns {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return 0, err
		}
		_ = c.SetDeadline(deadline)
		cs = append(cs, c)
		brs = append(brs, bufio.NewReaderSize(c, 64<<10))
	}
	run := func(n int) error {
		var wg sync.WaitGroup
		errs := make([]error, len(cs))
		for i := range cs {
			wg.Go(func() {
				for range n {
					if ctx.Err() != nil {
						errs[i] = ctx.Err()
						return
					}
					if _, err := cs[i].Write(req); err != nil {
						errs[i] = err
						return
					}
					for range depth {
						code, err := readResponse(brs[i])
						if err == nil && code != 200 {
							err = fmt.Errorf("status %d", code)
						}
						if err != nil {
							errs[i] = err
							return
						}
					}
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	if err := run(warm); err != nil {
		return 0, fmt.Errorf("warm-up: %v", err)
	}
	if err := begin(); err != nil {
		return 0, err
	}
	if err := run(rounds); err != nil {
		return 0, err
	}
	if err := end(); err != nil {
		return 0, err
	}
	return int64(conns * depth * rounds), nil
}

// Command benchmarks measures gnetworker against net/http, fasthttp, the
// event-loop servers nbio and hertz, and a raw gnet upper bound: plaintext,
// pipelining, JSON and POST throughput, core scaling, idle SSE memory per
// connection, SSE fan-out latency to 10,000 clients, WebSocket echo, idle
// memory and fan-out against gorilla/websocket, gws and nbio, TLS
// keep-alive, handshakes and idle memory against net/http and fasthttp on
// crypto/tls, a TCP relay's throughput and CPU per MiB against an io.Copy
// relay on net, strictness on raw requests, instructions per request, and the timer wheel against
// time.AfterFunc. Every server runs as its own process on 127.0.0.1; runs
// are interleaved over rounds and reported as medians in RESULTS.md with
// PNG charts. See README.md.
//
//	go run .                 # the full run (about 20 minutes)
//	go run . -quick          # about 6 minutes
//	go run . -scenario pipeline-16,sse-fanout
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Scenario kinds.
const (
	kindHTTP = iota
	kindSSEIdle
	kindSSEFanout
	kindTimer
	kindScaling
	kindStrict
	kindInstr
	kindWSEcho
	kindWSIdle
	kindWSFanout
	kindTLSPlain
	kindTLSHandshake
	kindTLSIdle
	kindSSERedis
	kindProxy
)

// scenario is one measured situation.
type scenario struct {
	Name   string
	Title  string
	Kind   int
	Conns  int
	Depth  int
	Method string
	Path   string
	Body   int
	App    bool // needs the full app server (not examples/hello)
	TLS    bool // over TLS (https://)
}

var scenarios = []*scenario{
	{Name: "plaintext-50", Title: "plaintext, 50 connections (GET /)", Conns: 50, Method: "GET", Path: "/"},
	{Name: "plaintext-256", Title: "plaintext, 256 connections (GET /)", Conns: 256, Method: "GET", Path: "/"},
	{Name: "pipeline-16", Title: "plaintext, 256 connections, 16-deep pipelining", Conns: 256, Depth: 16, Method: "GET", Path: "/"},
	{Name: "json", Title: "JSON, 256 connections (GET /json, encoded per request)", Conns: 256, Method: "GET", Path: "/json", App: true},
	{Name: "post-4k", Title: "POST with a 4 KiB body, 256 connections (POST /post)", Conns: 256, Method: "POST", Path: "/post", Body: 4096, App: true},
	{Name: "scaling", Title: "core scaling: plaintext, 256 connections, 1 and 2 event loops", Kind: kindScaling, Conns: 256, Method: "GET", Path: "/"},
	{Name: "sse-idle", Title: "idle SSE connections: server RSS per connection", Kind: kindSSEIdle},
	{Name: "sse-fanout", Title: "SSE fan-out of one 64-byte event", Kind: kindSSEFanout},
	{Name: "sse-fanout-redis", Title: "SSE fan-out of one 64-byte event across two gnetworker nodes through Redis", Kind: kindSSERedis},
	{Name: "ws-echo", Title: "WebSocket echo of 1 KiB binary messages, 256 connections", Kind: kindWSEcho, Conns: 256, Body: 1024},
	{Name: "ws-idle", Title: "idle WebSocket connections: server RSS per connection", Kind: kindWSIdle},
	{Name: "ws-fanout", Title: "WebSocket fan-out of one 64-byte message", Kind: kindWSFanout},
	{Name: "tls-plaintext", Title: "TLS keep-alive plaintext, 256 connections (GET / over https://)", Kind: kindTLSPlain, Conns: 256, Method: "GET", Path: "/", TLS: true},
	{Name: "tls-handshake", Title: "full TLS handshakes (ECDSA P-256, no resumption), one GET / each", Kind: kindTLSHandshake, Conns: 32, Method: "GET", Path: "/", TLS: true},
	{Name: "tls-idle", Title: "idle TLS connections: server RSS per connection", Kind: kindTLSIdle},
	{Name: "proxy", Title: "TCP proxy: throughput and CPU per MiB against an io.Copy relay on net", Kind: kindProxy},
	{Name: "strictness", Title: "strictness: the shared conformance corpus and held-out smuggling cases", Kind: kindStrict},
	{Name: "instructions", Title: "instructions per request (GET /, keep-alive and 16-deep pipelined)", Kind: kindInstr},
	{Name: "timer", Title: "timer wheel vs time.AfterFunc", Kind: kindTimer},
}

// options are the command-line settings of a run.
type options struct {
	Quick       bool
	Scenarios   []*scenario
	Duration    time.Duration
	Warmup      time.Duration
	Rounds      int
	Procs       int
	SSEClients  int
	Publishes   int
	SrcAddrs    int
	Loadgen     string
	BenchTime   string
	OutDir      string
	Args        string
	DefaultFull bool
}

func parseFlags() options {
	var o options
	quick := flag.Bool("quick", false, "short run: 1 round, 2 s per load test, fewer publishes and counted requests (about 6 minutes on 2 cores)")
	scen := flag.String("scenario", "all", "comma-separated scenarios: "+scenarioNames()+", or all")
	dur := flag.Duration("duration", 0, "length of each load test (default 3s, 2s with -quick)")
	rounds := flag.Int("rounds", 0, "interleaved rounds per scenario (default 5, 1 with -quick)")
	procs := flag.Int("procs", 1, "GOMAXPROCS of each server and event loops of the gnet-based ones")
	clients := flag.Int("sse-clients", 10000, "SSE (and ws-idle/ws-fanout WebSocket) clients per server")
	pubs := flag.Int("publishes", 0, "events published per SSE or WebSocket session (default 5, 3 with -quick)")
	src := flag.Int("src-addrs", 8, "source addresses 127.0.0.2.. the SSE and WebSocket clients are spread over")
	lg := flag.String("loadgen", "auto", "load generator: auto (wrk if installed), wrk or go")
	out := flag.String("out", "", "output directory (default: this directory for a full default run, out/ otherwise)")
	flag.Parse()
	o.Quick = *quick
	o.Duration, o.Rounds, o.Publishes = 3*time.Second, 5, 5
	o.Warmup = time.Second
	if o.Quick {
		o.Duration, o.Rounds, o.Publishes = 2*time.Second, 1, 3
		o.BenchTime = "100ms"
	}
	if *dur > 0 {
		o.Duration = *dur
	}
	if *rounds > 0 {
		o.Rounds = *rounds
	}
	if *pubs > 0 {
		o.Publishes = *pubs
	}
	o.Procs, o.SSEClients, o.SrcAddrs, o.Loadgen = *procs, *clients, *src, *lg
	if *scen == "all" {
		o.Scenarios = scenarios
	} else {
		for _, n := range strings.Split(*scen, ",") {
			i := slices.IndexFunc(scenarios, func(s *scenario) bool { return s.Name == strings.TrimSpace(n) })
			if i < 0 {
				log.Fatalf("unknown scenario %q; known: %s", n, scenarioNames())
			}
			o.Scenarios = append(o.Scenarios, scenarios[i])
		}
	}
	o.Args = strings.Join(os.Args[1:], " ")
	o.DefaultFull = len(os.Args) == 1
	o.OutDir = *out
	if o.OutDir == "" {
		o.OutDir = "out"
		if o.DefaultFull {
			o.OutDir = "."
		}
	}
	return o
}

func scenarioNames() string {
	var n []string
	for _, s := range scenarios {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}

// results is everything a run measured.
type results struct {
	Opts     options
	Machine  machine
	Loadgen  string
	Started  time.Time
	Took     time.Duration
	HTTP     map[string]map[string][]loadResult // scenario -> server key
	HTTPErr  map[string]map[string]string
	SSE      map[string][]sseResult // server key
	SSEErr   map[string]string
	Scale    map[string]map[int][]loadResult // server key -> event loops
	ScaleErr map[string]string
	Strict   map[string]*strictResult // server key
	// StrictErr is why a server's strictness was not measured;
	// StrictCorpus the corpus's path, or why it was not run.
	StrictErr    map[string]string
	StrictCorpus string
	Instr        map[string]map[string]instrResult // server key -> load name
	InstrErr     map[string]string
	InstrMethod  string // how instructions were counted, or why not
	Timer        []benchLine
	TimerCmd     string
	TimerErr     string
	BuildErr     map[string]string // binary -> error
	// WSEcho are the ws-echo runs (messages as Requests), WS the ws-idle
	// and ws-fanout sessions, per WebSocket server key.
	WSEcho    map[string][]loadResult
	WSEchoErr map[string]string
	WS        map[string][]sseResult
	WSErr     map[string]string
	// The TLS scenarios: tls-plaintext and tls-handshake are in HTTP and
	// HTTPErr under their names (handshakes as Requests); TLSIdle are the
	// tls-idle sessions; TLSParams what each server negotiated with the
	// harness's Go client (version, cipher suite, key exchange).
	TLSIdle    map[string][]sseResult
	TLSIdleErr map[string]string
	TLSParams  map[string]string
	// Redis is the sse-fanout-redis phase (sseredis.go).
	Redis redisResults
	// Proxy is the proxy phase (proxy.go).
	Proxy proxyResults
}

func main() {
	log.SetFlags(log.Ltime)
	o := parseFlags()
	dir, err := benchDir()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer killAll()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sig
		log.Printf("%v: stopping every child process", s)
		cancel()
		killAll()
		time.Sleep(5 * time.Second)
		killAll()
		os.Exit(130)
	}()
	if err := run(ctx, o); err != nil {
		killAll()
		if ctx.Err() != nil {
			log.Print(err)
			os.Exit(130)
		}
		log.Fatal(err)
	}
}

// benchDir finds the benchmarks module: the working directory or its
// benchmarks/ subdirectory.
func benchDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for _, d := range []string{wd, filepath.Join(wd, "benchmarks")} {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/gnetworker/gnetworker/benchmarks") {
			return d, nil
		}
	}
	return "", fmt.Errorf("run from the benchmarks directory (go run -C benchmarks .)")
}

func run(ctx context.Context, o options) error {
	res := &results{
		Opts: o, Started: time.Now(),
		HTTP: map[string]map[string][]loadResult{}, HTTPErr: map[string]map[string]string{},
		SSE: map[string][]sseResult{}, SSEErr: map[string]string{}, BuildErr: map[string]string{},
		Scale: map[string]map[int][]loadResult{}, ScaleErr: map[string]string{},
		Strict: map[string]*strictResult{}, StrictErr: map[string]string{},
		Instr: map[string]map[string]instrResult{}, InstrErr: map[string]string{},
		WSEcho: map[string][]loadResult{}, WSEchoErr: map[string]string{},
		WS: map[string][]sseResult{}, WSErr: map[string]string{},
		TLSIdle: map[string][]sseResult{}, TLSIdleErr: map[string]string{}, TLSParams: map[string]string{},
	}
	res.Machine = readMachine()
	tmp, err := os.MkdirTemp("", "gnetworker-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var gen loadGen = goGen{}
	if o.Loadgen != "go" {
		w, err := newWrk(tmp)
		switch {
		case err == nil:
			gen = w
		case o.Loadgen == "wrk":
			return fmt.Errorf("wrk: %v", err)
		}
	}
	res.Loadgen = gen.Name()
	log.Printf("machine: %s, %d cores, %s; load generator: %s", res.Machine.CPU, res.Machine.Cores, res.Machine.Go, res.Loadgen)

	bin := filepath.Join(tmp, "bin")
	if err := build(ctx, o, bin, res); err != nil {
		return err
	}
	if err := runHTTP(ctx, o, gen, bin, tmp, res); err != nil {
		return err
	}
	if err := runScaling(ctx, o, gen, bin, tmp, res); err != nil {
		return err
	}
	if err := runSSEPhase(ctx, o, bin, tmp, res); err != nil {
		return err
	}
	if err := runRedisPhase(ctx, o, bin, tmp, res); err != nil {
		return err
	}
	if err := runWSPhase(ctx, o, bin, tmp, res); err != nil {
		return err
	}
	if err := runTLSPhase(ctx, o, gen, bin, tmp, res); err != nil {
		return err
	}
	if err := runProxyPhase(ctx, o, bin, tmp, res); err != nil {
		return err
	}
	if err := runStrictPhase(ctx, o, bin, tmp, res); err != nil {
		return err
	}
	if err := runInstrPhase(ctx, o, bin, tmp, res); err != nil {
		return err
	}
	if has(o, kindTimer) {
		log.Printf("timer: go test -bench ./timer")
		lines, cmdline, err := runTimerBench(ctx, "..", o.BenchTime)
		res.Timer, res.TimerCmd = lines, cmdline
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			res.TimerErr = err.Error()
			log.Printf("timer: %v", err)
		}
	}
	res.Took = time.Since(res.Started)
	return report(res)
}

func has(o options, kind int) bool {
	return slices.ContainsFunc(o.Scenarios, func(s *scenario) bool { return s.Kind == kind })
}

// runHTTP measures the throughput scenarios, interleaved: in every round,
// each scenario runs once against every server in turn.
func runHTTP(ctx context.Context, o options, gen loadGen, bin, tmp string, res *results) error {
	var scs []*scenario
	for _, s := range o.Scenarios {
		if s.Kind == kindHTTP {
			scs = append(scs, s)
		}
	}
	if len(scs) == 0 {
		return nil
	}
	procs := map[string]*server{} // binary name -> running server
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	need := func(d *serverDef, s *scenario) string {
		if s.App {
			return d.App
		}
		return d.Plain
	}
	for _, s := range scs {
		res.HTTP[s.Name] = map[string][]loadResult{}
		res.HTTPErr[s.Name] = map[string]string{}
		for _, d := range servers {
			b := need(d, s)
			if _, ok := procs[b]; ok || res.BuildErr[b] != "" {
				continue
			}
			p, err := startServer(launchOf(d, b, bin, o.Procs, tmp))
			if err != nil {
				res.HTTPErr[s.Name][d.Key] = err.Error()
				continue
			}
			procs[b] = p
			// Warm up once: connections, buffers, the runtime's heap.
			warm := &scenario{Name: "warmup", Conns: 50, Method: "GET", Path: "/"}
			if _, err := gen.Run(ctx, p.addr, warm, o.Warmup); err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	for r := range o.Rounds {
		for _, s := range scs {
			for _, d := range servers {
				b := need(d, s)
				p := procs[b]
				if p == nil {
					if res.BuildErr[b] != "" {
						res.HTTPErr[s.Name][d.Key] = "build failed"
					}
					continue
				}
				if !p.alive() {
					res.HTTPErr[s.Name][d.Key] = "server exited; see " + p.log
					continue
				}
				lr, err := timed(ctx, gen, p, s, o.Duration)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err == nil && lr.Requests == 0 {
					err = errNoResponse // a starved run, not a measurement
				}
				if err != nil {
					res.HTTPErr[s.Name][d.Key] = err.Error()
					log.Printf("round %d %s %s: %v", r+1, s.Name, d.Label, err)
					continue
				}
				res.HTTP[s.Name][d.Key] = append(res.HTTP[s.Name][d.Key], lr)
				log.Printf("round %d/%d %-13s %-10s %10.0f req/s  server %5.2f µs/req  errors %d",
					r+1, o.Rounds, s.Name, d.Key, lr.RPS, usPerReq(lr), lr.Errors)
			}
		}
	}
	return nil
}

func usPerReq(lr loadResult) float64 {
	if lr.Requests == 0 {
		return 0
	}
	return lr.ServerCPU.Seconds() * 1e6 / float64(lr.Requests)
}

// runSSEPhase runs one SSE session per server per round, each against a
// fresh server process so that its RSS starts from the same place.
func runSSEPhase(ctx context.Context, o options, bin, tmp string, res *results) error {
	idle, fan := has(o, kindSSEIdle), has(o, kindSSEFanout)
	if !idle && !fan {
		return nil
	}
	pubs := 0
	if fan {
		pubs = o.Publishes
	}
	return sessions{
		tag: "sse", rounds: o.Rounds, defs: servers,
		start: starterOf(o, bin, tmp, res, func(d *serverDef) string { return d.SSE }),
		proto: sseProto, pubs: pubs, out: res.SSE, errs: res.SSEErr,
	}.run(ctx, o)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// machine describes where the run happened.
type machine struct {
	CPU    string
	Cores  int
	Go     string
	Kernel string
}

func readMachine() machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.Go = strings.TrimSpace(strings.TrimPrefix(string(out), "go version "))
	}
	return m
}

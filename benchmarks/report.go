package main

import (
	"fmt"
	"image/color"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianDur(v []time.Duration) time.Duration {
	f := make([]float64, len(v))
	for i, d := range v {
		f[i] = float64(d)
	}
	m := median(f)
	if math.IsNaN(m) {
		return 0
	}
	return time.Duration(m)
}

// httpStat summarizes one server in one throughput scenario.
type httpStat struct {
	RPS, Min, Max, USPerReq, LoadCPU float64
	Errors                           int64
	N                                int
}

func (r *results) httpStat(sc, key string) (httpStat, bool) {
	return loadStat(r.HTTP[sc][key])
}

// loadStat summarizes load runs: medians over rounds.
func loadStat(runs []loadResult) (httpStat, bool) {
	if len(runs) == 0 {
		return httpStat{}, false
	}
	var rps, us, lc []float64
	var st httpStat
	for _, lr := range runs {
		rps = append(rps, lr.RPS)
		us = append(us, usPerReq(lr))
		if lr.Elapsed > 0 {
			lc = append(lc, 100*lr.LoadCPU.Seconds()/lr.Elapsed.Seconds())
		}
		st.Errors += lr.Errors
	}
	st.RPS, st.USPerReq, st.LoadCPU = median(rps), median(us), median(lc)
	st.Min, st.Max, st.N = slices.Min(rps), slices.Max(rps), len(rps)
	return st, true
}

// sseStat summarizes one server's SSE sessions: medians over rounds (RSS)
// and over every publish of every round (latencies).
type sseStat struct {
	Base, After, PerConn float64
	P50, P99, Last, CPU  time.Duration
	Missing, Publishes   int
}

func (r *results) sseStat(key string) (sseStat, bool) {
	return streamStat(r.SSE[key])
}

// streamStat summarizes SSE or WebSocket sessions.
func streamStat(runs []sseResult) (sseStat, bool) {
	if len(runs) == 0 {
		return sseStat{}, false
	}
	var base, after, per []float64
	var p50, p99, last, cpu []time.Duration
	var st sseStat
	for _, s := range runs {
		base = append(base, float64(s.RSSBase))
		after = append(after, float64(s.RSSAfter))
		per = append(per, s.PerConn)
		p50 = append(p50, s.P50...)
		p99 = append(p99, s.P99...)
		last = append(last, s.Last...)
		cpu = append(cpu, s.ServerCPU...)
		st.Missing += s.Missing
	}
	st.Base, st.After, st.PerConn = median(base), median(after), median(per)
	st.P50, st.P99, st.Last, st.Publishes = medianDur(p50), medianDur(p99), medianDur(last), len(last)
	st.CPU = medianDur(cpu)
	return st, true
}

// target is one goal from the issue, with what was measured.
type target struct {
	What     string
	Measured string
	Met      string // "met", "not met" or "not measured"
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

func (r *results) targets() []target {
	var ts []target
	ratio := func(sc, a, b string, want float64, what string) {
		x, okx := r.httpStat(sc, a)
		y, oky := r.httpStat(sc, b)
		t := target{What: what, Met: "not measured", Measured: "—"}
		if okx && oky && y.RPS > 0 {
			q := x.RPS / y.RPS
			t.Measured = fmt.Sprintf("%.2fx (%.0f vs %.0f req/s)", q, x.RPS, y.RPS)
			t.Met = verdict(q >= want)
		}
		ts = append(ts, t)
	}
	ratio("plaintext-256", "gnetworker", "nethttp", 1.5, "plaintext@256: ≥ 1.5x net/http")
	ratio("plaintext-256", "gnetworker", "fasthttp", 1.0, "plaintext@256: ≥ fasthttp")
	ratio("pipeline-16", "gnetworker", "nethttp", 10, "pipelining 16: ≥ 10x net/http")
	ratio("pipeline-16", "gnetworker", "fasthttp", 1.0, "pipelining 16: ≥ fasthttp")
	ratio("pipeline-16", "gnetworker", "rawgnet", 0.8, "pipelining 16: ≥ 0.8x raw gnet")

	for _, sc := range []string{"plaintext-256", "pipeline-16"} {
		for _, peer := range []string{"nbio", "hertz"} {
			r.costTarget(&ts, sc, peer)
		}
	}
	for _, ld := range instrLoads {
		for _, peer := range []string{"nbio", "hertz"} {
			r.instrTarget(&ts, ld, peer)
		}
	}

	g, okg := r.sseStat("gnetworker")
	n, okn := r.sseStat("nethttp")
	raw, okr := r.sseStat("rawgnet")
	t := target{What: "idle SSE: RSS per connection ≤ 1/20 of net/http", Met: "not measured", Measured: "—"}
	if okg && okn && r.measuredIdle() {
		t.Measured = fmt.Sprintf("%s vs %s (1/%.1f)", bytesStr(g.PerConn), bytesStr(n.PerConn), n.PerConn/g.PerConn)
		t.Met = verdict(g.PerConn*20 <= n.PerConn)
	}
	ts = append(ts, t)
	nb, oknb := r.sseStat("nbio")
	t = target{What: "idle SSE: RSS per connection ≤ nbio's", Met: "not measured", Measured: "—"}
	if okg && oknb && r.measuredIdle() {
		t.Measured = fmt.Sprintf("%s vs %s", bytesStr(g.PerConn), bytesStr(nb.PerConn))
		t.Met = verdict(g.PerConn <= nb.PerConn)
	}
	ts = append(ts, t)
	for _, m := range []struct {
		name string
		get  func(sseStat) time.Duration
	}{{"p99", func(s sseStat) time.Duration { return s.P99 }}, {"time to last client", func(s sseStat) time.Duration { return s.Last }}} {
		t := target{What: "fan-out " + m.name + ": below net/http", Met: "not measured", Measured: "—"}
		if okg && okn && r.measuredFanout() {
			t.Measured = fmt.Sprintf("%v vs %v", ms(m.get(g)), ms(m.get(n)))
			t.Met = verdict(m.get(g) < m.get(n))
		}
		ts = append(ts, t)
		t = target{What: "fan-out " + m.name + ": within 1.1x raw gnet", Met: "not measured", Measured: "—"}
		if okg && okr && r.measuredFanout() {
			t.Measured = fmt.Sprintf("%v vs %v (%.2fx)", ms(m.get(g)), ms(m.get(raw)), float64(m.get(g))/float64(m.get(raw)))
			t.Met = verdict(float64(m.get(g)) <= 1.1*float64(m.get(raw)))
		}
		ts = append(ts, t)
	}
	r.redisTargets(&ts)
	r.wsTargets(&ts)
	r.tlsTargets(&ts)
	return ts
}

// costTarget: gnetworker's server CPU per request in scenario sc at or
// below peer's.
func (r *results) costTarget(ts *[]target, sc, peer string) {
	t := target{What: fmt.Sprintf("%s: server CPU per request ≤ %s", sc, peer), Met: "not measured", Measured: "—"}
	g, okg := r.httpStat(sc, "gnetworker")
	o, oko := r.httpStat(sc, peer)
	if okg && oko {
		t.Measured = fmt.Sprintf("%.2f vs %.2f µs/req", g.USPerReq, o.USPerReq)
		t.Met = verdict(g.USPerReq <= o.USPerReq)
	}
	*ts = append(*ts, t)
}

// instrTarget: gnetworker's instructions per request in load ld at or
// below peer's.
func (r *results) instrTarget(ts *[]target, ld instrLoad, peer string) {
	t := target{What: fmt.Sprintf("%s GET: instructions per request ≤ %s", ld.Name, peer), Met: "not measured", Measured: "—"}
	g, okg := r.Instr["gnetworker"][ld.Name]
	o, oko := r.Instr[peer][ld.Name]
	if okg && oko {
		t.Measured = fmt.Sprintf("%s vs %s", num(g.perRequest()), num(o.perRequest()))
		t.Met = verdict(g.perRequest() <= o.perRequest())
	}
	*ts = append(*ts, t)
}

func (r *results) measuredIdle() bool { return has(r.Opts, kindSSEIdle) }

func (r *results) measuredFanout() bool { return has(r.Opts, kindSSEFanout) }

func bytesStr(b float64) string {
	switch {
	case math.Abs(b) >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case math.Abs(b) >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// report prints the Markdown, writes RESULTS.md and the charts.
func report(r *results) error {
	md := r.markdown()
	fmt.Println(md)
	if err := os.MkdirAll(filepath.Join(r.Opts.OutDir, "charts"), 0o755); err != nil {
		return err
	}
	p := filepath.Join(r.Opts.OutDir, "RESULTS.md")
	if err := os.WriteFile(p, []byte(md), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s", p)
	if err := r.charts(filepath.Join(r.Opts.OutDir, "charts")); err != nil {
		log.Printf("charts: %v", err)
	}
	return nil
}

func (r *results) markdown() string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	o := r.Opts
	cmd := "go run ."
	if o.Args != "" {
		cmd += " " + o.Args
	}
	p("# gnetworker benchmark results\n\n")
	p("Measured by `%s` in benchmarks/ on %s, in %v. See README.md to reproduce.\n\n", cmd, r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Took.Round(time.Second))
	p("## Machine and method\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s |\n| cores | %d |\n| Go | %s |\n| kernel | %s |\n| load generator | %s |\n", r.Machine.CPU, r.Machine.Cores, r.Machine.Go, r.Machine.Kernel, r.Loadgen)
	p("| servers | each its own process on 127.0.0.1, GOMAXPROCS=%d; gnetworker, nbio (pollers), hertz (netpoll loops) and raw gnet with %d event loop(s) |\n", o.Procs, o.Procs)
	p("| rounds | %d, interleaved (every server in turn, then the next round); medians reported |\n", o.Rounds)
	p("| load test | %v each after one %v warm-up per server; wrk with 1 thread |\n", o.Duration, o.Warmup)
	p("| SSE | %d clients per server, raw TCP in the harness, over %d source addresses; %d publish(es) per session, a fresh server per session |\n", o.SSEClients, o.SrcAddrs, o.Publishes)
	p("| WebSocket | gnetworker (ws:// worker), gorilla/websocket (net/http), gws, nbio (nbhttp, non-blocking); the harness's own Go client, no compression; ws-echo as the load tests (%d round(s)); ws-idle and ws-fanout as SSE, %d clients, over %d round(s) |\n", o.Rounds, o.SSEClients, min(o.Rounds, wsSessionRounds))
	p("| TLS | gnetworker (Transport \"ssl\"), net/http and fasthttp on crypto/tls, one ECDSA P-256 certificate; tls-plaintext over https:// with the load generator and tls-handshake with the harness's Go client as the load tests (%d round(s)); tls-idle as SSE, %d clients, over %d round(s) |\n\n", o.Rounds, o.SSEClients, min(o.Rounds, wsSessionRounds))
	p("The %d cores are shared by the server, the load generator and the harness; nothing is pinned. ", r.Machine.Cores)
	p("\"server CPU\" is the server process's on-CPU time (all threads, from /proc/PID/task/*/schedstat) divided by the requests served: a measure of cost per request that does not depend on who won the CPU. ")
	p("When the load generator's CPU share is near 100%%, req/s is bounded by the load generator (one wrk thread on a shared core), not by the server: compare the servers' CPU per request there. ")
	p("The raw gnet server is an unsafe upper bound, not a real server: it only looks for `\\r\\n\\r\\n` and writes pre-baked bytes. ")
	p("nbio runs nbhttp in its non-blocking mode with handlers on its pollers; hertz runs on netpoll without middleware (see servers/).\n\n")
	if len(r.BuildErr) > 0 {
		p("Build failures:\n\n")
		for n, e := range r.BuildErr {
			p("- %s: `%s`\n", n, firstLine(e))
		}
		p("\n")
	}

	p("## Targets\n\n| target | measured (gnetworker vs other) | verdict |\n|---|---|---|\n")
	for _, t := range r.targets() {
		p("| %s | %s | %s |\n", t.What, t.Measured, t.Met)
	}
	p("\n")
	r.strictSummary(p)

	for _, s := range o.Scenarios {
		switch s.Kind {
		case kindHTTP:
			p("## %s — `%s`\n\n", s.Title, s.Name)
			r.httpTable(s, servers, r.labelFor, "req").print(p)
			p("\n![%s](charts/%s.png)\n\n", s.Name, s.Name)
		case kindSSEIdle:
			p("## %s — `%s`\n\n", s.Title, s.Name)
			p("VmRSS of the server before the first client and with all %d clients subscribed and idle for 0.5 s; per connection = delta / clients.\n\n", o.SSEClients)
			idleTable(p, servers, "nethttp", "net/http", r.sseStat, r.SSEErr)
			p("\n![%s](charts/%s.png)\n\n", s.Name, s.Name)
		case kindSSEFanout:
			p("## %s — `%s`\n\n", s.Title, s.Name)
			p("Latency from writing `GET /publish` on a control connection to each of %d clients reading the event; medians over every publish of every round.\n\n", o.SSEClients)
			p("\"server CPU\" is the server's CPU time (all threads, from /proc/PID/task/*/schedstat) between the publish request and the last receipt: what the fan-out costs the server, apart from the harness's own time to wake %d reading goroutines.\n\n", o.SSEClients)
			fanoutTable(p, servers, "nethttp", "net/http", r.sseStat, r.SSEErr)
			p("\n![%s](charts/%s.png)\n\n", s.Name, s.Name)
		case kindSSERedis:
			r.redisSection(p, s)
		case kindScaling:
			r.scalingSection(p, s)
		case kindStrict:
			r.strictDetails(p, s)
		case kindInstr:
			r.instrSection(p, s)
		case kindWSEcho, kindWSIdle, kindWSFanout:
			r.wsSection(p, s)
		case kindTLSPlain, kindTLSHandshake, kindTLSIdle:
			r.tlsSection(p, s)
		case kindProxy:
			r.proxySection(p, s)
		case kindTimer:
			p("## %s — `%s`\n\n", s.Title, s.Name)
			if r.TimerErr != "" {
				p("Failed: ```%s```\n\n", firstLine(r.TimerErr))
			}
			p("`%s` in the framework root (GOMAXPROCS=%d).\n\n", r.TimerCmd, r.Machine.Cores)
			p("| benchmark | timer wheel | time.AfterFunc | wheel / AfterFunc |\n|---|---:|---:|---:|\n")
			for _, pr := range r.timerPairs() {
				p("| %s | %s | %s | %s |\n", pr.key, pr.wheelS, pr.afterS, pr.ratio)
			}
			p("\n| raw benchmark | iterations | results |\n|---|---:|---|\n")
			for _, bl := range r.Timer {
				var parts []string
				for _, u := range bl.Units {
					parts = append(parts, num(bl.Metrics[u])+" "+u)
				}
				p("| %s | %d | %s |\n", bl.Name, bl.Iters, strings.Join(parts, ", "))
			}
			p("\n![%s](charts/%s.png)\n\n", s.Name, s.Name)
		}
	}
	return b.String()
}

// timerPair is a wheel benchmark beside its time.AfterFunc counterpart.
type timerPair struct {
	key            string
	unit           string
	wheel, after   float64
	wheelS, afterS string
	ratio          string
}

func (r *results) timerPairs() []timerPair {
	var keys []string
	w, a := map[string]benchLine{}, map[string]benchLine{}
	for _, bl := range r.Timer {
		k, isWheel, ok := benchPairKey(bl.Name)
		if !ok {
			continue
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
		if isWheel {
			w[k] = bl
		} else {
			a[k] = bl
		}
	}
	var out []timerPair
	for _, k := range keys {
		unit := "ns/op"
		if _, ok := w[k].Metrics["B/timer"]; ok {
			unit = "B/timer"
		}
		pr := timerPair{key: k, unit: unit, wheel: w[k].Metrics[unit], after: a[k].Metrics[unit]}
		f := func(bl benchLine) string {
			if bl.Name == "" {
				return "—"
			}
			s := num(bl.Metrics[unit]) + " " + unit
			if unit == "ns/op" {
				s += ", " + num(bl.Metrics["B/op"]) + " B/op, " + num(bl.Metrics["allocs/op"]) + " allocs/op"
			}
			return s
		}
		pr.wheelS, pr.afterS, pr.ratio = f(w[k]), f(a[k]), "—"
		if pr.after > 0 && w[k].Name != "" {
			pr.ratio = fmt.Sprintf("%.2fx", pr.wheel/pr.after)
		}
		out = append(out, pr)
	}
	return out
}

// charts writes one PNG bar chart per measured scenario into dir.
func (r *results) charts(dir string) error {
	labels := shortLabels(servers)
	for _, s := range r.Opts.Scenarios {
		path := filepath.Join(dir, s.Name+".png")
		var err error
		switch s.Kind {
		case kindHTTP:
			v := make([]float64, len(servers))
			for i, d := range servers {
				st, _ := r.httpStat(s.Name, d.Key)
				v[i] = st.RPS
			}
			err = barChart(path, s.Title, "requests/s (median)", labels, []string{""}, [][]float64{v})
		case kindSSEIdle:
			err = idleChart(path, fmt.Sprintf("server RSS per idle SSE connection (%d clients)", r.Opts.SSEClients), servers, r.sseStat)
		case kindSSEFanout:
			v := [][]float64{make([]float64, len(servers)), make([]float64, len(servers)), make([]float64, len(servers))}
			for i, d := range servers {
				st, _ := r.sseStat(d.Key)
				v[0][i], v[1][i], v[2][i] = msf(st.P50), msf(st.P99), msf(st.Last)
			}
			err = barChart(path, fmt.Sprintf("SSE fan-out of one 64-byte event to %d clients", r.Opts.SSEClients), "ms after publish", labels, []string{"p50", "p99", "last client"}, v)
		case kindSSERedis:
			err = r.redisChart(path)
		case kindScaling:
			v := [][]float64{make([]float64, len(servers)), make([]float64, len(servers))}
			for i, d := range servers {
				for j, n := range scaleLoops {
					st, _ := r.scaleStat(d.Key, n)
					v[j][i] = st.RPS
				}
			}
			err = barChart(path, s.Title, "requests/s (median)", labels, []string{"1 event loop", "2 event loops"}, v)
		case kindInstr:
			var groups []string
			var v [][]float64
			for _, ld := range instrLoads {
				row := make([]float64, len(servers))
				for i, d := range servers {
					row[i] = r.Instr[d.Key][ld.Name].perRequest()
				}
				groups = append(groups, ld.Name)
				v = append(v, row)
			}
			err = barChart(path, "instructions per request", "instructions per request", labels, groups, v)
		case kindStrict:
			continue
		case kindWSEcho, kindWSIdle, kindWSFanout:
			err = r.wsChart(dir, s)
		case kindTLSPlain, kindTLSHandshake, kindTLSIdle:
			err = r.tlsChart(dir, s)
		case kindProxy:
			err = r.proxyChart(dir, s)
		case kindTimer:
			var keys []string
			v := [][]float64{nil, nil}
			for _, pr := range r.timerPairs() {
				if pr.unit != "ns/op" {
					continue
				}
				keys = append(keys, pr.key)
				v[0] = append(v[0], pr.wheel)
				v[1] = append(v[1], pr.after)
			}
			if len(keys) == 0 {
				continue
			}
			err = barChart(path, "timer wheel vs time.AfterFunc", "ns/op", keys, []string{"timer wheel", "time.AfterFunc"}, v)
		}
		if err != nil {
			return fmt.Errorf("%s: %v", s.Name, err)
		}
	}
	return nil
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// barChart draws groups of bars (one series per group name) over labels.
func barChart(path, title, ylabel string, labels, groups []string, values [][]float64) error {
	p, err := barPlot(title, ylabel, labels, groups, values)
	if err != nil {
		return err
	}
	return p.Save(9*vg.Inch, 4.5*vg.Inch, path)
}

// barPlot is barChart's plot, before it is saved.
func barPlot(title, ylabel string, labels, groups []string, values [][]float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	w := vg.Points(float64(60 / len(groups)))
	for gi, g := range groups {
		vals := make(plotter.Values, len(values[gi]))
		for i, x := range values[gi] {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				x = 0
			}
			vals[i] = x
		}
		bc, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		bc.LineStyle.Width = 0
		bc.Color = plotutil.Color(gi)
		if len(groups) == 1 {
			bc.Color = color.RGBA{R: 0x33, G: 0x66, B: 0xcc, A: 0xff}
		}
		bc.Offset = w * vg.Length(float64(gi)-float64(len(groups)-1)/2)
		p.Add(bc)
		if g != "" {
			p.Legend.Add(g, bc)
		}
	}
	p.Legend.Top = true
	p.NominalX(labels...)
	return p, nil
}

// num formats a benchmark value without exponents.
func num(v float64) string {
	if v == math.Trunc(v) || math.Abs(v) >= 1000 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}

// fanoutTable is a fan-out scenario's table: latencies, the time to the
// last client against base's, and the server's CPU per publish.
func fanoutTable(p func(string, ...any), defs []*serverDef, base, baseLabel string,
	stat func(string) (sseStat, bool), errs map[string]string) {
	p("| server | p50 | p99 | time to last client | last vs %s | server CPU per publish | publishes | missed receipts |\n|---|---:|---:|---:|---:|---:|---:|---:|\n", baseLabel)
	b, okb := stat(base)
	for _, d := range defs {
		st, ok := stat(d.Key)
		if !ok {
			p("| %s | — | | | | | | %s |\n", d.Label, errs[d.Key])
			continue
		}
		rel := "—"
		if okb && b.Last > 0 {
			rel = fmt.Sprintf("%.2fx", float64(st.Last)/float64(b.Last))
		}
		p("| %s | %s | %s | %s | %s | %s | %d | %d |\n", d.Label, ms(st.P50), ms(st.P99), ms(st.Last), rel, ms(st.CPU), st.Publishes, st.Missing)
	}
}

// idleTable prints the RSS-per-idle-connection table of an SSE or
// WebSocket scenario, relative to the server keyed base.
func idleTable(p func(string, ...any), defs []*serverDef, base, baseLabel string,
	stat func(string) (sseStat, bool), errs map[string]string) {
	p("| server | RSS before | RSS with clients | per connection | vs %s |\n|---|---:|---:|---:|---:|\n", baseLabel)
	b, okb := stat(base)
	for _, d := range defs {
		st, ok := stat(d.Key)
		if !ok {
			p("| %s | — | | | %s |\n", d.Label, errs[d.Key])
			continue
		}
		rel := "—"
		if okb && b.PerConn > 0 {
			rel = fmt.Sprintf("%.3fx", st.PerConn/b.PerConn)
		}
		p("| %s | %s | %s | %s | %s |\n", d.Label, bytesStr(st.Base), bytesStr(st.After), bytesStr(st.PerConn), rel)
	}
}

// loadTable is the table of a load scenario: per server, the median rate
// over rounds, its min–max, the ratio to a base server, the server's CPU
// per unit, the load generator's CPU share and the errors.
type loadTable struct {
	defs      []*serverDef
	label     func(*serverDef) string
	rate      string // what is counted per second: req, messages, handshakes
	unit      string // per what the server's CPU is given: req, msg, handshake
	base      string // the server key the others are compared with
	baseLabel string
	stat      func(key string) (httpStat, bool)
	errs      map[string]string
}

// httpTable is the load table of HTTP scenario s (or another kept in
// r.HTTP) over defs, against net/http.
func (r *results) httpTable(s *scenario, defs []*serverDef, label func(*serverDef) string, rate string) loadTable {
	return loadTable{
		defs: defs, label: label, rate: rate, unit: rate, base: "nethttp", baseLabel: "net/http",
		stat: func(k string) (httpStat, bool) { return r.httpStat(s.Name, k) }, errs: r.HTTPErr[s.Name],
	}
}

func (t loadTable) print(p func(string, ...any)) {
	p("| server | median %s/s | min – max | vs %s | server CPU µs/%s | load gen CPU | errors |\n|---|---:|---:|---:|---:|---:|---:|\n", t.rate, t.baseLabel, t.unit)
	base, okb := t.stat(t.base)
	for _, d := range t.defs {
		st, ok := t.stat(d.Key)
		if !ok {
			p("| %s | — | | | | | %s |\n", t.label(d), t.errs[d.Key])
			continue
		}
		rel := "—"
		if okb && base.RPS > 0 {
			rel = fmt.Sprintf("%.2fx", st.RPS/base.RPS)
		}
		p("| %s | %.0f | %.0f – %.0f | %s | %.2f | %.0f%% | %d |\n", t.label(d), st.RPS, st.Min, st.Max, rel, st.USPerReq, st.LoadCPU, st.Errors)
	}
}

// charts draws the table's median rates into path and its servers' CPU
// per unit into the same name with -cpu.
func (t loadTable) charts(path, title, rateAxis, cpuTitle, cpuAxis string) error {
	rate, cpu := make([]float64, len(t.defs)), make([]float64, len(t.defs))
	for i, d := range t.defs {
		st, _ := t.stat(d.Key)
		rate[i], cpu[i] = st.RPS, st.USPerReq
	}
	labels := shortLabels(t.defs)
	if err := barChart(path, title, rateAxis, labels, []string{""}, [][]float64{rate}); err != nil {
		return err
	}
	return barChart(strings.TrimSuffix(path, ".png")+"-cpu.png", cpuTitle, cpuAxis, labels, []string{""}, [][]float64{cpu})
}

// idleChart draws the RSS per idle connection of defs' servers.
func idleChart(path, title string, defs []*serverDef, stat func(string) (sseStat, bool)) error {
	v := make([]float64, len(defs))
	for i, d := range defs {
		st, _ := stat(d.Key)
		v[i] = st.PerConn / 1024
	}
	return barChart(path, title, "KiB per connection", shortLabels(defs), []string{""}, [][]float64{v})
}

// shortLabels are the servers' names as in charts.
func shortLabels(defs []*serverDef) []string {
	var l []string
	for _, d := range defs {
		l = append(l, d.Short)
	}
	return l
}

func plainLabel(d *serverDef) string { return d.Label }

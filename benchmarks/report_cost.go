package main

import (
	"fmt"
	"slices"
	"strings"
)

// scaleStat summarizes one server's plaintext at n event loops.
func (r *results) scaleStat(key string, n int) (httpStat, bool) {
	runs := r.Scale[key][n]
	if len(runs) == 0 {
		return httpStat{}, false
	}
	var rps, us, lc []float64
	for _, lr := range runs {
		rps = append(rps, lr.RPS)
		us = append(us, usPerReq(lr))
		if lr.Elapsed > 0 {
			lc = append(lc, 100*lr.LoadCPU.Seconds()/lr.Elapsed.Seconds())
		}
	}
	return httpStat{RPS: median(rps), USPerReq: median(us), LoadCPU: median(lc), Min: slices.Min(rps), Max: slices.Max(rps), N: len(rps)}, true
}

func (r *results) scalingSection(p func(string, ...any), s *scenario) {
	p("## %s — `%s`\n\n", s.Title, s.Name)
	p("Plaintext with %d connections against each server started with 1 and with 2 event loops (GOMAXPROCS 1 and 2; `-count` for gnetworker, nbio, hertz and raw gnet), interleaved, %d round(s) of %v; medians. ", s.Conns, min(r.Opts.Rounds, 3), r.Opts.Duration)
	p("Caveat: the machine has %d cores and the load generator runs on them too, so a second loop competes with wrk for the CPU. A ratio near 1 says the load generator, not the server, is the limit; it is not the server's scaling on a machine with free cores.\n\n", r.Machine.Cores)
	p("| server | 1 loop req/s | 2 loops req/s | 2 / 1 | server CPU µs/req, 1 loop | 2 loops | load gen CPU, 2 loops |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, d := range servers {
		a, oka := r.scaleStat(d.Key, 1)
		b, okb := r.scaleStat(d.Key, 2)
		if !oka || !okb {
			p("| %s | — | — | | | | %s |\n", d.Label, r.ScaleErr[d.Key])
			continue
		}
		p("| %s | %.0f | %.0f | %.2fx | %.2f | %.2f | %.0f%% |\n", d.Label, a.RPS, b.RPS, b.RPS/a.RPS, a.USPerReq, b.USPerReq, b.LoadCPU)
	}
	p("\n![%s](charts/%s.png)\n\n", s.Name, s.Name)
}

func (r *results) instrSection(p func(string, ...any), s *scenario) {
	p("## %s — `%s`\n\n", s.Title, s.Name)
	if strings.HasPrefix(r.InstrMethod, "not measured") {
		p("Instructions were %s.\n\n", r.InstrMethod)
		return
	}
	p("Counted by %s. ", r.InstrMethod)
	p("Each server (its plaintext binary, %d event loop(s)) gets %d keep-alive connections of GET / in lockstep: %d warm-up rounds per connection, then ", r.Opts.Procs, instrConns, instrWarm)
	for i, ld := range instrLoads {
		rounds := ld.Rounds
		if r.Opts.Quick {
			rounds = ld.QuickRounds
		}
		if i > 0 {
			p(" and ")
		}
		p("%d counted rounds of %d request(s) per write (%s, %d requests)", rounds, ld.Depth, ld.Name, instrConns*ld.Depth*rounds)
	}
	p(". The count is repeatable where CPU time is not; under valgrind the server runs far slower than its client, so each wake-up finds every connection ready, for every server alike. ")
	p("\"CPU µs/req\" is the median server CPU time per request of the throughput scenario named, from schedstat.\n\n")
	p("| server |")
	for _, ld := range instrLoads {
		p(" %s instructions/req | vs gnetworker | CPU µs/req (`%s`) |", ld.Name, ld.Scenario)
	}
	p("\n|---|")
	for range instrLoads {
		p("---:|---:|---:|")
	}
	p("\n")
	base := r.Instr["gnetworker"]
	for _, d := range servers {
		m := r.Instr[d.Key]
		if len(m) == 0 {
			p("| %s |", d.Label)
			for range instrLoads {
				p(" — | | |")
			}
			if e := r.InstrErr[d.Key]; e != "" {
				p(" %s", e)
			}
			p("\n")
			continue
		}
		p("| %s |", d.Label)
		for _, ld := range instrLoads {
			ir, ok := m[ld.Name]
			cpu := "—"
			if st, ok := r.httpStat(ld.Scenario, d.Key); ok {
				cpu = fmt.Sprintf("%.2f", st.USPerReq)
			}
			if !ok {
				p(" — | | %s |", cpu)
				continue
			}
			rel := "—"
			if b, ok := base[ld.Name]; ok && b.perRequest() > 0 {
				rel = fmt.Sprintf("%.2fx", ir.perRequest()/b.perRequest())
			}
			p(" %s | %s | %s |", num(ir.perRequest()), rel, cpu)
		}
		p("\n")
	}
	p("\n![%s](charts/%s.png)\n\n", s.Name, s.Name)
}

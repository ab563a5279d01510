package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// redisStat summarizes the two-node sessions with per clients on each:
// medians over every publish of every session, commands per publish over
// every burst.
type redisStat struct {
	sseStat
	Ack, RedisCPU                time.Duration
	NodeFirst, NodeLast, NodeCPU [2]time.Duration
	Cmds                         map[string]float64 // per publish
	CmdTotal                     float64
	CmdPubs, Sessions            int
}

func (rr *redisResults) stat(per int) (redisStat, bool) {
	runs := rr.Runs[per]
	if len(runs) == 0 {
		return redisStat{}, false
	}
	var fans []sseResult
	var ack, rcpu []time.Duration
	var first, last, cpu [2][]time.Duration
	sum := map[string]int64{}
	st := redisStat{Sessions: len(runs), Cmds: map[string]float64{}}
	for _, r := range runs {
		fans = append(fans, r.Fan)
		ack = append(ack, r.Ack...)
		rcpu = append(rcpu, r.RedisCPU...)
		for i := range 2 {
			first[i] = append(first[i], r.First[i]...)
			last[i] = append(last[i], r.Last[i]...)
			cpu[i] = append(cpu[i], r.NodeCPU[i]...)
		}
		for k, v := range r.Cmds {
			sum[k] += v
		}
		st.CmdPubs += r.CmdPubs
	}
	st.sseStat, _ = streamStat(fans)
	st.Ack, st.RedisCPU = medianDur(ack), medianDur(rcpu)
	for i := range 2 {
		st.NodeFirst[i], st.NodeLast[i], st.NodeCPU[i] = medianDur(first[i]), medianDur(last[i]), medianDur(cpu[i])
	}
	if st.CmdPubs > 0 {
		for k, v := range sum {
			st.Cmds[k] = float64(v) / float64(st.CmdPubs)
			st.CmdTotal += st.Cmds[k]
		}
	}
	return st, true
}

// redisBase is the one-node fan-out with -sse-clients clients the
// two-node one is held against: sse-fanout's gnetworker in this run, or
// the phase's own sessions.
func (r *results) redisBase() (sseStat, string, bool) {
	if has(r.Opts, kindSSEFanout) {
		st, ok := r.sseStat(redisKey)
		return st, "single node (`sse-fanout`'s gnetworker, this run)", ok
	}
	st, ok := streamStat(r.Redis.Single[r.Opts.SSEClients])
	return st, "single node", ok
}

// redisTargets are the scale-out issue's goals.
func (r *results) redisTargets(ts *[]target) {
	if !has(r.Opts, kindSSERedis) {
		return
	}
	rr := &r.Redis
	t := target{What: fmt.Sprintf("SSE fan-out across 2 nodes through Redis (2×%s clients): time to last client within 1.25x one node with %s", thousands(rr.PerNode), thousands(r.Opts.SSEClients)), Met: "not measured", Measured: "—"}
	b, _, okb := r.redisBase()
	g, okg := rr.stat(rr.PerNode)
	switch {
	case rr.Skip != "":
		t.Measured = rr.Skip
	case okb && okg && b.Last > 0:
		q := float64(g.Last) / float64(b.Last)
		t.Measured = fmt.Sprintf("%s vs %s (%.2fx)", ms(g.Last), ms(b.Last), q)
		t.Met = verdict(q <= 1.25)
	}
	*ts = append(*ts, t)
	t = target{What: fmt.Sprintf("Redis commands per publish: the same at 2×%s and 2×%s clients", thousands(rr.Small), thousands(rr.PerNode)), Met: "not measured", Measured: "—"}
	s, oks := rr.stat(rr.Small)
	switch {
	case rr.Skip != "":
		t.Measured = rr.Skip
	case oks && okg && s.CmdPubs > 0 && g.CmdPubs > 0:
		t.Measured = fmt.Sprintf("%.2f vs %.2f", s.CmdTotal, g.CmdTotal)
		t.Met = verdict(math.Abs(s.CmdTotal-g.CmdTotal) < 0.05)
	}
	*ts = append(*ts, t)
}

// redisSection writes sse-fanout-redis's tables.
func (r *results) redisSection(p func(string, ...any), s *scenario) {
	o, rr := r.Opts, &r.Redis
	p("## %s — `%s`\n\n", s.Title, s.Name)
	if rr.Skip != "" {
		p("Not measured: %s.\n\n", rr.Skip)
		return
	}
	p("Two gnetworker nodes, each its own process (`servers/gnetworkersse -redis`: an http worker with one event loop and GOMAXPROCS=%d, its `ssehub.Hub` with `Options.Backend` a `redisbus.Bus` with default options), share one redis-server (%s, on 127.0.0.1, `--save \"\" --appendonly no`, started by the harness). ", o.Procs, rr.Version)
	p("Half of the %s clients (-sse-clients) subscribe to each node. `GET /publish` on node A calls `PublishAsync` and is answered once Redis stored the event; node A XADDs it to the topic's stream, and each node's reader, blocked in XREAD, receives it and fans it out to its own subscribers. ", thousands(o.SSEClients))
	p("Latency is from writing `GET /publish` to each client's receipt, over the clients of both nodes; medians over every publish (%d per session) of every session (%d round(s), fresh node processes each, Redis emptied with FLUSHALL). ", o.Publishes, o.Rounds)
	p("\"server CPU\" is the CPU time (schedstat, all threads) of the node(s) from the publish to the last receipt, \"Redis CPU\" redis-server's over the same time. ")
	p("The two nodes together have two event loops on the %d shared cores, the single node one; the harness's %s reading goroutines and Redis share the same cores.\n\n", r.Machine.Cores, thousands(o.SSEClients))

	b, bLabel, okb := r.redisBase()
	p("| setup | clients | p50 | p99 | time to last client | last vs one node ×%s | server CPU per publish | Redis CPU per publish | publishes | missed receipts |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", thousands(o.SSEClients))
	rel := func(st sseStat) string {
		if !okb || b.Last <= 0 {
			return "—"
		}
		return fmt.Sprintf("%.2fx", float64(st.Last)/float64(b.Last))
	}
	row := func(label, clients string, st sseStat, redisCPU string) {
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %d | %d |\n", label, clients, ms(st.P50), ms(st.P99), ms(st.Last), rel(st), ms(st.CPU), redisCPU, st.Publishes, st.Missing)
	}
	if okb {
		row(bLabel, thousands(o.SSEClients), b, "—")
	} else {
		p("| %s | %s | — | | | | | | | %s |\n", bLabel, thousands(o.SSEClients), r.baseErr())
	}
	if st, ok := streamStat(rr.Single[rr.PerNode]); ok {
		row("single node", thousands(rr.PerNode), st, "—")
	} else {
		p("| single node | %s | — | | | | | | | %s |\n", thousands(rr.PerNode), rr.SingleErr[rr.PerNode])
	}
	for _, per := range []int{rr.PerNode, rr.Small} {
		label, clients := "two nodes through Redis", "2×"+thousands(per)
		if st, ok := rr.stat(per); ok {
			row(label, clients, st.sseStat, ms(st.RedisCPU))
		} else {
			p("| %s | %s | — | | | | | | | %s |\n", label, clients, rr.RunErr[per])
		}
	}

	p("\nWhere the time goes in the two-node sessions (medians per publish): the first and last receipt among each node's own clients (node A publishes; both nodes read the event back with XREAD, so a node's first receipt is the whole path publish → node A → XADD → Redis → XREAD → that node's first write), and when node A's answer to the publish arrived. That answer is sent once Redis stored the event, but it queues on node A's event loop behind node A's own fan-out, so it bounds the XADD round trip from above rather than measuring it. ")
	p("Redis's CPU covers the whole window, its own timer (serverCron, 10 times a second) included, so it grows with the window's length, not with the subscribers.\n\n")
	p("| setup | publish answered | node A first / last client | node B first / last client | node A CPU | node B CPU | Redis CPU |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, per := range []int{rr.PerNode, rr.Small} {
		st, ok := rr.stat(per)
		if !ok {
			continue
		}
		p("| 2×%s | %s | %s / %s | %s / %s | %s | %s | %s |\n", thousands(per), ms(st.Ack), ms(st.NodeFirst[0]), ms(st.NodeLast[0]), ms(st.NodeFirst[1]), ms(st.NodeLast[1]), ms(st.NodeCPU[0]), ms(st.NodeCPU[1]), ms(st.RedisCPU))
	}

	p("\nRedis commands per publish: INFO commandstats (calls per command) before and after a burst of %d publishes on node A in each session, each sent once the previous one reached every client, summed over the sessions and divided by the publishes (the harness's INFO left out). Each command is one round trip to Redis here: node A's writer pipelines the appends waiting for it, one at a time in this burst.\n\n", redisBurst)
	all := map[string]int64{}
	for _, per := range []int{rr.Small, rr.PerNode} {
		st, _ := rr.stat(per)
		for k := range st.Cmds {
			all[k] = 1
		}
	}
	names := sortedCmds(all)
	p("| clients | publishes counted |")
	for _, k := range names {
		p(" %s |", strings.ToUpper(k))
	}
	p(" total per publish |\n|---|---:|%s---:|\n", strings.Repeat("---:|", len(names)))
	for _, per := range []int{rr.Small, rr.PerNode} {
		st, ok := rr.stat(per)
		if !ok {
			continue
		}
		p("| 2×%s | %d |", thousands(per), st.CmdPubs)
		for _, k := range names {
			p(" %.2f |", st.Cmds[k])
		}
		p(" %.2f |\n", st.CmdTotal)
	}
	p("\n![%s](charts/%s.png)\n\n", s.Name, s.Name)
}

// baseErr is why the one-node baseline with -sse-clients is missing.
func (r *results) baseErr() string {
	if has(r.Opts, kindSSEFanout) {
		return r.SSEErr[redisKey]
	}
	return r.Redis.SingleErr[r.Opts.SSEClients]
}

// redisChart draws the fan-out of each setup into path.
func (r *results) redisChart(path string) error {
	rr := &r.Redis
	if rr.Skip != "" {
		return nil
	}
	b, _, _ := r.redisBase()
	h, _ := streamStat(rr.Single[rr.PerNode])
	big, _ := rr.stat(rr.PerNode)
	small, _ := rr.stat(rr.Small)
	sts := []sseStat{b, h, big.sseStat, small.sseStat}
	labels := []string{
		"1 node ×" + thousands(r.Opts.SSEClients), "1 node ×" + thousands(rr.PerNode),
		"2 nodes ×" + thousands(rr.PerNode), "2 nodes ×" + thousands(rr.Small),
	}
	v := [][]float64{make([]float64, 4), make([]float64, 4), make([]float64, 4)}
	for i, st := range sts {
		v[0][i], v[1][i], v[2][i] = msf(st.P50), msf(st.P99), msf(st.Last)
	}
	return barChart(path, "SSE fan-out of one 64-byte event: one node vs two through Redis", "ms after publish", labels, []string{"p50", "p99", "last client"}, v)
}

// thousands formats n with commas: 10,000.
func thousands(n int) string {
	s := fmt.Sprintf("%d", n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sse-fanout-redis: the SSE hub across processes. Two gnetworker nodes
// (servers/gnetworkersse -redis, each its own process with an ssehub.Hub
// whose Backend is a redisbus.Bus) share one redis-server the harness
// starts; half of -sse-clients subscribe to each node, and a publish on
// node A reaches every client of both: node A XADDs it, and each node's
// reader XREADs it and fans it out to its own subscribers. It is held
// against one node with as many clients in total (sse-fanout's
// gnetworker, or a session of its own when sse-fanout is not in the run)
// and with half as many. Redis's INFO commandstats before and after a
// burst of publishes gives the commands (here also the round trips) each
// publish costs, at two sizes, to show it does not grow with subscribers.

// redisKey is the server of servers that runs the scenario.
const redisKey = "gnetworker"

// redisBurst is the publishes of the burst whose Redis commands are
// counted, each sent once the previous one reached every client.
const redisBurst = 20

// redisSmall is the clients per node of the smaller two-node session.
const redisSmall = 500

// redisResults is the sse-fanout-redis phase.
type redisResults struct {
	Skip    string // why the scenario was not measured
	Version string // redis-server --version
	// PerNode is the clients per node of the main two-node session (half
	// of -sse-clients), Small those of the smaller one.
	PerNode, Small int
	// Single are the one-node sessions the phase ran itself, by clients:
	// PerNode, and -sse-clients when sse-fanout was not in the run.
	Single    map[int][]sseResult
	SingleErr map[int]string
	// Runs are the two-node sessions, by clients per node.
	Runs   map[int][]redisRun
	RunErr map[int]string
}

// redisRun is one two-node session.
type redisRun struct {
	PerNode int
	// Fan is over the clients of both nodes; its ServerCPU is the sum of
	// both nodes' CPU per publish.
	Fan sseResult
	// Per publish: the time until node A answered it (Redis stored the
	// event), the first and last receipt among each node's clients, each
	// node's CPU and Redis's.
	Ack         []time.Duration
	First, Last [2][]time.Duration
	NodeCPU     [2][]time.Duration
	RedisCPU    []time.Duration
	// Cmds are the calls of each Redis command (INFO commandstats, the
	// harness's own INFO left out) over a burst of CmdPubs publishes.
	Cmds    map[string]int64
	CmdPubs int
}

// runRedisPhase runs sse-fanout-redis: each round, one node with half the
// clients (and with all of them when sse-fanout is not in the run), then
// two nodes through Redis with half on each, then two with redisSmall on
// each; a fresh server process per session, one redis-server for the
// phase (FLUSHALL between sessions).
func runRedisPhase(ctx context.Context, o options, bin, tmp string, res *results) error {
	if !has(o, kindSSERedis) {
		return nil
	}
	rr := &res.Redis
	rr.Single, rr.SingleErr = map[int][]sseResult{}, map[int]string{}
	rr.Runs, rr.RunErr = map[int][]redisRun{}, map[int]string{}
	n := o.SSEClients
	rr.PerNode, rr.Small = n/2, redisSmall
	if 2*rr.Small >= n {
		rr.Small = max(1, n/20)
	}
	i := slices.IndexFunc(servers, func(d *serverDef) bool { return d.Key == redisKey })
	d := servers[i]
	switch {
	case rr.PerNode < 1:
		rr.Skip = "needs -sse-clients of at least 2 (half on each node)"
	case res.BuildErr[d.SSE] != "":
		rr.Skip = "build failed: " + firstLine(res.BuildErr[d.SSE])
	}
	if rr.Skip != "" {
		log.Printf("sse-fanout-redis: %s", rr.Skip)
		return nil
	}
	rd, err := startRedis(tmp)
	if err != nil {
		rr.Skip = err.Error()
		log.Printf("sse-fanout-redis not measured: %v", err)
		return nil
	}
	defer rd.stop()
	if out, err := exec.Command(rd.cmd.Path, "--version").Output(); err == nil {
		rr.Version = strings.TrimSpace(string(out))
	}
	singles := []int{rr.PerNode}
	if !has(o, kindSSEFanout) {
		singles = append([]int{n}, singles...)
	}
	for r := range o.Rounds {
		for _, c := range singles {
			p, err := startServer(launchOf(d, d.SSE, bin, o.Procs, tmp))
			if err != nil {
				rr.SingleErr[c] = err.Error()
				continue
			}
			sr, err := runSSE(ctx, p, c, o.Publishes, o.SrcAddrs)
			p.stop()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				rr.SingleErr[c] = err.Error()
				log.Printf("round %d sse-redis single node x%d: %v", r+1, c, err)
				continue
			}
			rr.Single[c] = append(rr.Single[c], sr)
			log.Printf("round %d/%d sse-redis single node x%-5d fan-out p50 %v p99 %v last %v, server CPU %v",
				r+1, o.Rounds, c, medianDur(sr.P50), medianDur(sr.P99), medianDur(sr.Last), medianDur(sr.ServerCPU))
			time.Sleep(200 * time.Millisecond)
		}
		for _, per := range []int{rr.PerNode, rr.Small} {
			run, err := redisSession(ctx, o, d, bin, tmp, rd, per)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				rr.RunErr[per] = err.Error()
				log.Printf("round %d sse-redis 2 nodes x%d: %v", r+1, per, err)
				continue
			}
			rr.Runs[per] = append(rr.Runs[per], run)
			log.Printf("round %d/%d sse-redis 2 nodes x%-5d fan-out p50 %v p99 %v last %v (A %v, B %v), acked %v, CPU A %v B %v redis %v; commands/publish %s",
				r+1, o.Rounds, per, medianDur(run.Fan.P50), medianDur(run.Fan.P99), medianDur(run.Fan.Last),
				medianDur(run.Last[0]), medianDur(run.Last[1]), medianDur(run.Ack),
				medianDur(run.NodeCPU[0]), medianDur(run.NodeCPU[1]), medianDur(run.RedisCPU), cmdsString(run.Cmds, run.CmdPubs))
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

// redisSession starts two nodes of d's SSE server on rd (emptied first)
// and runs a two-node fan-out with per clients on each.
func redisSession(ctx context.Context, o options, d *serverDef, bin, tmp string, rd *server, per int) (redisRun, error) {
	if _, err := redisDo(rd.addr, "FLUSHALL"); err != nil {
		return redisRun{}, fmt.Errorf("redis FLUSHALL: %v", err)
	}
	if !rd.alive() {
		return redisRun{}, fmt.Errorf("redis-server exited: %s", rd.logTail())
	}
	var nodes [2]*server
	defer func() {
		for _, p := range nodes {
			if p != nil {
				p.stop()
			}
		}
	}()
	for i := range nodes {
		l := launchOf(d, d.SSE, bin, o.Procs, tmp)
		l.Name = fmt.Sprintf("%s node %c", d.Label, 'A'+i)
		l.Args = append(slices.Clone(l.Args), "-redis", "redis://"+rd.addr)
		p, err := startServer(l)
		if err != nil {
			return redisRun{}, err
		}
		nodes[i] = p
	}
	run, err := runRedisFanout(ctx, nodes, rd, per, o.Publishes, redisBurst, o.SrcAddrs)
	if err != nil {
		for _, p := range nodes {
			if !p.alive() {
				err = fmt.Errorf("%v (%s exited: %s)", err, p.name, p.logTail())
			}
		}
	}
	return run, err
}

// runRedisFanout subscribes per SSE clients to each node (node A's are
// clients 0..per-1), publishes `publishes` events on node A, each once the
// previous one reached every client, and times them as runStream does;
// then counts Redis's commands over a burst of `burst` more.
func runRedisFanout(ctx context.Context, nodes [2]*server, rd *server, per, publishes, burst, srcAddrs int) (redisRun, error) {
	run := redisRun{PerNode: per}
	n := 2 * per
	run.Fan.Clients = n
	time.Sleep(300 * time.Millisecond) // let the servers settle after start
	st := newFanState(n, publishes+burst)
	clients := make([]*sseClient, n)
	defer func() {
		for _, c := range clients {
			if c != nil {
				closeConn(c.conn)
			}
		}
	}()
	start := time.Now()
	st.ready.Add(n)
	dialErrs := 0
	for i, p := range nodes {
		dialErrs += dialClients(ctx, p.addr, sseProto, clients, i*per, per, st, srcAddrs)
	}
	if err := waitGroup(ctx, &st.ready, 60*time.Second); err != nil {
		return run, fmt.Errorf("clients not subscribed: %v", err)
	}
	run.Fan.ConnectDur = time.Since(start)
	run.Fan.Connected = n - int(st.bad.Load())
	if run.Fan.Connected < n {
		return run, fmt.Errorf("%d of %d clients failed to subscribe (%d dial errors)", n-run.Fan.Connected, n, dialErrs)
	}
	time.Sleep(500 * time.Millisecond) // idle

	ctl, err := net.DialTimeout("tcp", nodes[0].addr, 5*time.Second)
	if err != nil {
		return run, err
	}
	defer closeConn(ctl)
	br := bufio.NewReader(ctl)
	publish := func() error {
		subs, err := sseProto.publish(ctl, br)
		if err != nil {
			return err
		}
		if subs != per {
			return fmt.Errorf("publish reached %d subscribers of node A, want %d", subs, per)
		}
		return nil
	}
	wait := func(e int) error {
		select {
		case <-st.done[e]:
			return nil
		case <-time.After(10 * time.Second):
			return nil // counted as missed receipts
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for e := range publishes {
		time.Sleep(200 * time.Millisecond)
		var c0 [2]time.Duration
		for i, p := range nodes {
			c0[i] = cpuTime(p.pid)
		}
		r0 := cpuTime(rd.pid)
		t0 := time.Now()
		if err := publish(); err != nil {
			return run, err
		}
		run.Ack = append(run.Ack, time.Since(t0))
		if err := wait(e); err != nil {
			return run, err
		}
		var cpu time.Duration
		for i, p := range nodes {
			c := cpuTime(p.pid) - c0[i]
			run.NodeCPU[i] = append(run.NodeCPU[i], c)
			cpu += c
		}
		run.RedisCPU = append(run.RedisCPU, cpuTime(rd.pid)-r0)
		run.Fan.ServerCPU = append(run.Fan.ServerCPU, cpu)
		lat, missing := latencies(st.recv[e], t0)
		run.Fan.Missing += missing
		if len(lat) == 0 {
			return run, fmt.Errorf("publish %d reached no client", e)
		}
		run.Fan.P50 = append(run.Fan.P50, pct(lat, 50))
		run.Fan.P99 = append(run.Fan.P99, pct(lat, 99))
		run.Fan.Last = append(run.Fan.Last, lat[len(lat)-1])
		for i := range nodes {
			nl, _ := latencies(st.recv[e][i*per:(i+1)*per], t0)
			if len(nl) == 0 {
				return run, fmt.Errorf("publish %d reached no client of node %c", e, 'A'+i)
			}
			run.First[i] = append(run.First[i], nl[0])
			run.Last[i] = append(run.Last[i], nl[len(nl)-1])
		}
	}

	// The burst: Redis's command counts around it.
	time.Sleep(200 * time.Millisecond)
	before, err := commandStats(rd.addr)
	if err != nil {
		return run, err
	}
	for e := publishes; e < publishes+burst; e++ {
		if err := publish(); err != nil {
			return run, err
		}
		if err := wait(e); err != nil {
			return run, err
		}
		if got := st.got[e].Load(); int(got) != n {
			return run, fmt.Errorf("burst publish %d reached %d of %d clients", e-publishes, got, n)
		}
	}
	after, err := commandStats(rd.addr)
	if err != nil {
		return run, err
	}
	run.Cmds = map[string]int64{}
	for k, v := range after {
		if d := v - before[k]; d > 0 && k != "info" {
			run.Cmds[k] = d
		}
	}
	run.CmdPubs = burst
	return run, nil
}

// cmdsString is a run's commands per publish, for the log.
func cmdsString(cmds map[string]int64, pubs int) string {
	if pubs == 0 {
		return "—"
	}
	var parts []string
	total := int64(0)
	for _, k := range sortedCmds(cmds) {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(cmds[k])/float64(pubs)))
		total += cmds[k]
	}
	return fmt.Sprintf("%.2f (%s)", float64(total)/float64(pubs), strings.Join(parts, ", "))
}

// sortedCmds are the commands of cmds, xadd and xread first.
func sortedCmds(cmds map[string]int64) []string {
	var ks []string
	for k := range cmds {
		ks = append(ks, k)
	}
	rank := func(k string) int {
		switch k {
		case "xadd":
			return 0
		case "xread":
			return 1
		}
		return 2
	}
	slices.SortFunc(ks, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return ks
}

// errNoRedis: redis-server is not installed.
var errNoRedis = errors.New("redis-server not found on PATH (apt-get install redis-server)")

// startRedis starts redis-server from PATH on a free 127.0.0.1 port, in
// its own process group and a directory under tmp, without persistence
// (--save "" --appendonly no), and waits until it answers PING.
func startRedis(tmp string) (*server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errNoRedis
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(tmp, "redis-"+strconv.Itoa(port))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "redis.log")
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", logPath, "--daemonize", "no")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	register(cmd.Process.Pid)
	s := &server{name: "redis-server", addr: "127.0.0.1:" + strconv.Itoa(port), cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{}), log: logPath}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r, err := redisDo(s.addr, "PING"); err == nil && r == "PONG" {
			log.Printf("redis-server on %s", s.addr)
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("redis-server exited at start: %s", s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("redis-server did not answer PING on %s within 10 s: %s", s.addr, s.logTail())
		}
	}
}

// redisDo sends one command to Redis on a connection of its own and
// returns its reply: a simple string, an integer or a bulk string.
func redisDo(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer closeConn(c)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c, b.String()); err != nil {
		return "", err
	}
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("redis: empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New("redis: " + line[1:])
	case '$':
		k, err := strconv.Atoi(line[1:])
		if err != nil || k < 0 {
			return "", err
		}
		buf := make([]byte, k+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", err
		}
		return string(buf[:k]), nil
	}
	return "", fmt.Errorf("redis: unexpected reply %q", line)
}

// commandStats is the calls of each command from INFO commandstats.
func commandStats(addr string) (map[string]int64, error) {
	s, err := redisDo(addr, "INFO", "commandstats")
	if err != nil {
		return nil, fmt.Errorf("redis INFO commandstats: %v", err)
	}
	m := map[string]int64{}
	for _, l := range strings.Split(s, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(l), ":")
		name, isCmd := strings.CutPrefix(name, "cmdstat_")
		if !ok || !isCmd {
			continue
		}
		for _, f := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(f, "calls="); ok {
				m[name], _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	return m, nil
}

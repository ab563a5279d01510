package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

func (r *results) wsEchoStat(key string) (httpStat, bool) { return loadStat(r.WSEcho[key]) }

func (r *results) wsStat(key string) (sseStat, bool) { return streamStat(r.WS[key]) }

// wsPeers are the WebSocket servers gnetworker is held against.
var wsPeers = []string{"gorilla", "gws", "nbio"}

// wsTargets are the WebSocket issue's goals.
func (r *results) wsTargets(ts *[]target) {
	t := target{What: "ws-echo: server CPU per message ≤ the best of gorilla, gws, nbio", Met: "not measured", Measured: "—"}
	if g, ok := r.wsEchoStat("gnetworker"); ok {
		best, bestKey := 0.0, ""
		var missing []string
		for _, k := range wsPeers {
			st, ok := r.wsEchoStat(k)
			switch {
			case !ok:
				missing = append(missing, k)
			case bestKey == "" || st.USPerReq < best:
				best, bestKey = st.USPerReq, k
			}
		}
		if bestKey != "" {
			t.Measured = fmt.Sprintf("%.2f vs %.2f µs/msg (%s)", g.USPerReq, best, bestKey)
			if len(missing) > 0 {
				t.Measured += "; not measured: " + strings.Join(missing, ", ")
			}
			t.Met = verdict(g.USPerReq <= best)
		}
	}
	*ts = append(*ts, t)

	g, okg := r.wsStat("gnetworker")
	idle := has(r.Opts, kindWSIdle)
	t = target{What: "idle WebSocket: RSS per connection ≤ 1/10 of gorilla's", Met: "not measured", Measured: "—"}
	if o, ok := r.wsStat("gorilla"); okg && ok && idle {
		t.Measured = fmt.Sprintf("%s vs %s (1/%.1f)", bytesStr(g.PerConn), bytesStr(o.PerConn), o.PerConn/g.PerConn)
		t.Met = verdict(g.PerConn*10 <= o.PerConn)
	}
	*ts = append(*ts, t)
	t = target{What: "idle WebSocket: RSS per connection ≤ nbio's", Met: "not measured", Measured: "—"}
	if o, ok := r.wsStat("nbio"); okg && ok && idle {
		t.Measured = fmt.Sprintf("%s vs %s", bytesStr(g.PerConn), bytesStr(o.PerConn))
		t.Met = verdict(g.PerConn <= o.PerConn)
	}
	*ts = append(*ts, t)

	t = target{What: "WebSocket fan-out time to last client: within 1.1x gnetworker's SSE fan-out (same run)", Met: "not measured", Measured: "—"}
	sse, oks := r.sseStat("gnetworker")
	switch {
	case !has(r.Opts, kindWSFanout):
	case !r.measuredFanout():
		t.Measured = "needs sse-fanout in the same run"
	case okg && oks && sse.Last > 0:
		t.Measured = fmt.Sprintf("%v vs %v (%.2fx)", ms(g.Last), ms(sse.Last), float64(g.Last)/float64(sse.Last))
		t.Met = verdict(float64(g.Last) <= 1.1*float64(sse.Last))
	}
	*ts = append(*ts, t)
}

// wsSection writes the table of one WebSocket scenario.
func (r *results) wsSection(p func(string, ...any), s *scenario) {
	o := r.Opts
	p("## %s — `%s`\n\n", s.Title, s.Name)
	switch s.Kind {
	case kindWSEcho:
		p("Each of %d connections (the harness's own Go client, upgraded before the clock starts, no compression offered) sends a masked %d-byte binary message, waits for the whole echo, checks it byte for byte, and repeats for %v; %d round(s), every server in turn, after one %v warm-up each; medians. ", s.Conns, s.Body, o.Duration, o.Rounds, o.Warmup)
		p("\"server CPU\" is the server's CPU time (all threads, from /proc/PID/task/*/schedstat) per echoed message, the cost that does not depend on who won the CPU; \"load gen CPU\" is the harness's share of one core (its client shares the %d cores with the server).\n\n", r.Machine.Cores)
		r.wsEchoTable().print(p)
		p("\n![%s](charts/%s.png)\n\n![%s server CPU](charts/%s-cpu.png)\n\n", s.Name, s.Name, s.Name, s.Name)
	case kindWSIdle:
		p("VmRSS of the server before the first client and with all %d WebSocket clients upgraded and idle for 0.5 s; per connection = delta / clients. A fresh server per session, %d session(s) per server (capped at %d to keep the full run short); medians.\n\n", o.SSEClients, min(o.Rounds, wsSessionRounds), wsSessionRounds)
		idleTable(p, wsServers, "gorilla", "gorilla", r.wsStat, r.WSErr)
		p("\n![%s](charts/%s.png)\n\n", s.Name, s.Name)
	case kindWSFanout:
		p("Latency from writing a text message `publish` on a control WebSocket connection to each of %d clients reading the 64-byte text message the server then sends to every other connection (gnetworker frames it once with `websocket.Prepare` and queues it with `SendRaw`, gorilla with a PreparedMessage, gws with its Broadcaster, nbio with WriteMessage per connection); medians over every publish of every session (%d session(s) per server, each with %d publishes). ", o.SSEClients, min(o.Rounds, wsSessionRounds), o.Publishes)
		p("\"server CPU\" is the server's CPU time between the publish message and the last receipt.")
		if st, ok := r.sseStat("gnetworker"); ok && r.measuredFanout() {
			p(" For comparison, gnetworker's SSE fan-out of a 64-byte event to as many clients in this run (`sse-fanout`): p50 %s, p99 %s, %s to the last client.", ms(st.P50), ms(st.P99), ms(st.Last))
		}
		p("\n\n")
		fanoutTable(p, wsServers, "gorilla", "gorilla", r.wsStat, r.WSErr)
		p("\n![%s](charts/%s.png)\n\n", s.Name, s.Name)
	}
}

// wsEchoTable is ws-echo's table, against gorilla.
func (r *results) wsEchoTable() loadTable {
	return loadTable{
		defs: wsServers, label: plainLabel, rate: "messages", unit: "msg", base: "gorilla", baseLabel: "gorilla",
		stat: r.wsEchoStat, errs: r.WSEchoErr,
	}
}

// wsChart draws one WebSocket scenario's chart(s) into dir.
func (r *results) wsChart(dir string, s *scenario) error {
	labels := shortLabels(wsServers)
	path := filepath.Join(dir, s.Name+".png")
	n := len(wsServers)
	switch s.Kind {
	case kindWSEcho:
		return r.wsEchoTable().charts(path, s.Title, "messages/s (median)", "WebSocket echo: server CPU per 1 KiB message", "server CPU µs per message (median)")
	case kindWSIdle:
		return idleChart(path, fmt.Sprintf("server RSS per idle WebSocket connection (%d clients)", r.Opts.SSEClients), wsServers, r.wsStat)
	case kindWSFanout:
		v := [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
		for i, d := range wsServers {
			st, _ := r.wsStat(d.Key)
			v[0][i], v[1][i], v[2][i] = msf(st.P50), msf(st.P99), msf(st.Last)
		}
		return barChart(path, fmt.Sprintf("WebSocket fan-out of one 64-byte message to %d clients", r.Opts.SSEClients), "ms after publish", labels, []string{"p50", "p99", "last client"}, v)
	}
	return nil
}

package main

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot/vg"
)

// proxyStat summarizes one proxy's runs of one case: medians over rounds.
type proxyStat struct {
	MiBs, Min, Max         float64 // MiB/s
	CPU, User, Sys         float64 // the proxy's ms per MiB
	Client, Sink           float64 // the clients' and the upstream's ms per MiB
	Others                 float64 // the rest of the machine's CPU, in cores
	StartRSS, Peak, MaxRSS float64 // bytes; MaxRSS the largest peak
	N                      int
}

func (pr *proxyResults) stat(cs, key string) (proxyStat, bool) {
	runs := pr.Runs[cs][key]
	if len(runs) == 0 {
		return proxyStat{}, false
	}
	var rate, cpu, user, sys, cl, sk, oth, start, peak []float64
	for _, r := range runs {
		mib := float64(r.Bytes) / (1 << 20)
		rate = append(rate, mib/r.Elapsed.Seconds())
		cpu = append(cpu, msPer(r.User+r.Sys, mib))
		user = append(user, msPer(r.User, mib))
		sys = append(sys, msPer(r.Sys, mib))
		cl = append(cl, msPer(r.Client, mib))
		sk = append(sk, msPer(r.Sink, mib))
		oth = append(oth, r.Others.Seconds()/r.Elapsed.Seconds())
		start = append(start, float64(r.StartRSS))
		peak = append(peak, float64(r.PeakRSS))
	}
	return proxyStat{
		MiBs: median(rate), Min: slices.Min(rate), Max: slices.Max(rate),
		CPU: median(cpu), User: median(user), Sys: median(sys), Client: median(cl), Sink: median(sk), Others: median(oth),
		StartRSS: median(start), Peak: median(peak), MaxRSS: slices.Max(peak), N: len(runs),
	}, true
}

func (r *results) proxySection(p func(string, ...any), s *scenario) {
	p("## %s — `%s`\n\n", s.Title, s.Name)
	pr := &r.Proxy
	if pr.Skip != "" {
		p("Not measured: %s.\n\n", pr.Skip)
		return
	}
	p("Client, proxy and upstream run on this one machine (%d shared cores, nothing pinned), over 127.0.0.1. ", r.Machine.Cores)
	p("The upstream is `servers/proxysink`, a plain net server with a goroutine per connection (GOMAXPROCS=%d, not under test): per connection it reads and discards an upload in 256 KiB reads, or writes a download from one pattern in memory in writes of up to 1 MiB and closes. ", pr.SinkProcs)
	p("Each proxy runs as its own process with GOMAXPROCS=%d, in front of it: ", r.Opts.Procs)
	p("gnetworker's `examples/tcpproxy` (`-count %d`: an AsyncTcpConnection to the upstream per client on the client's event loop, piped both ways with `Pipe`, 1 MiB send buffer limit), ", r.Opts.Procs)
	p("and `servers/netproxy`, the relay a Go port would write with net: an accept loop, a goroutine per direction each running `io.Copy`, both connections closed when either direction ends. ")
	p("Between two `*net.TCPConn` io.Copy splices on Linux (TCPConn.ReadFrom → splice(2) through a pipe): the bytes stay in the kernel and never enter the process. With `-nosplice` each side is wrapped so that io.Copy sees a plain Reader and Writer and copies through its default 32 KiB buffer in user space, as gnetworker does through gnet's buffers; that row is the like-for-like comparison of user-space copying.\n\n")
	p("The harness's clients (goroutines in the harness process) dial every connection first, then move the bytes on all of them at once; the clock runs from then to the last connection's end: for an upload, the upstream's answer that it read them all; for a download, the end of stream after the last byte. ")
	p("Every connection's byte count is checked, and the first connection's bytes are checksummed (CRC-32C, a pattern of 1 MiB + 17 bytes repeated) at the far end; a run that loses, adds or changes a byte, stalls for %v or sees the proxy exit fails and is left out of the medians (errors column). ", proxyTimeout)
	p("A fresh proxy process per run, so that its peak RSS (VmHWM) is that case's; %d round(s), every case against every proxy in turn each round; medians. ", r.Opts.Rounds)
	p("\"proxy CPU\" is the proxy process's user + system time (all threads, /proc/PID/stat, 10 ms ticks) over the transfer divided by the MiB moved; \"client\" is the harness's own CPU per MiB and \"upstream\" the sink's, for where the rest of the machine went; \"others\" is what every other process used meanwhile (all cores' busy time from /proc/stat, steal included, less those three), in cores: other work on the shared machine shows there, and with it the throughput is not the proxy's alone.\n\n")
	p("| case | proxy | median MiB/s | min – max | vs io.Copy (splice) | proxy CPU ms/MiB | user / sys ms/MiB | proxy RSS at start | peak RSS median (max) | client / upstream CPU ms/MiB | others | runs | errors |\n")
	p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, c := range pr.Cases {
		base, okb := pr.stat(c.Name, proxyBase)
		for _, d := range proxyServers {
			what := fmt.Sprintf("%s, %d × %s", c.Name, c.Conns, bytesStr(float64(c.PerConn)))
			st, ok := pr.stat(c.Name, d.Key)
			e := strings.ReplaceAll(pr.Errs[c.Name][d.Key], "|", "\\|")
			if !ok {
				p("| %s | %s | — | | | | | | | | | 0 | %s |\n", what, d.Label, e)
				continue
			}
			rel := "—"
			if okb && base.MiBs > 0 {
				rel = fmt.Sprintf("%.2fx", st.MiBs/base.MiBs)
			}
			p("| %s | %s | %.0f | %.0f – %.0f | %s | %.3f | %.3f / %.3f | %s | %s (%s) | %.3f / %.3f | %.2f cores | %d | %s |\n",
				what, d.Label, st.MiBs, st.Min, st.Max, rel, st.CPU, st.User, st.Sys,
				bytesStr(st.StartRSS), bytesStr(st.Peak), bytesStr(st.MaxRSS), st.Client, st.Sink, st.Others, st.N, e)
		}
	}
	p("\n![%s](charts/%s.png)\n![%s CPU](charts/%s-cpu.png)\n\n", s.Name, s.Name, s.Name, s.Name)
}

// proxyChart draws the median MiB/s and the proxy's CPU per MiB of every
// case, one bar per proxy.
func (r *results) proxyChart(dir string, s *scenario) error {
	pr := &r.Proxy
	var cases []string
	for _, c := range pr.Cases {
		cases = append(cases, c.Name)
	}
	labels := shortLabels(proxyServers)
	rate, cpu := make([][]float64, len(proxyServers)), make([][]float64, len(proxyServers))
	for i, d := range proxyServers {
		for _, c := range pr.Cases {
			st, _ := pr.stat(c.Name, d.Key)
			rate[i] = append(rate[i], st.MiBs)
			cpu[i] = append(cpu[i], st.CPU)
		}
	}
	if err := proxyBars(filepath.Join(dir, s.Name+".png"), "TCP proxy throughput", "MiB/s (median)", cases, labels, rate); err != nil {
		return err
	}
	return proxyBars(filepath.Join(dir, s.Name+"-cpu.png"), "TCP proxy: the proxy's CPU per MiB", "ms CPU per MiB (median)", cases, labels, cpu)
}

// proxyBars is barChart with room for the three bars of the outer cases
// and, above the tallest bar, for the legend.
func proxyBars(path, title, ylabel string, cases, labels []string, v [][]float64) error {
	p, err := barPlot(title, ylabel, cases, labels, v)
	if err != nil {
		return err
	}
	p.X.Min, p.X.Max = -0.6, float64(len(cases))-0.4
	top := 0.0
	for _, row := range v {
		for _, x := range row {
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				top = max(top, x)
			}
		}
	}
	if top > 0 {
		p.Y.Max = top * 1.3
	}
	return p.Save(9*vg.Inch, 4.5*vg.Inch, path)
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

// proxy: a TCP relay's throughput and CPU per MiB. The harness starts an
// upstream (servers/proxysink: discards uploads, writes downloads, as
// fast as a plain net server can) and, for each run, a fresh proxy
// process in front of it; its clients move a fixed number of bytes
// through the proxy, upload or download, on 1 or 50 connections at once.
// Every connection's byte count is checked, and the first connection's
// bytes are checksummed (CRC-32C), so a proxy that loses, doubles or
// garbles bytes fails the run instead of looking fast.

// proxyServers are the proxies under test: gnetworker's examples/tcpproxy
// (AsyncTcpConnection and Pipe) and the io.Copy relay a Go port would
// write with net, with io.Copy's splice and with it hidden.
var proxyServers = []*serverDef{
	{Key: "gnetworker", Label: "gnetworker (examples/tcpproxy)", Short: "gnetworker", Proxy: "tcpproxy", Loops: true},
	{Key: "netcopy", Label: "net + io.Copy (splice)", Short: "io.Copy (splice)", Proxy: "netproxy"},
	{Key: "netcopy-nosplice", Label: "net + io.Copy, splice hidden (32 KiB buffer)", Short: "io.Copy (no splice)", Proxy: "netproxy-nosplice"},
}

// proxyBase is the proxy the others are compared with.
const proxyBase = "netcopy"

// proxySink is the upstream's binary.
const proxySink = "proxysink"

// proxyTimeout bounds one run: a proxy that stalls fails it.
const proxyTimeout = 60 * time.Second

// proxyCase is one transfer the proxies are measured on.
type proxyCase struct {
	Name    string
	Op      byte // common.ProxyUpload or common.ProxyDownload
	Conns   int
	PerConn int64 // bytes per connection
}

func (c proxyCase) total() int64 { return int64(c.Conns) * c.PerConn }

func (c proxyCase) direction() string {
	if c.Op == common.ProxyUpload {
		return "upload (client → proxy → upstream)"
	}
	return "download (upstream → proxy → client)"
}

// proxyCases: 1 GiB on one connection and 20 MiB on each of 50, both
// ways; a quarter of that with -quick.
func proxyCases(quick bool) []proxyCase {
	div := int64(1)
	if quick {
		div = 4
	}
	return []proxyCase{
		{Name: "upload-1", Op: common.ProxyUpload, Conns: 1, PerConn: (1 << 30) / div},
		{Name: "upload-50", Op: common.ProxyUpload, Conns: 50, PerConn: (20 << 20) / div},
		{Name: "download-1", Op: common.ProxyDownload, Conns: 1, PerConn: (1 << 30) / div},
		{Name: "download-50", Op: common.ProxyDownload, Conns: 50, PerConn: (20 << 20) / div},
	}
}

// proxyRun is one transfer through one fresh proxy process.
type proxyRun struct {
	Bytes     int64 // moved through the proxy, checked
	Elapsed   time.Duration
	User, Sys time.Duration // the proxy's, from /proc/PID/stat
	StartRSS  int64         // the proxy's VmRSS before the transfer
	PeakRSS   int64         // its VmHWM after it
	Client    time.Duration // the harness's CPU (the clients)
	Sink      time.Duration // the upstream's CPU
	// Others is the CPU the rest of the machine used meanwhile: all
	// cores' busy time (/proc/stat) less the proxy's, the upstream's and
	// the harness's. Other work on the shared cores shows here.
	Others time.Duration
}

// proxyResults is the proxy phase.
type proxyResults struct {
	Skip      string // why the scenario was not measured
	SinkProcs int    // GOMAXPROCS of the upstream
	Cases     []proxyCase
	Runs      map[string]map[string][]proxyRun // case -> proxy key
	Errs      map[string]map[string]string
}

// runProxyPhase runs the proxy scenario: every round, each case against
// every proxy in turn, a fresh proxy process each time so that its peak
// RSS is the case's own; one upstream process for the phase.
func runProxyPhase(ctx context.Context, o options, bin, tmp string, res *results) error {
	if !has(o, kindProxy) {
		return nil
	}
	pr := &res.Proxy
	pr.Cases = proxyCases(o.Quick)
	pr.Runs, pr.Errs = map[string]map[string][]proxyRun{}, map[string]map[string]string{}
	for _, c := range pr.Cases {
		pr.Runs[c.Name], pr.Errs[c.Name] = map[string][]proxyRun{}, map[string]string{}
	}
	if e := res.BuildErr[proxySink]; e != "" {
		pr.Skip = "the upstream's build failed: " + firstLine(e)
		log.Printf("proxy: %s", pr.Skip)
		return nil
	}
	// The upstream is not under test: it gets every core, so that it is
	// not what limits the proxy.
	pr.SinkProcs = runtime.NumCPU()
	sink, err := startServer(launch{Name: "upstream (proxysink)", Bin: binPath(bin, proxySink), Procs: pr.SinkProcs, LogDir: tmp})
	if err != nil {
		pr.Skip = err.Error()
		log.Printf("proxy not measured: %v", err)
		return nil
	}
	defer sink.stop()
	pattern := common.ProxyPattern()
	want := map[int64]uint32{} // the checksum of a connection's bytes, by length
	for _, c := range pr.Cases {
		want[c.PerConn] = common.ProxyStreamCRC(pattern, c.PerConn)
	}
	start := starterOf(o, bin, tmp, res, func(d *serverDef) string { return d.Proxy }, "-upstream", sink.addr)
	for r := range o.Rounds {
		for _, c := range pr.Cases {
			for _, d := range proxyServers {
				l, err := start(d)
				if err != nil {
					pr.Errs[c.Name][d.Key] = err.Error()
					continue
				}
				run, err := proxyOnce(ctx, l, sink, c, pattern, want[c.PerConn])
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err != nil {
					pr.Errs[c.Name][d.Key] = err.Error()
					log.Printf("round %d proxy %s %s: %v", r+1, c.Name, d.Key, err)
					continue
				}
				pr.Runs[c.Name][d.Key] = append(pr.Runs[c.Name][d.Key], run)
				mib := float64(run.Bytes) / (1 << 20)
				log.Printf("round %d/%d proxy %-11s %-16s %7.0f MiB/s  proxy %.3f ms/MiB (user %.3f sys %.3f)  peak RSS %s  others %.2f cores",
					r+1, o.Rounds, c.Name, d.Key, mib/run.Elapsed.Seconds(), msPer(run.User+run.Sys, mib),
					msPer(run.User, mib), msPer(run.Sys, mib), bytesStr(float64(run.PeakRSS)), run.Others.Seconds()/run.Elapsed.Seconds())
			}
		}
	}
	return nil
}

func msPer(d time.Duration, mib float64) float64 { return d.Seconds() * 1e3 / mib }

// proxyOnce starts the proxy l in front of sink and moves case c through
// it: every connection dialed first, then all transfers at once; the
// clock runs from their start to the last one's end.
func proxyOnce(ctx context.Context, l launch, sink *server, c proxyCase, pattern []byte, want uint32) (proxyRun, error) {
	var run proxyRun
	p, err := startServer(l)
	if err != nil {
		return run, err
	}
	sinkErrs := logErrors(sink.log)
	stopped := false
	defer func() {
		if !stopped {
			p.stop()
		}
	}()
	conns := make([]net.Conn, c.Conns)
	defer func() {
		for _, cn := range conns {
			if cn != nil {
				cn.Close()
			}
		}
	}()
	for i := range conns {
		if conns[i], err = net.DialTimeout("tcp", p.addr, 5*time.Second); err != nil {
			return run, fmt.Errorf("dial the proxy: %v", err)
		}
	}
	deadline := time.Now().Add(proxyTimeout)
	for _, cn := range conns {
		_ = cn.SetDeadline(deadline)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			for _, cn := range conns {
				_ = cn.SetDeadline(time.Now())
			}
		case <-done:
		}
	}()

	run.StartRSS, _ = rssBytes(p.pid)
	u0, s0 := statUserSys(p.pid)
	k0, c0, m0 := statCPU(sink.pid), selfCPU(), machineBusy()
	moved := make([]int64, len(conns))
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	t0 := time.Now()
	for i, cn := range conns {
		wg.Go(func() { moved[i], errs[i] = proxyTransfer(cn, c, i == 0, pattern, want) })
	}
	wg.Wait()
	run.Elapsed = time.Since(t0)
	u1, s1 := statUserSys(p.pid)
	run.User, run.Sys = u1-u0, s1-s0
	run.Sink, run.Client = statCPU(sink.pid)-k0, selfCPU()-c0
	run.Others = max(0, machineBusy()-m0-run.User-run.Sys-run.Sink-run.Client)
	run.PeakRSS, _ = statusBytes(p.pid, "VmHWM:")
	alive := p.alive()
	p.stop()
	stopped = true

	for _, m := range moved {
		run.Bytes += m
	}
	bad := 0
	var first error
	for i, e := range errs {
		if e != nil {
			bad++
			if first == nil {
				first = fmt.Errorf("connection %d: %v", i, e)
			}
		}
	}
	if first != nil {
		what := first.Error()
		if errors.Is(first, os.ErrDeadlineExceeded) {
			what = fmt.Sprintf("stalled: %s", what)
		}
		return run, fmt.Errorf("%d of %d connections failed, %d of %d bytes moved in %v; %s%s",
			bad, len(conns), run.Bytes, c.total(), run.Elapsed.Round(time.Millisecond), what, exited(alive, p))
	}
	if !alive {
		return run, fmt.Errorf("the proxy exited during the run; see %s", p.log)
	}
	// The upstream logs a short or overlong upload once the proxy closed
	// the connection: after the proxy's stop.
	time.Sleep(50 * time.Millisecond)
	if n := logErrors(sink.log) - sinkErrs; n > 0 {
		return run, fmt.Errorf("the upstream saw %d bad connection(s); see %s", n, sink.log)
	}
	return run, nil
}

func exited(alive bool, p *server) string {
	if alive {
		return ""
	}
	return "; the proxy exited: " + firstLine(p.logTail())
}

// proxyTransfer moves c.PerConn bytes over cn, through the proxy, and
// checks them: the count always, the checksum when sum.
func proxyTransfer(cn net.Conn, c proxyCase, sum bool, pattern []byte, want uint32) (int64, error) {
	var flags byte
	if sum {
		flags = common.ProxyChecksum
	}
	n := c.PerConn
	if _, err := cn.Write(common.ProxyHeader(c.Op, flags, n)); err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	if c.Op == common.ProxyUpload {
		var off int64
		for off < n {
			k, err := cn.Write(common.ProxyChunk(pattern, off, min(n-off, 256<<10)))
			off += int64(k)
			if err != nil {
				return off, fmt.Errorf("upload: %d of %d bytes written: %w", off, n, err)
			}
		}
		r := make([]byte, common.ProxyReplyLen)
		if _, err := io.ReadFull(cn, r); err != nil {
			return 0, fmt.Errorf("upload: all %d bytes written, no count back from the upstream: %w", n, err)
		}
		got, crc := common.ParseProxyReply(r)
		if got != n {
			return got, fmt.Errorf("upload: the upstream read %d bytes of %d", got, n)
		}
		if sum && crc != want {
			return 0, fmt.Errorf("upload: the upstream's checksum %08x, want %08x: bytes changed on the way", crc, want)
		}
		return n, nil
	}
	buf := make([]byte, 256<<10)
	var got int64
	var crc uint32
	for {
		k, err := cn.Read(buf)
		if sum {
			crc = crc32.Update(crc, common.ProxyCRC, buf[:k])
		}
		got += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return got, fmt.Errorf("download: %d of %d bytes read: %w", got, n, err)
		}
	}
	if got != n {
		return got, fmt.Errorf("download: %d bytes of %d before the end of stream", got, n)
	}
	if sum && crc != want {
		return 0, fmt.Errorf("download: checksum %08x, want %08x: bytes changed on the way", crc, want)
	}
	return n, nil
}

// statUserSys reads a process's user and system CPU time from
// /proc/PID/stat (all its threads, in USER_HZ ticks of 10 ms).
func statUserSys(pid int) (user, sys time.Duration) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0, 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u) * time.Second / 100, time.Duration(k) * time.Second / 100
}

// statusBytes reads a kB field of /proc/PID/status ("VmHWM:") in bytes.
func statusBytes(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s", field)
}

// machineBusy is the time all cores were busy since boot: /proc/stat's
// cpu line less idle and iowait, in USER_HZ ticks of 10 ms. Steal (the
// hypervisor running other guests) counts as busy: it is CPU this
// machine's processes did not get.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is counted in user already
			break
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / 100
}

// logErrors counts the upstream's error lines in its log.
func logErrors(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "proxysink: error")
}

//go:build linux

package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// check is one target, met or not, with what was seen.
type check struct {
	name   string
	ok     bool
	detail string
}

// result is the outcome of one attack.
type result struct {
	name, desc string
	what       string // what happened, in one line
	checks     []check
	leak       check // the harness's own goroutines and descriptors
	err        error // the attack could not run as designed
	wall       time.Duration

	usage   usage
	probes  probeStats
	figures []string // attack-specific figures
	logPath string   // the (first) server's log
}

func (r *result) check(name string, ok bool, format string, args ...any) {
	r.checks = append(r.checks, check{name: name, ok: ok, detail: fmt.Sprintf(format, args...)})
}

func (r *result) figure(format string, args ...any) {
	r.figures = append(r.figures, fmt.Sprintf(format, args...))
}

// failed lists the checks not met, the harness's own failures included.
func (r *result) failed() []check {
	var f []check
	if r.err != nil {
		f = append(f, check{name: "attack ran", detail: r.err.Error()})
	}
	for _, c := range r.checks {
		if !c.ok {
			f = append(f, c)
		}
	}
	if r.leak.name != "" && !r.leak.ok {
		f = append(f, r.leak)
	}
	return f
}

func (r *result) passed() bool { return len(r.failed()) == 0 && len(r.checks) > 0 }

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/miB) }

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// usageLine is the figures every attack reports.
func (r *result) usageLine() string {
	p := r.probes
	probes := "no probes"
	if p.n > 0 {
		probes = fmt.Sprintf("probe GET p50 %s max %s (%d/%d answered)", ms(p.p50), ms(p.max), p.ok, p.n)
	}
	return fmt.Sprintf("peak RSS %s, CPU %.2f s, peak fds %d, %s",
		mib(r.usage.peakRSS), r.usage.cpu.Seconds(), r.usage.peakFDs, probes)
}

func printResult(w io.Writer, r *result, verbose bool) {
	fmt.Fprintf(w, "== %s: %s — %s (%.1f s)\n", verdict(r.passed()), r.name, r.desc, r.wall.Seconds())
	if r.what != "" {
		fmt.Fprintf(w, "   what happened: %s\n", r.what)
	}
	for _, c := range r.checks {
		fmt.Fprintf(w, "   [%s] %s: %s\n", okMark(c.ok), c.name, c.detail)
	}
	if r.err != nil {
		fmt.Fprintf(w, "   [FAIL] attack ran: %v\n", r.err)
	}
	if r.leak.name != "" && (verbose || !r.leak.ok) {
		fmt.Fprintf(w, "   [%s] %s: %s\n", okMark(r.leak.ok), r.leak.name, r.leak.detail)
	}
	fmt.Fprintf(w, "   figures: %s\n", r.usageLine())
	for _, f := range r.figures {
		fmt.Fprintf(w, "            %s\n", f)
	}
	if verbose && !r.passed() && r.logPath != "" {
		if tail := strings.TrimSpace(serverLogTail(r.logPath, 1500)); tail != "" {
			fmt.Fprintf(w, "   server log (end):\n      %s\n", strings.ReplaceAll(tail, "\n", "\n      "))
		}
	}
}

func okMark(ok bool) string {
	if ok {
		return " ok "
	}
	return "FAIL"
}

func printSummary(w io.Writer, m mode, rs []*result) {
	fmt.Fprintf(w, "\nsummary (%s mode)\n", m.name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "attack\tresult\tpeak RSS\tCPU s\tpeak fds\tprobe p50\tprobe max\tanswered\twhat happened")
	failed := 0
	for _, r := range rs {
		if !r.passed() {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%d\t%s\t%s\t%d/%d\t%s\n", r.name, verdict(r.passed()),
			mib(r.usage.peakRSS), r.usage.cpu.Seconds(), r.usage.peakFDs,
			ms(r.probes.p50), ms(r.probes.max), r.probes.ok, r.probes.n, r.what)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d of %d attacks failed\n", failed, len(rs))
}

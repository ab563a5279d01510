//go:build linux

package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// targets names the checks each attack must make and pass: the targets of
// the issue, in quick mode with generous margins (a timeout is met when the
// server acts within 3× it).
var targets = map[string][]string{
	"fdlimit":   {"keeps accepting", "holds its budget, closes the rest at once", "healthy GET during the flood", "healthy GET after the flood", "never alive and deaf"},
	"silent":    {"every connection closed within 3× the header timeout (1s)"},
	"crlf":      {"every connection closed within 3× the header timeout (1s)"},
	"slowbody":  {"every connection cut within 3× the body timeout (2s)"},
	"junk":      {"RSS stays below 100 MiB"},
	"uploads":   {"every upload answered 200", "RSS stays below 100.0 MiB", "spool files removed"},
	"jsonarray": {"refused with 400", "refused quickly", "loop not stalled"},
	"restart":   {"SIGTERM stops the first server", "restart binds at once", "restarted server answers"},
	"sigterm":   {"request answered 200", "within StopTimeout", "with Connection: close", "server exits 0"},
}

// TestAttacks builds examples/hello and examples/ssehub, and runs every
// attack of the table in quick mode against its own server process.
func TestAttacks(t *testing.T) {
	if testing.Short() {
		t.Skip("attack harness skipped in -short mode: it builds the examples and attacks real server processes for about half a minute")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out io.Writer = io.Discard
	if testing.Verbose() {
		out = os.Stdout
	}
	h, err := newHarness(ctx, pickMode(true), testing.Verbose(), out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.close)
	if len(targets) != len(attacks) {
		t.Errorf("targets name %d attacks, the table has %d", len(targets), len(attacks))
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			r := h.run(ctx, a)
			var b strings.Builder
			printResult(&b, r, true)
			t.Log("\n" + b.String())
			if r.err != nil {
				t.Errorf("the attack did not run as designed: %v", r.err)
			}
			got := map[string]check{}
			for _, c := range r.checks {
				got[c.name] = c
			}
			for _, name := range targets[a.name] {
				c, ok := got[name]
				switch {
				case !ok:
					t.Errorf("target %q was not checked", name)
				case !c.ok:
					t.Errorf("target not met: %s: %s (%s)", name, c.detail, r.what)
				}
			}
			if !r.leak.ok {
				t.Errorf("the harness leaked: %s", r.leak.detail)
			}
		})
	}
}

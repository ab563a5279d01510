//go:build linux

// Command attack runs hostile clients against real example servers
// (examples/hello, examples/ssehub) started as processes on 127.0.0.1, one
// server per attack, and judges each against the server's targets: file
// descriptor exhaustion, silent and trickling clients, memory blow-ups,
// a stalling JSON body, restart and graceful stop. See README.md.
//
//	go run ./tests/attack            # full: default limits, the sizes
//	go run ./tests/attack -quick     # bounded CI version
//	go run ./tests/attack -only junk -v
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	quick := flag.Bool("quick", false, "short server timeouts and smaller sizes (the CI version)")
	only := flag.String("only", "", "run only the attack of this name ("+strings.Join(attackNames(), ", ")+")")
	verbose := flag.Bool("v", false, "log progress, and the server's log of a failed attack")
	flag.Parse()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	h, err := newHarness(ctx, pickMode(*quick), *verbose, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "attack:", err)
		os.Exit(2)
	}
	defer h.close()
	var results []*result
	for _, a := range attacks {
		if *only != "" && a.name != *only {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		r := h.run(ctx, a)
		printResult(os.Stdout, r, *verbose)
		results = append(results, r)
	}
	if len(results) == 0 {
		fmt.Fprintf(os.Stderr, "attack: no attack named %q (have %s)\n", *only, strings.Join(attackNames(), ", "))
		h.close()
		os.Exit(2)
	}
	printSummary(os.Stdout, h.mode, results)
	for _, r := range results {
		if !r.passed() {
			h.close()
			os.Exit(1)
		}
	}
}

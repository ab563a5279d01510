package main

import (
	"context"
	"log"
	"slices"
)

// scaleLoops are the event loops (and GOMAXPROCS) core scaling compares.
var scaleLoops = []int{1, 2}

// runScaling measures plaintext at 1 and 2 event loops for every server,
// interleaved: each round runs every server at 1, then at 2, in turn. It
// runs at most 3 rounds, on servers of its own.
func runScaling(ctx context.Context, o options, gen loadGen, bin, tmp string, res *results) error {
	i := slices.IndexFunc(o.Scenarios, func(s *scenario) bool { return s.Kind == kindScaling })
	if i < 0 {
		return nil
	}
	sc := o.Scenarios[i]
	type key struct {
		d     *serverDef
		loops int
	}
	procs := map[key]*server{}
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	for _, d := range servers {
		res.Scale[d.Key] = map[int][]loadResult{}
		if e := res.BuildErr[d.Plain]; e != "" {
			res.ScaleErr[d.Key] = "build failed: " + firstLine(e)
			continue
		}
		for _, n := range scaleLoops {
			p, err := startServer(launchOf(d, d.Plain, bin, n, tmp))
			if err != nil {
				res.ScaleErr[d.Key] = err.Error()
				continue
			}
			procs[key{d, n}] = p
			warm := &scenario{Name: "warmup", Conns: 50, Method: "GET", Path: "/"}
			if _, err := gen.Run(ctx, p.addr, warm, o.Warmup); err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	for r := range min(o.Rounds, 3) {
		for _, d := range servers {
			for _, n := range scaleLoops {
				p := procs[key{d, n}]
				if p == nil {
					continue
				}
				lr, err := timed(ctx, gen, p, sc, o.Duration)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err == nil && lr.Requests == 0 {
					err = errNoResponse // a starved run, not a measurement
				}
				if err != nil {
					res.ScaleErr[d.Key] = err.Error()
					continue
				}
				res.Scale[d.Key][n] = append(res.Scale[d.Key][n], lr)
				log.Printf("round %d scaling %-10s %d loop(s) %10.0f req/s  server %5.2f µs/req", r+1, d.Key, n, lr.RPS, usPerReq(lr))
			}
		}
	}
	return nil
}

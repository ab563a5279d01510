package main

import (
	"context"
	"errors"
	"log"
	"slices"
	"time"
)

// starter gives the launch of server d for a phase, or why it cannot be
// started (its build failed).
type starter func(d *serverDef) (launch, error)

// starterOf starts the binary name(d) of each server as launchOf does,
// with extra flags after its own (the TLS scenarios' -cert and -key).
func starterOf(o options, bin, tmp string, res *results, name func(*serverDef) string, extra ...string) starter {
	return func(d *serverDef) (launch, error) {
		n := name(d)
		if e := res.BuildErr[n]; e != "" {
			return launch{}, errors.New("build failed: " + firstLine(e))
		}
		l := launchOf(d, n, bin, o.Procs, tmp)
		l.Args = append(slices.Clone(l.Args), extra...)
		return l, nil
	}
}

// fleet is a phase's servers that stay up for the whole phase, one
// process per server key.
type fleet struct {
	procs map[string]*server
	errs  map[string]string // why a server is not running
}

// startFleet starts every server of defs and warms each up once with
// warm (whose failure is logged, not fatal).
func startFleet(ctx context.Context, name string, defs []*serverDef, start starter,
	warm func(ctx context.Context, p *server) error) (*fleet, error) {
	f := &fleet{procs: map[string]*server{}, errs: map[string]string{}}
	for _, d := range defs {
		l, err := start(d)
		if err == nil {
			var p *server
			if p, err = startServer(l); err == nil {
				f.procs[d.Key] = p
				err = warm(ctx, p)
				if ctx.Err() != nil {
					f.stop()
					return nil, ctx.Err()
				}
				if err != nil {
					log.Printf("%s warm-up %s: %v", name, d.Label, err)
				}
				continue
			}
		}
		f.errs[d.Key] = err.Error()
	}
	return f, nil
}

func (f *fleet) stop() {
	for _, p := range f.procs {
		p.stop()
	}
}

// measure is one interleaved load: run against each server in turn,
// every round, its runs kept per server key.
type measure struct {
	name string // the scenario, for the log
	unit string // what Requests counts: req, msg, hs
	run  func(ctx context.Context, p *server, d time.Duration) (loadResult, error)
	out  map[string][]loadResult
	errs map[string]string
}

// interleave runs rounds of the measures: in every round, each measure
// against every server of defs in turn.
func (f *fleet) interleave(ctx context.Context, o options, defs []*serverDef, ms []measure) error {
	for _, m := range ms {
		for k, e := range f.errs {
			m.errs[k] = e
		}
	}
	for r := range o.Rounds {
		for _, m := range ms {
			for _, d := range defs {
				p := f.procs[d.Key]
				if p == nil {
					continue
				}
				if !p.alive() {
					m.errs[d.Key] = "server exited; see " + p.log
					continue
				}
				lr, err := m.run(ctx, p, o.Duration)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err == nil && lr.Requests == 0 {
					err = errNoResponse // a starved run, not a measurement
				}
				if err != nil {
					m.errs[d.Key] = err.Error()
					log.Printf("round %d %s %s: %v", r+1, m.name, d.Label, err)
					continue
				}
				m.out[d.Key] = append(m.out[d.Key], lr)
				log.Printf("round %d/%d %-13s %-10s %10.0f %s/s  server %5.2f µs/%s  errors %d",
					r+1, o.Rounds, m.name, d.Key, lr.RPS, m.unit, usPerReq(lr), m.unit, lr.Errors)
			}
		}
	}
	return nil
}

// timed runs gen's load and adds the server's CPU time over it.
func timed(ctx context.Context, gen loadGen, p *server, sc *scenario, d time.Duration) (loadResult, error) {
	c0 := cpuTime(p.pid)
	lr, err := gen.Run(ctx, p.addr, sc, d)
	lr.ServerCPU = cpuTime(p.pid) - c0
	return lr, err
}

// sessions is a phase of stream sessions (runStream), one per server per
// round, each against a fresh server process so that its RSS starts from
// the same place.
type sessions struct {
	tag    string // for the log: sse, ws, tls
	rounds int
	defs   []*serverDef
	start  starter
	proto  *streamProto
	pubs   int
	out    map[string][]sseResult
	errs   map[string]string
}

func (s sessions) run(ctx context.Context, o options) error {
	for r := range s.rounds {
		for _, d := range s.defs {
			l, err := s.start(d)
			if err != nil {
				s.errs[d.Key] = err.Error()
				continue
			}
			p, err := startServer(l)
			if err != nil {
				s.errs[d.Key] = err.Error()
				continue
			}
			sr, err := runStream(ctx, p, s.proto, o.SSEClients, s.pubs, o.SrcAddrs)
			p.stop()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				s.errs[d.Key] = err.Error()
				log.Printf("round %d %s %s: %v", r+1, s.tag, d.Label, err)
				continue
			}
			s.out[d.Key] = append(s.out[d.Key], sr)
			log.Printf("round %d/%d %-3s %-10s %d clients in %v, RSS %.0f B/conn, fan-out p50 %v p99 %v last %v",
				r+1, s.rounds, s.tag, d.Key, sr.Connected, sr.ConnectDur.Round(time.Millisecond), sr.PerConn,
				medianDur(sr.P50), medianDur(sr.P99), medianDur(sr.Last))
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

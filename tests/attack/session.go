//go:build linux

package main

import (
	"context"
	"sync"
)

// session is one attack's server with its sampler and, optionally, a
// prober sending healthy GETs.
type session struct {
	srv  *server
	smp  *sampler
	prb  *prober
	once sync.Once
	ps   []probe
}

// begin starts the server of an attack and begins measuring it. Call end
// (deferred) whatever happens.
func (h *harness) begin(ctx context.Context, r *result, sp serverSpec, spool string, probe bool) (*session, error) {
	srv, err := h.startServer(ctx, sp)
	if err != nil {
		return nil, err
	}
	r.logPath = srv.logPath
	s := &session{srv: srv, smp: startSampler(srv.pid, spool)}
	if probe {
		s.prb = startProber(srv.addr)
	}
	return s, nil
}

// end stops the prober and the sampler, records their figures in r, kills
// the server and returns the probes. Later calls only return the probes.
func (s *session) end(r *result) []probe {
	s.once.Do(func() {
		if s.prb != nil {
			s.ps = s.prb.finish()
			r.probes = summarize(s.ps)
		}
		r.usage = s.smp.finish()
		s.srv.kill()
	})
	return s.ps
}

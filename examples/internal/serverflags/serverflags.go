// Package serverflags gives the examples one set of command-line flags for
// an http worker's limits (timeouts, body rate, stop timeout, connection
// bound), as the attack harness (tests/attack) passes them. Zero keeps a
// limit's default; a negative timeout disables it.
package serverflags

import (
	"flag"
	"time"

	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// Limits are the limits given on the command line.
type Limits struct {
	header, idle, body, stop time.Duration
	minRate, maxConns        int
}

// Register defines the flags on the default flag set; call it before
// flag.Parse.
func Register() *Limits {
	l := new(Limits)
	flag.DurationVar(&l.header, "header-timeout", 0, "time allowed for a request head, from accept (0: default 10s)")
	flag.DurationVar(&l.idle, "idle-timeout", 0, "keep-alive wait for the next request (0: default 60s)")
	flag.DurationVar(&l.body, "body-timeout", 0, "time allowed for a request body, extended by -body-min-rate (0: default 20s)")
	flag.IntVar(&l.minRate, "body-min-rate", 0, "bytes per second that extend the body timeout by 1s (0: default 500)")
	flag.DurationVar(&l.stop, "stop-timeout", 0, "how long a stop lets requests finish (0: default 2s)")
	flag.IntVar(&l.maxConns, "max-conns", 0, "open connections of the worker (0: bounded by the fd limit only)")
	return l
}

// Apply sets the limits on an http worker.
func (l *Limits) Apply(w *worker.Worker) {
	p := w.Protocol.(*http.Protocol)
	p.HeaderTimeout = l.header
	p.IdleTimeout = l.idle
	p.BodyTimeout = l.body
	p.BodyMinRate = l.minRate
	w.StopTimeout = l.stop
	w.MaxConnections = l.maxConns
}

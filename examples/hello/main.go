// Command hello answers GET / with "Hello, World!" as text/plain: the
// target of the plaintext benchmarks and of the attack harness
// (tests/attack). It logs its address once it is bound.
//
//	go run ./examples/hello -addr 127.0.0.1:8080
//	go run ./examples/hello -header-timeout 1s -body-timeout 2s -max-conns 500
//
// The limit flags map to http.Protocol and worker.Worker fields; zero keeps
// the default, a negative timeout disables it.
package main

import (
	"flag"
	"log"
	"time"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address, host:port")
	count := flag.Int("count", 0, "event loops (0: one per CPU)")
	lim := limitFlags()
	flag.Parse()
	w, err := newWorker(*addr)
	if err != nil {
		log.Fatal(err)
	}
	w.Count = *count
	lim.apply(w)
	w.OnWorkerStart = func(w *worker.Worker) { log.Printf("hello listening on http://%s/", w.Addr()) }
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

// limits are the server limits given on the command line; zero keeps the
// default.
type limits struct {
	header, idle, body, stop time.Duration
	minRate, maxConns        int
}

func limitFlags() *limits {
	l := new(limits)
	flag.DurationVar(&l.header, "header-timeout", 0, "time allowed for a request head, from accept (0: default 10s)")
	flag.DurationVar(&l.idle, "idle-timeout", 0, "keep-alive wait for the next request (0: default 60s)")
	flag.DurationVar(&l.body, "body-timeout", 0, "time allowed for a request body, extended by -body-min-rate (0: default 20s)")
	flag.IntVar(&l.minRate, "body-min-rate", 0, "bytes per second that extend the body timeout by 1s (0: default 500)")
	flag.DurationVar(&l.stop, "stop-timeout", 0, "how long a stop lets requests finish (0: default 2s)")
	flag.IntVar(&l.maxConns, "max-conns", 0, "open connections of the worker (0: bounded by the fd limit only)")
	return l
}

func (l *limits) apply(w *worker.Worker) {
	p := w.Protocol.(*http.Protocol)
	p.HeaderTimeout = l.header
	p.IdleTimeout = l.idle
	p.BodyTimeout = l.body
	p.BodyMinRate = l.minRate
	w.StopTimeout = l.stop
	w.MaxConnections = l.maxConns
}

var (
	hello    = http.NewResponse(200, map[string]string{"Content-Type": "text/plain"}, "Hello, World!")
	notFound = http.NewResponse(404, map[string]string{"Content-Type": "text/plain"}, "Not Found")
)

func newWorker(addr string) (*worker.Worker, error) {
	w, err := worker.New("http://" + addr)
	if err != nil {
		return nil, err
	}
	w.Name = "hello"
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		if req.Path() == "/" {
			_ = c.Send(hello)
			return
		}
		_ = c.Send(notFound)
	}
	return w, nil
}

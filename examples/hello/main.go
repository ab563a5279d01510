// Command hello answers GET / with "Hello, World!" as text/plain: the
// target of the plaintext benchmarks and of the attack harness
// (tests/attack). It logs its address once it is bound.
//
//	go run ./examples/hello -addr 127.0.0.1:8080
//	go run ./examples/hello -header-timeout 1s -body-timeout 2s -max-conns 500
//	go run ./examples/hello -cert site.crt -key site.key   # HTTPS
//
// The limit flags map to http.Protocol and worker.Worker fields; zero keeps
// the default, a negative timeout disables it.
package main

import (
	"flag"
	"log"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/examples/internal/serverflags"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address, host:port")
	count := flag.Int("count", 0, "event loops (0: one per CPU)")
	lim := serverflags.Register()
	tlsFiles := serverflags.RegisterTLS()
	flag.Parse()
	w, err := newWorker(*addr)
	if err != nil {
		log.Fatal(err)
	}
	w.Count = *count
	lim.Apply(w)
	if err := tlsFiles.Apply(w); err != nil {
		log.Fatal(err)
	}
	w.OnWorkerStart = func(w *worker.Worker) {
		log.Printf("hello listening on %s://%s/", tlsFiles.Scheme("http"), w.Addr())
	}
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
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

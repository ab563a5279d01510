// Command httpecho answers every request with 200 and a JSON echo of what
// the parser made of it, in the form of the conformance corpus
// (../shared/conformance/README.md): method, target, version, headers,
// trailers, body, keep_alive.
//
//	go run ./examples/httpecho -addr 127.0.0.1:8080
package main

import (
	"encoding/json"
	"flag"
	"log"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address, host:port")
	flag.Parse()
	w, err := newWorker(*addr)
	if err != nil {
		log.Fatal(err)
	}
	w.OnWorkerStart = func(w *worker.Worker) { log.Printf("httpecho listening on http://%s/", w.Addr()) }
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

// Echo is the JSON form of one parsed request.
type Echo struct {
	Method    string      `json:"method"`
	Target    string      `json:"target"`
	Version   string      `json:"version"`
	Headers   [][2]string `json:"headers"`
	Trailers  [][2]string `json:"trailers"`
	Body      string      `json:"body"`
	KeepAlive bool        `json:"keep_alive"`
}

// echo describes req.
func echo(req *http.Request) Echo {
	e := Echo{
		Method:    req.Method(),
		Target:    req.URI(),
		Version:   req.ProtocolVersion(),
		Headers:   [][2]string{},
		Trailers:  [][2]string{},
		Body:      string(req.RawBody()),
		KeepAlive: req.KeepAlive(),
	}
	for name, value := range req.Headers() {
		e.Headers = append(e.Headers, [2]string{name, value})
	}
	for name, value := range req.Trailers() {
		e.Trailers = append(e.Trailers, [2]string{name, value})
	}
	return e
}

func newWorker(addr string) (*worker.Worker, error) {
	w, err := worker.New("http://" + addr)
	if err != nil {
		return nil, err
	}
	w.Name = "httpecho"
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		body, err := json.Marshal(echo(req))
		if err != nil {
			_ = c.Send(http.NewResponse(500, nil, err.Error()))
			return
		}
		_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "application/json"}, string(body)))
	}
	return w, nil
}

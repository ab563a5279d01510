// Command ssehub is a broadcast chat over Server-Sent Events: every open
// browser tab sees the messages any tab POSTs, and the server's clock once
// a second. A tab that reconnects gets what it missed (Last-Event-ID).
//
//	go run ./examples/ssehub            # then open http://127.0.0.1:8080/ in several tabs
//	go run ./examples/ssehub -addr 127.0.0.1:9000
//	go run ./examples/ssehub -header-timeout 2s -max-conns 5000
//	go run ./examples/ssehub -cert site.crt -key site.key   # https://
//
// The limit flags map to http.Protocol and worker.Worker fields; zero keeps
// the default, a negative timeout disables it. The address is logged once
// it is bound.
package main

import (
	_ "embed"
	"flag"
	"log"
	"time"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/examples/internal/serverflags"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/ssehub"
	"github.com/gnetworker/gnetworker/timer"
	"github.com/gnetworker/gnetworker/worker"
)

//go:embed index.html
var page string

// maxMessage bounds a posted message.
const maxMessage = 4 << 10

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address, host:port")
	count := flag.Int("count", 0, "event loops (0: one per CPU)")
	lim := serverflags.Register()
	tlsFiles := serverflags.RegisterTLS()
	flag.Parse()
	hub := ssehub.New(ssehub.Options{Retry: 2 * time.Second})
	w, err := newWorker(*addr, hub)
	if err != nil {
		log.Fatal(err)
	}
	w.Count = *count
	lim.Apply(w)
	if err := tlsFiles.Apply(w); err != nil {
		log.Fatal(err)
	}
	w.OnWorkerStart = func(w *worker.Worker) {
		startClock(hub)
		log.Printf("SSE hub example on %s://%s/", tlsFiles.Scheme("http"), w.Addr())
	}
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

// startClock publishes the server's time on topic "clock" every second.
func startClock(hub *ssehub.Hub) timer.ID {
	id, _ := timer.Add(time.Second, func(timer.ID) {
		_, _ = hub.Publish("clock", http.ServerSentEvents{Event: "clock", Data: time.Now().Format(time.TimeOnly)})
	})
	return id
}

func newWorker(addr string, hub *ssehub.Hub) (*worker.Worker, error) {
	w, err := worker.New("http://" + addr)
	if err != nil {
		return nil, err
	}
	w.Name = "ssehub"
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		switch {
		case req.Path() == "/events":
			if err := hub.Subscribe(c, req, "chat", "clock"); err != nil {
				_ = c.Send(http.NewResponse(503, nil, err.Error()))
			}
		case req.Path() == "/messages" && req.Method() == "POST":
			msg := req.Post("message")
			if msg == "" || len(msg) > maxMessage {
				_ = c.Send(http.NewResponse(400, map[string]string{"Content-Type": "text/plain"}, "message: 1 to 4096 bytes"))
				return
			}
			id, err := hub.Publish("chat", http.ServerSentEvents{Event: "chat", Data: msg})
			if err != nil {
				_ = c.Send(http.NewResponse(400, map[string]string{"Content-Type": "text/plain"}, err.Error()))
				return
			}
			_ = c.Send(http.NewResponse(202, map[string]string{"Content-Type": "text/plain"}, id))
		case req.Path() == "/":
			_ = c.Send(http.NewResponse(200, nil, page))
		default:
			_ = c.Send(http.NewResponse(404, map[string]string{"Content-Type": "text/plain"}, "not found"))
		}
	}
	return w, nil
}

// Command gnetworkersse is this framework's SSE fan-out server on
// protocols/http/ssehub: GET /sse subscribes the connection to the topic
// "bench"; GET /publish publishes one 64-byte event to it and answers the
// number of subscribers.
package main

import (
	"flag"
	"log"
	"strconv"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/ssehub"
	"github.com/gnetworker/gnetworker/worker"
)

var notFound = http.NewResponse(404, map[string]string{"Content-Type": "text/plain"}, "Not Found")

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	count := flag.Int("count", 1, "event loops")
	flag.Parse()
	common.RaiseNoFile()
	hub := ssehub.New(ssehub.Options{})
	w, err := worker.New("http://" + *addr)
	if err != nil {
		log.Fatal(err)
	}
	w.Count = *count
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		switch req.Path() {
		case "/sse":
			_ = hub.Subscribe(c, req, "bench")
		case "/publish":
			_, _ = hub.Publish("bench", http.ServerSentEvents{Data: common.EventData})
			_ = c.Send(strconv.Itoa(hub.Subscribers("bench")))
		default:
			_ = c.Send(notFound)
		}
	}
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

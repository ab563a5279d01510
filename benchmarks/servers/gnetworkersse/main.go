// Command gnetworkersse is this framework's SSE fan-out server on
// protocols/http/ssehub: GET /sse subscribes the connection to the topic
// "bench"; GET /publish publishes one 64-byte event to it and answers the
// number of this process's subscribers.
//
// With -redis URL the hub's Backend is a redisbus.Bus on that Redis, and
// every process started with the same URL is a node of one hub
// (sse-fanout-redis): a publish on any node is XADDed to the topic's
// stream and each node fans it out to its own subscribers. The publish is
// then answered once Redis stored the event (PublishAsync: a publish with
// a backend must not wait on the event loop).
package main

import (
	"flag"
	"log"
	"strconv"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/gnetworker/gnetworker/bus/redisbus"
	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/ssehub"
	"github.com/gnetworker/gnetworker/worker"
)

var notFound = http.NewResponse(404, map[string]string{"Content-Type": "text/plain"}, "Not Found")

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	count := flag.Int("count", 1, "event loops")
	redisURL := flag.String("redis", "", "redis://HOST:PORT: share the hub with the other nodes on this Redis (empty: this process only)")
	flag.Parse()
	common.RaiseNoFile()
	var opts ssehub.Options
	var backend *redisbus.Bus
	if *redisURL != "" {
		var err error
		if backend, err = redisbus.Dial(*redisURL, redisbus.Options{}); err != nil {
			log.Fatal(err)
		}
		opts.Backend = backend
	}
	hub := ssehub.New(opts)
	w, err := worker.New("http://" + *addr)
	if err != nil {
		log.Fatal(err)
	}
	w.Count = *count
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		switch req.Path() {
		case "/sse":
			if err := hub.Subscribe(c, req, "bench"); err != nil {
				_ = c.Send(http.NewResponse(503, nil, err.Error()))
			}
		case "/publish":
			if backend == nil {
				_, _ = hub.Publish("bench", http.ServerSentEvents{Data: common.EventData})
				_ = c.Send(strconv.Itoa(hub.Subscribers("bench")))
				return
			}
			err := hub.PublishAsync("bench", http.ServerSentEvents{Data: common.EventData}, func(_ string, err error) {
				if err != nil {
					_ = c.Send(http.NewResponse(503, nil, err.Error()))
					return
				}
				_ = c.Send(strconv.Itoa(hub.Subscribers("bench")))
			})
			if err != nil {
				_ = c.Send(http.NewResponse(503, nil, err.Error()))
			}
		default:
			_ = c.Send(notFound)
		}
	}
	err = worker.RunAll()
	hub.Close()
	if backend != nil {
		_ = backend.Close()
	}
	if err != nil {
		log.Fatal(err)
	}
}

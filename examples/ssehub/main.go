// Command ssehub is a broadcast chat over Server-Sent Events: every open
// browser tab sees the messages any tab POSTs, and the server's clock once
// a second. A tab that reconnects gets what it missed (Last-Event-ID).
//
//	go run ./examples/ssehub            # then open http://127.0.0.1:8080/ in several tabs
//	go run ./examples/ssehub -addr 127.0.0.1:9000
//	go run ./examples/ssehub -header-timeout 2s -max-conns 5000
//	go run ./examples/ssehub -cert site.crt -key site.key   # https://
//	go run ./examples/ssehub -addr 127.0.0.1:8081 -redis redis://127.0.0.1:6379
//	go run ./examples/ssehub -allow-origin http://localhost:3000,https://app.example
//
// With -allow-origin (repeatable, or comma-separated), pages of those
// origins may use the hub too: new EventSource('http://127.0.0.1:8080/events')
// and POSTs to /messages from their own scripts. The example answers the
// browsers' CORS preflights for /events and /messages and adds
// Access-Control-Allow-Origin for those origins (http.CORS); without it,
// browsers refuse other origins the event stream.
//
// With -redis, every process started with the same Redis is a node of one
// hub: a message POSTed to any node reaches the tabs of every node, with
// the same event id, and a tab that reconnects to any node gets what it
// missed. Each node publishes its own clock, named after its address.
//
// The limit flags map to http.Protocol and worker.Worker fields; zero keeps
// the default, a negative timeout disables it. The address is logged once
// it is bound.
package main

import (
	_ "embed"
	"errors"
	"flag"
	"log"
	"time"

	"github.com/gnetworker/gnetworker/bus"
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
	redisFlag := serverflags.RegisterRedis()
	var origins originList
	flag.Var(&origins, "allow-origin", "an origin whose pages may use the hub, scheme://host[:port] or *; repeatable, or comma-separated")
	flag.Parse()
	cors := corsPolicy(origins)
	backend, err := redisFlag.Dial()
	if err != nil {
		log.Fatal(err)
	}
	opts := ssehub.Options{Retry: 2 * time.Second, CORS: cors}
	if backend != nil {
		opts.Backend = backend
	}
	hub := ssehub.New(opts)
	w, err := newCORSWorker(*addr, hub, cors)
	if err != nil {
		log.Fatal(err)
	}
	w.Count = *count
	lim.Apply(w)
	if err := tlsFiles.Apply(w); err != nil {
		log.Fatal(err)
	}
	w.OnWorkerStart = func(w *worker.Worker) {
		name := ""
		if backend != nil {
			name = w.Addr().String()
		}
		startClock(hub, name)
		log.Printf("SSE hub example on %s://%s/", tlsFiles.Scheme("http"), w.Addr())
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

// startClock publishes the server's time on topic "clock" every second,
// followed by node when it is not "".
func startClock(hub *ssehub.Hub, node string) timer.ID {
	id, _ := timer.Add(time.Second, func(timer.ID) {
		now := time.Now().Format(time.TimeOnly)
		if node != "" {
			now += " at " + node
		}
		_ = hub.PublishAsync("clock", http.ServerSentEvents{Event: "clock", Data: now}, nil)
	})
	return id
}

func newWorker(addr string, hub *ssehub.Hub) (*worker.Worker, error) {
	return newCORSWorker(addr, hub, nil)
}

// newCORSWorker is newWorker answering cross-origin requests with cors
// (nil: none); the hub's Options.CORS should be the same policy.
func newCORSWorker(addr string, hub *ssehub.Hub, cors *http.CORS) (*worker.Worker, error) {
	w, err := worker.New("http://" + addr)
	if err != nil {
		return nil, err
	}
	w.Name = "ssehub"
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		if cors != nil && (req.Path() == "/events" || req.Path() == "/messages") {
			if resp, ok := cors.Preflight(req); ok {
				_ = c.Send(resp)
				return
			}
		}
		// reply sends resp with the CORS headers req's origin gets (none
		// without a policy). req stays valid until it is answered, so
		// PublishAsync's callback may use it.
		reply := func(resp *http.Response) { _ = c.Send(cors.Apply(req, resp)) }
		switch {
		case req.Path() == "/events":
			if err := hub.Subscribe(c, req, "chat", "clock"); err != nil {
				reply(http.NewResponse(503, nil, err.Error()))
			}
		case req.Path() == "/messages" && req.Method() == "POST":
			msg := req.Post("message")
			if msg == "" || len(msg) > maxMessage {
				reply(http.NewResponse(400, map[string]string{"Content-Type": "text/plain"}, "message: 1 to 4096 bytes"))
				return
			}
			// PublishAsync: with -redis, a publish waits for Redis, which
			// an event loop must not. The answer goes when it is stored.
			err := hub.PublishAsync("chat", http.ServerSentEvents{Event: "chat", Data: msg}, func(id string, err error) {
				if err != nil {
					reply(publishFailed(err))
					return
				}
				reply(http.NewResponse(202, map[string]string{"Content-Type": "text/plain"}, id))
			})
			if err != nil {
				reply(publishFailed(err))
			}
		case req.Path() == "/":
			_ = c.Send(http.NewResponse(200, nil, page))
		default:
			_ = c.Send(http.NewResponse(404, map[string]string{"Content-Type": "text/plain"}, "not found"))
		}
	}
	return w, nil
}

// publishFailed answers a failed publish: 503 when the hub or its Redis
// cannot take it now, 400 when the message is at fault.
func publishFailed(err error) *http.Response {
	status := 400
	if errors.Is(err, ssehub.ErrClosed) || errors.Is(err, bus.ErrQueueFull) || errors.Is(err, bus.ErrTimeout) || errors.Is(err, bus.ErrClosed) {
		status = 503
	}
	return http.NewResponse(status, map[string]string{"Content-Type": "text/plain"}, err.Error())
}

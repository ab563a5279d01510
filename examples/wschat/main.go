// Command wschat is workerman's browser chat: a page at / and the
// WebSocket at /ws on the same port. Every message a browser sends is
// broadcast to everyone connected.
//
//	go run ./examples/wschat            # then open http://127.0.0.1:8080/ in two tabs
//	go run ./examples/wschat -addr 127.0.0.1:9000
//	go run ./examples/wschat -cert site.crt -key site.key   # https:// and wss://
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"log"
	"sync"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/examples/internal/serverflags"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

//go:embed index.html
var page string

// maxMessage bounds a chat message.
const maxMessage = 4 << 10

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address, host:port")
	tlsFiles := serverflags.RegisterTLS()
	flag.Parse()
	w, err := newWorker(*addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := tlsFiles.Apply(w); err != nil {
		log.Fatal(err)
	}
	w.OnWorkerStart = func(w *worker.Worker) {
		log.Printf("chat on %s://%s/", tlsFiles.Scheme("http"), w.Addr())
	}
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

// room is everyone connected. Callbacks of different event loops use it,
// hence the lock; Send is safe from any goroutine.
type room struct {
	mu    sync.Mutex
	conns map[*connection.TcpConnection]struct{}
}

func (r *room) join(c *connection.TcpConnection) {
	r.mu.Lock()
	r.conns[c] = struct{}{}
	r.mu.Unlock()
}

func (r *room) leave(c *connection.TcpConnection) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

func (r *room) broadcast(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.conns {
		_ = c.Send(msg)
	}
}

func newWorker(addr string) (*worker.Worker, error) {
	w, err := worker.New("http://" + addr)
	if err != nil {
		return nil, err
	}
	w.Name = "wschat"
	r := &room{conns: map[*connection.TcpConnection]struct{}{}}
	opts := &websocket.Options{
		MaxMessageSize: maxMessage,
		OnWebSocketConnected: func(c *connection.TcpConnection, req *http.Request) {
			r.join(c)
			r.broadcast(fmt.Sprintf("user %d joined", c.ID()))
		},
		OnMessage: func(c *connection.TcpConnection, m websocket.Message) {
			r.broadcast(fmt.Sprintf("user %d: %s", c.ID(), m.Text()))
		},
	}
	w.OnClose = func(c *connection.TcpConnection) { r.leave(c) }
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		switch req.Path() {
		case "/ws":
			_ = websocket.Upgrade(c, req, opts)
		case "/":
			_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/html; charset=utf-8"}, page))
		default:
			_ = c.Send(http.NewResponse(404, map[string]string{"Content-Type": "text/plain"}, "not found"))
		}
	}
	return w, nil
}

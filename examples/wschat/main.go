// Command wschat is workerman's browser chat: a page at / and the
// WebSocket at /ws on the same port. Every message a browser sends is
// broadcast to everyone connected.
//
//	go run ./examples/wschat            # then open http://127.0.0.1:8080/ in two tabs
//	go run ./examples/wschat -addr 127.0.0.1:9000
//	go run ./examples/wschat -cert site.crt -key site.key   # https:// and wss://
//	go run ./examples/wschat -addr 127.0.0.1:8081 -redis redis://127.0.0.1:6379
//
// The room is a group of package groups. With -redis, every process
// started with the same Redis is a node of one chat: a message sent to
// any node reaches the browsers of every node, each local browser with no
// Redis round trip, and the others through Redis.
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"log"
	"strconv"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/examples/internal/serverflags"
	"github.com/gnetworker/gnetworker/groups"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

//go:embed index.html
var page string

// maxMessage bounds a chat message.
const maxMessage = 4 << 10

// room is the group everyone joins.
const room = "room"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address, host:port")
	tlsFiles := serverflags.RegisterTLS()
	redisFlag := serverflags.RegisterRedis()
	flag.Parse()
	opts := groups.Options{}
	backend, err := redisFlag.Dial()
	if err != nil {
		log.Fatal(err)
	}
	if backend != nil {
		opts.Backend = backend
	}
	// With a backend, New waits for Redis to watch the room's stream:
	// start the nodes with Redis up.
	g, err := groups.New(opts)
	if err != nil {
		log.Fatal(err)
	}
	w, err := newWorker(*addr, g)
	if err != nil {
		log.Fatal(err)
	}
	if err := tlsFiles.Apply(w); err != nil {
		log.Fatal(err)
	}
	w.OnWorkerStart = func(w *worker.Worker) {
		log.Printf("chat on %s://%s/", tlsFiles.Scheme("http"), w.Addr())
	}
	err = worker.RunAll()
	_ = g.Close()
	if backend != nil {
		_ = backend.Close()
	}
	if err != nil {
		log.Fatal(err)
	}
}

// newWorker serves the page and the chat; g holds the room.
func newWorker(addr string, g *groups.Groups) (*worker.Worker, error) {
	w, err := worker.New("http://" + addr)
	if err != nil {
		return nil, err
	}
	w.Name = "wschat"
	// Users are named by connection id, which is unique in a process;
	// the port tells nodes apart.
	name := func(c *connection.TcpConnection) string {
		return strconv.Itoa(c.LocalPort()) + "/" + strconv.FormatUint(c.ID(), 10)
	}
	say := func(msg string) {
		if err := g.SendToGroup(room, msg); err != nil {
			log.Printf("chat: %v", err) // this node's members got it
		}
	}
	opts := &websocket.Options{
		MaxMessageSize: maxMessage,
		OnWebSocketConnected: func(c *connection.TcpConnection, req *http.Request) {
			_ = g.Join(c, room)
			say(fmt.Sprintf("user %s joined", name(c)))
		},
		OnMessage: func(c *connection.TcpConnection, m websocket.Message) {
			say(fmt.Sprintf("user %s: %s", name(c), m.Text()))
		},
	}
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

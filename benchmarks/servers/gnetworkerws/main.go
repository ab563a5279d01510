// Command gnetworkerws is this framework's WebSocket server for the ws-*
// scenarios: a ws:// worker with -count event loops. A binary message is
// echoed with c.Send; a text "publish" is broadcast the framework's way,
// framed once with websocket.Prepare and queued to every other upgraded
// connection with SendRaw (shared bytes, no copy per connection), and
// answered with the number of recipients (internal/common/ws.go).
package main

import (
	"flag"
	"log"
	"strconv"
	"sync"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

// room is every upgraded connection. Callbacks of different event loops
// use it, hence the lock.
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

// publish sends the event to everyone but from and returns how many.
func (r *room) publish(from *connection.TcpConnection) int {
	p, err := websocket.Prepare(common.EventData)
	if err != nil {
		log.Print(err)
		return 0
	}
	n := 0
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.conns {
		if c != from && c.SendRaw(p) == nil {
			n++
		}
	}
	return n
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	count := flag.Int("count", 1, "event loops")
	flag.Parse()
	common.RaiseNoFile()
	w, err := worker.New("ws://" + *addr)
	if err != nil {
		log.Fatal(err)
	}
	w.Count = *count
	r := &room{conns: map[*connection.TcpConnection]struct{}{}}
	srv := w.Protocol.(*websocket.Server)
	srv.OnWebSocketConnected = func(c *connection.TcpConnection, _ *http.Request) { r.join(c) }
	w.OnClose = func(c *connection.TcpConnection) { r.leave(c) }
	w.OnMessage = func(c *connection.TcpConnection, m websocket.Message) {
		if m.Opcode == websocket.OpText && string(m.Data) == common.WSPublish {
			_ = c.Send(strconv.Itoa(r.publish(c)))
			return
		}
		_ = c.Send(m) // binary back as binary
	}
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

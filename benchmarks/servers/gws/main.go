// Command gws is the lxzan/gws comparison server, as gws's quick start
// runs it: gws.NewServer on its own listener (no net/http), one goroutine
// per connection in ReadLoop, default options (no compression, no UTF-8
// check, no parallel message processing, 4 KiB read buffer from gws's
// pool). A binary message is echoed with WriteMessage; a broadcast goes
// through gws.NewBroadcaster, which frames the message once and queues it
// on every connection's asynchronous write queue. Routes:
// internal/common/ws.go (gws upgrades any path).
package main

import (
	"flag"
	"log"
	"strconv"
	"sync"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/lxzan/gws"
)

type handler struct {
	gws.BuiltinEventHandler
	mu    sync.Mutex
	conns map[*gws.Conn]struct{}
}

func (h *handler) OnOpen(c *gws.Conn) {
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
}

func (h *handler) OnClose(c *gws.Conn, _ error) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

func (h *handler) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	if m.Opcode == gws.OpcodeText && string(m.Bytes()) == common.WSPublish {
		_ = c.WriteString(strconv.Itoa(h.publish(c)))
		return
	}
	_ = c.WriteMessage(m.Opcode, m.Bytes())
}

// publish queues the event to everyone but from and returns how many.
func (h *handler) publish(from *gws.Conn) int {
	b := gws.NewBroadcaster(gws.OpcodeText, []byte(common.EventData))
	defer b.Close()
	n := 0
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c != from && b.Broadcast(c) == nil {
			n++
		}
	}
	return n
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	common.RaiseNoFile()
	h := &handler{conns: map[*gws.Conn]struct{}{}}
	log.Fatal(gws.NewServer(h, nil).Run(*addr))
}

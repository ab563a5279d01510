package main

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

// wsHub is the -ws server: nbio's websocket Upgrader on the same
// non-blocking engine, so an upgraded connection stays on its poller and
// holds no goroutine; messages are handled on the poller (ServerExecutor
// inline) and their payloads go back to nbio's allocator after OnMessage
// (ReleaseWebsocketPayload). A broadcast writes the message to each
// connection with WriteMessage (nbio has no prepared-message API), which
// nbio queues when a socket is full. Routes: internal/common/ws.go.
type wsHub struct {
	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
	up    *websocket.Upgrader
}

func newWSHub() *wsHub {
	h := &wsHub{conns: map[*websocket.Conn]struct{}{}, up: websocket.NewUpgrader()}
	h.up.OnOpen(func(c *websocket.Conn) {
		h.mu.Lock()
		h.conns[c] = struct{}{}
		h.mu.Unlock()
	})
	h.up.OnClose(func(c *websocket.Conn, _ error) {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
	})
	h.up.OnMessage(func(c *websocket.Conn, mt websocket.MessageType, data []byte) {
		if mt == websocket.TextMessage && string(data) == common.WSPublish {
			_ = c.WriteMessage(websocket.TextMessage, []byte(strconv.Itoa(h.publish(c))))
			return
		}
		_ = c.WriteMessage(mt, data)
	})
	return h
}

// publish writes the event to everyone but from and returns how many.
func (h *wsHub) publish(from *websocket.Conn) int {
	ev := []byte(common.EventData)
	n := 0
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c != from && c.WriteMessage(websocket.TextMessage, ev) == nil {
			n++
		}
	}
	return n
}

func (h *wsHub) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+common.WSPath, func(w http.ResponseWriter, r *http.Request) {
		_, _ = h.up.Upgrade(w, r, nil) // a failed Upgrade answered the request
	})
	return mux
}

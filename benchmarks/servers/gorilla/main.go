// Command gorilla is the gorilla/websocket comparison server, on net/http
// as its docs show: GET /ws upgrades, and the handler's goroutine (the one
// net/http gave the connection) then reads the connection for its
// lifetime. Written for speed as the package's docs advise: the read
// buffer is the HTTP server's own 4 KiB one, reused (ReadBufferSize 0),
// and writes take a buffer from a pool only while writing
// (WriteBufferPool, for many mostly idle connections); a message is
// echoed by streaming it from NextReader into NextWriter (io.Copy, no
// allocation per message, as the package's autobahn server does); a
// broadcast is framed once with NewPreparedMessage and written with
// WritePreparedMessage, each connection's writes under its own lock (one
// concurrent writer per connection). Routes: internal/common/ws.go.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	"strconv"
	"sync"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/gorilla/websocket"
)

// client is one connection with its writer's lock.
type client struct {
	mu   sync.Mutex
	conn *websocket.Conn
}

type hub struct {
	mu      sync.Mutex
	clients map[*client]struct{}
}

func (h *hub) join(c *client) {
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
}

func (h *hub) leave(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

// publish writes the event to everyone but from and returns how many.
func (h *hub) publish(from *client) int {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, []byte(common.EventData))
	if err != nil {
		log.Print(err)
		return 0
	}
	n := 0
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if c == from {
			continue
		}
		c.mu.Lock()
		err := c.conn.WritePreparedMessage(pm)
		c.mu.Unlock()
		if err == nil {
			n++
		}
	}
	return n
}

var upgrader = websocket.Upgrader{WriteBufferPool: &sync.Pool{}}

func (h *hub) serve(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered the request
	}
	c := &client{conn: conn}
	h.join(c)
	defer func() {
		h.leave(c)
		_ = conn.Close()
	}()
	for {
		mt, rd, err := conn.NextReader()
		if err != nil {
			return
		}
		if mt == websocket.TextMessage {
			b, err := io.ReadAll(rd)
			if err != nil {
				return
			}
			if string(b) == common.WSPublish {
				n := h.publish(c)
				c.mu.Lock()
				err = conn.WriteMessage(websocket.TextMessage, []byte(strconv.Itoa(n)))
				c.mu.Unlock()
				if err != nil {
					return
				}
			}
			continue
		}
		c.mu.Lock()
		err = echo(conn, mt, rd)
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func echo(conn *websocket.Conn, mt int, rd io.Reader) error {
	wr, err := conn.NextWriter(mt)
	if err != nil {
		return err
	}
	if _, err := io.Copy(wr, rd); err != nil {
		return err
	}
	return wr.Close()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	common.RaiseNoFile()
	h := &hub{clients: map[*client]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+common.WSPath, h.serve)
	log.Fatal(http.ListenAndServe(*addr, mux))
}

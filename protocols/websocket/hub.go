package websocket

import (
	"sync"

	"github.com/gnetworker/gnetworker/connection"
)

// Hub is a set of topics WebSocket connections subscribe to, after
// GatewayWorker's groups: Publish frames a message once and shares the
// bytes with every subscriber of the topic (Prepare and SendRaw). A
// connection leaves every topic when it closes. A Hub is safe for
// concurrent use.
type Hub struct {
	mu     sync.Mutex
	topics map[string]map[*connection.TcpConnection]struct{}
	member map[*connection.TcpConnection][]string
}

// NewHub returns an empty Hub.
func NewHub() *Hub {
	return &Hub{
		topics: map[string]map[*connection.TcpConnection]struct{}{},
		member: map[*connection.TcpConnection][]string{},
	}
}

// Subscribe adds c, an upgraded connection, to topics.
func (h *Hub) Subscribe(c *connection.TcpConnection, topics ...string) {
	h.mu.Lock()
	_, known := h.member[c]
	for _, t := range topics {
		subs := h.topics[t]
		if subs == nil {
			subs = map[*connection.TcpConnection]struct{}{}
			h.topics[t] = subs
		}
		if _, ok := subs[c]; !ok {
			subs[c] = struct{}{}
			h.member[c] = append(h.member[c], t)
		}
	}
	h.mu.Unlock()
	if !known {
		// Outside the lock: on a closed connection the hook runs at once.
		c.AtClose(h.Unsubscribe)
	}
}

// Unsubscribe removes c from every topic.
func (h *Hub) Unsubscribe(c *connection.TcpConnection) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range h.member[c] {
		if subs := h.topics[t]; subs != nil {
			delete(subs, c)
			if len(subs) == 0 {
				delete(h.topics, t)
			}
		}
	}
	delete(h.member, c)
}

// Publish sends msg (a string, []byte or Message; see Prepare) to every
// subscriber of topic and returns how many it was sent to. A subscriber
// whose send buffer is full, or that is closing, misses it.
func (h *Hub) Publish(topic string, msg any) (int, error) {
	p, err := Prepare(msg)
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for c := range h.topics[topic] {
		if c.SendRaw(p) == nil {
			n++
		}
	}
	return n, nil
}

// Subscribers is the number of connections subscribed to topic.
func (h *Hub) Subscribers(topic string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.topics[topic])
}

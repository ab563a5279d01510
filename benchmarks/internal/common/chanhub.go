package common

import (
	"strconv"
	"sync"
)

// ChanHub is the SSE fan-out of the goroutine-per-client baselines
// (net/http and fasthttp): each client's goroutine reads its own channel.
type ChanHub struct {
	mu      sync.Mutex
	clients map[chan []byte]struct{}
	seq     int
}

// NewChanHub returns an empty hub.
func NewChanHub() *ChanHub { return &ChanHub{clients: map[chan []byte]struct{}{}} }

// Subscribe adds a client and returns its channel.
func (h *ChanHub) Subscribe() chan []byte {
	ch := make(chan []byte, 16)
	h.mu.Lock()
	h.clients[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

// Unsubscribe removes a client.
func (h *ChanHub) Unsubscribe(ch chan []byte) {
	h.mu.Lock()
	delete(h.clients, ch)
	h.mu.Unlock()
}

// Publish sends one event to every client and returns how many there are.
// A slow client misses the event rather than stall the rest.
func (h *ChanHub) Publish() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	ev := []byte("id: " + strconv.Itoa(h.seq) + "\ndata: " + EventData + "\n\n")
	for ch := range h.clients {
		select {
		case ch <- ev:
		default:
		}
	}
	return len(h.clients)
}

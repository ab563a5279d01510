package ssehub

import "github.com/gnetworker/gnetworker/protocols/http"

// Held reports what the hub holds: subscribers, subscribers with more than
// one topic, and topics (with subscribers or with events kept for replay).
func Held(h *Hub) (subs, more, topics int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs), len(h.more), len(h.topics)
}

// HeaderFor is the event-stream response h sends req.
func HeaderFor(h *Hub, req *http.Request) *http.Response { return h.headerFor(req) }

// CORSHeads is how many event-stream responses h keeps per origin.
func CORSHeads(h *Hub) int {
	if h.cors == nil {
		return 0
	}
	h.cors.mu.Lock()
	defer h.cors.mu.Unlock()
	return len(h.cors.byACA)
}

// MaxCORSHeads is maxCORSHeads.
const MaxCORSHeads = maxCORSHeads

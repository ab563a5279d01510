package ssehub

// Held reports what the hub holds: subscribers, subscribers with more than
// one topic, and topics (with subscribers or with events kept for replay).
func Held(h *Hub) (subs, more, topics int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs), len(h.more), len(h.topics)
}

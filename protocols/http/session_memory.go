package http

import (
	"context"
	"sync"
	"time"

	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/timer"
)

// DefaultMemorySessions bounds the sessions a MemorySessionHandler holds.
const DefaultMemorySessions = 100_000

// MemorySessionHandler keeps sessions in this process's memory, the
// default handler: fast, but lost on restart and not shared between
// processes (use sessionfile or sessionredis for that). Each session
// expires on the framework's timing wheel, lifetime after its last
// write: one timer per session, rearmed lazily when it fires early.
//
// Its methods never block on I/O (NonBlockingSessionHandler), so the
// SessionManager calls them on the event loops. They are safe for
// concurrent use.
type MemorySessionHandler struct {
	max int

	mu       sync.Mutex
	closed   bool
	sessions map[string]*memSession
}

type memSession struct {
	data    map[string][]byte
	expires time.Time
	timer   timer.ID // the one timer that expires it
}

// NewMemorySessionHandler returns a handler for at most max sessions
// (DefaultMemorySessions when max <= 0); a new session beyond them is not
// saved (Write fails with ErrSessionStoreFull).
func NewMemorySessionHandler(max int) *MemorySessionHandler {
	if max <= 0 {
		max = DefaultMemorySessions
	}
	return &MemorySessionHandler{max: max, sessions: make(map[string]*memSession)}
}

// NonBlocking marks the handler as one that does no I/O.
func (h *MemorySessionHandler) NonBlocking() {}

// Read returns a copy of session id's values (the byte slices are shared:
// nothing modifies them).
func (h *MemorySessionHandler) Read(_ context.Context, id string, _ time.Duration) (map[string][]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrSessionManagerClosed
	}
	s := h.sessions[id]
	if s == nil || !time.Now().Before(s.expires) {
		return nil, nil
	}
	out := make(map[string][]byte, len(s.data))
	for k, v := range s.data {
		out[k] = v
	}
	return out, nil
}

// Write applies ch to session id and makes it expire lifetime from now;
// a session left empty is removed.
func (h *MemorySessionHandler) Write(_ context.Context, id string, ch SessionChanges, lifetime time.Duration) error {
	h.mu.Lock()
	stale, err := h.writeLocked(id, ch, lifetime)
	h.mu.Unlock()
	if stale != 0 {
		systimer.Del(stale)
	}
	return err
}

// writeLocked is Write under h.mu; it returns the timer of a session it
// removed, for the caller to delete once h.mu is released.
func (h *MemorySessionHandler) writeLocked(id string, ch SessionChanges, lifetime time.Duration) (timer.ID, error) {
	if h.closed {
		return 0, ErrSessionManagerClosed
	}
	s := h.sessions[id]
	now := time.Now()
	if s != nil && !now.Before(s.expires) {
		s.data = nil // expired, its timer not run yet
	}
	if s == nil {
		if len(h.sessions) >= h.max {
			return 0, ErrSessionStoreFull
		}
		s = &memSession{}
		h.sessions[id] = s
	}
	s.data = ch.Apply(s.data)
	if len(s.data) == 0 {
		return h.removeLocked(id, s), nil
	}
	s.expires = now.Add(lifetime)
	if s.timer == 0 {
		h.armLocked(id, s, lifetime)
	}
	return 0, nil
}

// armLocked starts the timer that expires s.
func (h *MemorySessionHandler) armLocked(id string, s *memSession, d time.Duration) {
	tid, err := systimer.Once(d, func(tid timer.ID) { h.expire(id, tid) })
	if err == nil {
		s.timer = tid
	}
}

// expire runs on the framework's wheel: it removes session id if it is
// due, or rearms its timer for when it will be.
func (h *MemorySessionHandler) expire(id string, tid timer.ID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sessions[id]
	if h.closed || s == nil || s.timer != tid {
		return
	}
	s.timer = 0
	if left := time.Until(s.expires); left > 0 {
		h.armLocked(id, s, left)
		return
	}
	delete(h.sessions, id)
}

// removeLocked removes session id and returns its timer, which the caller
// deletes once h.mu is released: Del waits for a running callback, which
// takes h.mu.
func (h *MemorySessionHandler) removeLocked(id string, s *memSession) timer.ID {
	delete(h.sessions, id)
	t := s.timer
	s.timer = 0
	return t
}

// Destroy removes session id.
func (h *MemorySessionHandler) Destroy(_ context.Context, id string) error {
	h.mu.Lock()
	var stale timer.ID
	if s := h.sessions[id]; s != nil {
		stale = h.removeLocked(id, s)
	}
	h.mu.Unlock()
	if stale != 0 {
		systimer.Del(stale)
	}
	return nil
}

// GC does nothing: sessions expire on their timers.
func (h *MemorySessionHandler) GC(context.Context, time.Duration) error { return nil }

// Len returns the number of sessions held.
func (h *MemorySessionHandler) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions)
}

// Close drops every session and deletes their timers; later calls fail
// with ErrSessionManagerClosed.
func (h *MemorySessionHandler) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	ids := make([]timer.ID, 0, len(h.sessions))
	for _, s := range h.sessions {
		if s.timer != 0 {
			ids = append(ids, s.timer)
		}
	}
	h.sessions = nil
	h.mu.Unlock()
	for _, tid := range ids {
		systimer.Del(tid)
	}
	return nil
}

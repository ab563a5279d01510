package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"slices"
	"strings"
	"sync/atomic"
)

// requestSession is what a Request knows of its session.
type requestSession struct {
	mgr *SessionManager
	s   atomic.Pointer[Session] // loaded; set by the goroutine that loaded it
	// epoch counts the requests decoded into the Request, so that a
	// LoadSession finishing late (its request answered without waiting
	// for it) cannot give its session to the next request.
	epoch atomic.Uint64
}

func (rs *requestSession) reset() {
	rs.mgr = nil
	rs.s.Store(nil)
	rs.epoch.Add(1)
}

// sessionSlot returns r's session state, nil when sessions are off.
func (r *Request) sessionSlot() *requestSession {
	if r.ext == nil || r.ext.session.mgr == nil {
		return nil
	}
	return &r.ext.session
}

// Session returns the request's session (workerman's $request->session()),
// loading it on the first call from the store, under the id in the
// request's cookie; without a valid one, a new session with a new id,
// whose cookie the response will carry. Later calls return the same
// Session. It fails with ErrSessionsDisabled when the Protocol has no
// Sessions, or with the store's error (then a later call tries again).
//
// What blocks: with the in-memory handler, nothing. With a handler that
// does I/O (files, Redis), a request with a cookie waits for the read:
// called from OnMessage, that blocks the event loop and every connection
// on it. Redis honours SessionConfig.LoadTimeout (a network round trip,
// or the timeout when Redis is down); a file read takes no context, so
// it takes what the disk takes (microseconds from the page cache, but
// without bound on a hung network file system). Use LoadSession there
// instead. Saves never block: see SessionManager.
func (r *Request) Session() (*Session, error) {
	rs := r.sessionSlot()
	if rs == nil {
		return nil, ErrSessionsDisabled
	}
	if s := rs.s.Load(); s != nil {
		return s, nil
	}
	m := rs.mgr
	var s *Session
	if id := r.Cookie(m.cfg.Name); ValidSessionID(id) {
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.LoadTimeout)
		var err error
		s, err = m.load(ctx, strings.Clone(id))
		cancel()
		if err != nil {
			return nil, err
		}
	} else {
		s = m.newSession()
	}
	s.conn = r.conn
	rs.s.Store(s)
	return s, nil
}

// LoadSession loads the request's session without blocking the event
// loop, then calls fn with it on the connection's event loop, as
// OnMessage is called (answer the request from fn). When the session is
// loaded already, is new, or the handler does no I/O, fn is called
// before LoadSession returns. fn receives the errors Session returns,
// ErrSessionBusy when the store's queue is full, or
// ErrSessionManagerClosed. fn runs even if the connection closed
// meanwhile (its Send fails, and its changes are not saved: the
// session's request ended with the connection); if the worker has
// stopped, it runs on a goroutine of its own. Do not call Session while
// a LoadSession is in flight.
func (r *Request) LoadSession(fn func(s *Session, err error)) {
	rs := r.sessionSlot()
	if rs == nil {
		fn(nil, ErrSessionsDisabled)
		return
	}
	m := rs.mgr
	id := r.Cookie(m.cfg.Name)
	if rs.s.Load() != nil || m.nonBlocking || !ValidSessionID(id) {
		fn(r.Session())
		return
	}
	id = strings.Clone(id)
	conn := r.conn
	epoch := rs.epoch.Load()
	m.mu.Lock()
	err := m.enqueueLocked(m.loads, func() {
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.IOTimeout)
		s, err := m.load(ctx, id)
		cancel()
		if err == nil {
			s.conn = conn
		}
		if err == nil && rs.epoch.Load() == epoch {
			rs.s.CompareAndSwap(nil, s)
		}
		deliver := func() { fn(s, err) }
		if ex, ok := conn.(interface{ Execute(func()) error }); ok && ex.Execute(deliver) == nil {
			return
		}
		go deliver()
	})
	m.mu.Unlock()
	if err != nil {
		fn(nil, err)
	}
}

// enableSessions attaches the Protocol's session manager to a request
// being dispatched.
func (r *Request) enableSessions(m *SessionManager) {
	if m == nil {
		if r.ext != nil {
			r.ext.session.reset()
		}
		return
	}
	e := r.extension()
	e.session.s.Store(nil)
	e.session.epoch.Add(1)
	e.session.mgr = m
}

// endSession saves the session of the request being answered, if it
// has one, once its final response is encoded (workerman saves in
// Session's destructor, at the end of the request) or its connection
// closed first (dst nil). The cookie of a new or regenerated session is
// inserted into the response, dst[start:], after its status line: one
// move of the response's bytes, once per session, rather than a field in
// every connection's codec.
func (c *codec) endSession(dst []byte, start int) []byte {
	if c.req == nil {
		return dst
	}
	rs := c.req.sessionSlot()
	if rs == nil {
		return dst
	}
	s := rs.s.Load()
	if s == nil {
		return dst
	}
	secure := false
	if t, ok := c.conn.(interface{ TLS() *tls.ConnectionState }); ok {
		secure = t.TLS() != nil
	}
	line := s.save(secure)
	if line == "" || dst == nil {
		return dst
	}
	i := bytes.Index(dst[start:], crlf)
	if i < 0 {
		return dst
	}
	return slices.Insert(dst, start+i+2, []byte(line)...)
}

var crlf = []byte("\r\n")

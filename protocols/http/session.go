package http

// Sessions, after workerman's Http\Session: Request.Session returns the
// session of a request, loaded from the store named by its cookie on the
// first call; the codec adds the Set-Cookie of a new (or regenerated)
// session to the response to that request, and saves what the request
// changed once that response is encoded.
//
// Design, with the reasons:
//
//   - A save writes the changes of its request, not the whole session:
//     the keys set, the keys deleted and whether it was flushed
//     (SessionChanges). Each handler applies them atomically on top of
//     what is stored now (a mutex, flock, a Redis MULTI), so two requests
//     of one session in flight at once (a page and its XHRs, two tabs,
//     two workers) each keep the keys they set. For one key, the last save
//     wins; a Flush removes the keys saved before it. PHP's whole-session
//     write loses one request's keys silently; its locking alternative
//     serializes requests.
//   - Handlers that do I/O (files, Redis) never run on an event loop for a
//     save: saves wait in bounded queues for a few goroutines, each id
//     always on the same one, so the saves of one session are applied in
//     the order their responses were encoded. The in-memory handler is
//     called directly (a map under a mutex).
//   - A load must see this process's own saves still queued (a client's
//     next request may follow its response by microseconds): a load reads
//     the store, then applies the changes still queued for that id on top.
//   - Values are encoded one by one with encoding/gob, as interface values,
//     when they are set: the same Go types come back (int stays int,
//     []string stays []string), a value that cannot be encoded is refused
//     at Set with an error, and the session's size is known at all times
//     (SessionConfig.MaxSize bounds it).

import (
	"context"
	"crypto/rand"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of SessionConfig.
const (
	// DefaultSessionName is the cookie's name, workerman's Session::$name.
	DefaultSessionName = "PHPSID"
	// DefaultSessionLifetime is how long a session lives after its last
	// save, and the cookie's Max-Age: workerman's (and PHP's) 1440 s.
	DefaultSessionLifetime = 1440 * time.Second
	// DefaultSessionMaxSize bounds a session's encoded values, in bytes.
	DefaultSessionMaxSize = 64 << 10
	// DefaultSessionLoadTimeout bounds a load made by Request.Session.
	DefaultSessionLoadTimeout = time.Second
	// DefaultSessionIOTimeout bounds each save, destroy, gc and
	// LoadSession load.
	DefaultSessionIOTimeout = 5 * time.Second
	// DefaultSessionGCInterval is how often expired sessions are removed
	// from stores that do not expire them themselves (files).
	DefaultSessionGCInterval = 5 * time.Minute
	// DefaultSessionWorkers is the number of goroutines that run a
	// blocking handler's saves and LoadSession loads.
	DefaultSessionWorkers = 4
	// DefaultSessionQueueSize bounds the saves and loads waiting for each
	// of those goroutines.
	DefaultSessionQueueSize = 1024
)

// Session errors.
var (
	// ErrSessionsDisabled: the request's Protocol has no Sessions.
	ErrSessionsDisabled = errors.New("http: sessions are not enabled (set Protocol.Sessions)")
	// ErrSessionSaved: the session was saved with its response; later
	// changes would be lost, so they are refused.
	ErrSessionSaved = errors.New("http: session already saved with its response")
	// ErrSessionTooLarge: the change would make the session's encoded
	// values larger than SessionConfig.MaxSize.
	ErrSessionTooLarge = errors.New("http: session over its maximum size")
	// ErrSessionValue: a value that encoding/gob cannot encode (a func, a
	// channel, a type not registered with gob.Register).
	ErrSessionValue = errors.New("http: session value cannot be encoded")
	// ErrSessionBusy: the queue of the session's I/O goroutine is full;
	// the store is slower than the requests.
	ErrSessionBusy = errors.New("http: session store busy (queue full)")
	// ErrSessionManagerClosed: the SessionManager was closed.
	ErrSessionManagerClosed = errors.New("http: session manager closed")
	// ErrSessionStoreFull: the in-memory handler holds its maximum number
	// of sessions.
	ErrSessionStoreFull = errors.New("http: session store full")
)

func init() {
	// The composite types a ported PHP application stores most (its
	// arrays), beyond gob's predeclared basic types and their slices.
	gob.Register([]any(nil))
	gob.Register(map[string]any(nil))
	gob.Register(map[string]string(nil))
	gob.Register(map[string]int(nil))
	gob.Register(map[string][]string(nil))
	gob.Register(time.Time{})
}

// SessionChanges are what one request changed in its session: what a
// SessionHandler writes. Values are encoded (see Session); a handler
// stores them as opaque bytes.
type SessionChanges struct {
	// Clear: the session was flushed; remove every stored key before
	// applying Set and Delete.
	Clear bool
	// Set are the keys set, with their encoded values.
	Set map[string][]byte
	// Delete are the keys deleted.
	Delete []string
}

// Empty reports whether ch changes nothing.
func (ch SessionChanges) Empty() bool {
	return !ch.Clear && len(ch.Set) == 0 && len(ch.Delete) == 0
}

// Apply applies ch to data, a session's stored values, and returns the
// result: data itself, modified (a new map when data is nil). The byte
// slices of ch are kept, not copied. Handlers call it under their lock.
func (ch SessionChanges) Apply(data map[string][]byte) map[string][]byte {
	if data == nil {
		data = make(map[string][]byte, len(ch.Set))
	}
	if ch.Clear {
		clear(data)
	}
	for _, k := range ch.Delete {
		delete(data, k)
	}
	for k, v := range ch.Set {
		data[k] = v
	}
	return data
}

// SessionHandler stores sessions, as workerman's SessionHandlerInterface
// (read, write, destroy, gc). Ids are validated before they reach a
// handler: 64 lowercase hex digits. Methods are called from many
// goroutines at once and must be safe for that; a handler shared by
// several processes (files, Redis) must make Write atomic across them.
type SessionHandler interface {
	// Read returns the stored values of session id (nil, nil when there
	// is none or it expired, lifetime after its last write). The map is
	// the caller's.
	Read(ctx context.Context, id string, lifetime time.Duration) (map[string][]byte, error)
	// Write applies ch to the stored values of id atomically (see
	// SessionChanges.Apply): a concurrent Write of the same id, from this
	// process or another, must not be lost. The session then expires
	// lifetime from now; one left without values may be removed.
	Write(ctx context.Context, id string, ch SessionChanges, lifetime time.Duration) error
	// Destroy removes session id.
	Destroy(ctx context.Context, id string) error
	// GC removes the sessions whose last write is older than lifetime
	// (a store that expires them itself does nothing).
	GC(ctx context.Context, lifetime time.Duration) error
}

// NonBlockingSessionHandler is implemented by handlers whose methods never
// wait for I/O, such as MemorySessionHandler: the SessionManager calls
// them directly, on the event loop, instead of from its I/O goroutines.
type NonBlockingSessionHandler interface {
	SessionHandler
	// NonBlocking is a marker; it is never called.
	NonBlocking()
}

// SessionConfig configures a SessionManager. The zero value gives
// workerman's defaults with an in-memory store.
type SessionConfig struct {
	// Handler stores the sessions; nil: a MemorySessionHandler owned (and
	// closed) by the manager. A handler passed here is the caller's to
	// close, after the manager.
	Handler SessionHandler
	// Name is the cookie's name (DefaultSessionName when ""); it must be
	// an RFC 9110 token.
	Name string
	// Lifetime is how long a session lives after its last save
	// (DefaultSessionLifetime when 0).
	Lifetime time.Duration
	// CookieLifetime is the cookie's Max-Age, rounded up to seconds:
	// Lifetime when 0; negative: none, a cookie the browser drops when it
	// quits.
	CookieLifetime time.Duration
	// Path is the cookie's Path ("/" when ""); Domain its Domain (none
	// when "").
	Path, Domain string
	// Secure marks the cookie Secure on every connection; without it,
	// only on TLS connections (set it behind a proxy that terminates TLS).
	Secure bool
	// NoHTTPOnly leaves out HttpOnly, letting scripts read the cookie.
	NoHTTPOnly bool
	// SameSite is "Lax" (when ""), "Strict" or "None" (which requires
	// Secure: browsers refuse SameSite=None without it).
	SameSite string
	// Touch renews the lifetime of a session its request loaded but did
	// not change (a save of no changes: a PEXPIRE, a file rewritten),
	// workerman's Session::$autoUpdateTimestamp. Without it, as in
	// workerman by default, a session lives Lifetime after its last
	// change, however often it is read.
	Touch bool
	// MaxSize bounds the encoded values of one session, in bytes
	// (DefaultSessionMaxSize when 0).
	MaxSize int
	// LoadTimeout bounds a load made by Request.Session
	// (DefaultSessionLoadTimeout when 0).
	LoadTimeout time.Duration
	// IOTimeout bounds each save, destroy, gc and LoadSession load
	// (DefaultSessionIOTimeout when 0).
	IOTimeout time.Duration
	// GCInterval is how often Handler.GC runs (DefaultSessionGCInterval
	// when 0; negative: never).
	GCInterval time.Duration
	// Workers and QueueSize size the I/O goroutines of a blocking handler
	// and their queues (DefaultSessionWorkers, DefaultSessionQueueSize).
	Workers, QueueSize int
	// Logger receives failed saves (slog.Default() when nil). Session ids
	// are secrets: only their first 8 digits are logged.
	Logger *slog.Logger
}

// SessionManager runs the sessions of one or more http workers: set it
// as their Protocol.Sessions before they start, and Close it after they
// stop. It owns goroutines (for a blocking handler's I/O and for gc); its
// methods are safe for concurrent use.
//
// What blocks and what does not:
//
//   - Saves never wait for I/O. The in-memory handler is called
//     directly, under a mutex, by the goroutine that sends the response
//     (the event loop, from OnMessage). Other handlers are called by
//     Workers goroutines: each session's saves queue on the same one, so
//     they are written in the order their responses were encoded; a full
//     queue drops the save, logs it and counts it (Dropped).
//   - Request.Session loads on the calling goroutine: instant in memory,
//     a blocking read for files and Redis (see Session).
//   - Request.LoadSession loads on goroutines of its own, never behind
//     the saves, and calls back on the connection's event loop.
//   - Loads see the saves of this process still queued, so a client's
//     next request reads what its last one wrote, on any worker sharing
//     this manager. Another process sees them once they are written.
//   - GC runs on a goroutine of its own every GCInterval.
type SessionManager struct {
	cfg         SessionConfig
	h           SessionHandler
	ownsHandler bool
	nonBlocking bool
	log         *slog.Logger
	cookieAttrs string // "; Max-Age=..; Path=..; HttpOnly; SameSite=..", without Secure

	mu      sync.Mutex
	closed  bool
	pending map[string][]SessionChanges // saves queued, not yet written; nil Set+Clear is a destroy
	queues  []chan func()               // saves, each id always on the same one
	loads   chan func()                 // LoadSession's reads, on goroutines of their own
	wg      sync.WaitGroup
	stopGC  chan struct{}

	dropped atomic.Int64 // saves lost to a full queue or a closed manager
}

// NewSessionManager checks cfg, fills in its defaults and starts the
// manager's goroutines: one for gc unless GCInterval is negative, and
// Workers for a handler that is not a NonBlockingSessionHandler.
func NewSessionManager(cfg SessionConfig) (*SessionManager, error) {
	if cfg.Name == "" {
		cfg.Name = DefaultSessionName
	}
	if !isTokenString(cfg.Name) {
		return nil, fmt.Errorf("%w: session cookie name %q", ErrInvalidCookie, cfg.Name)
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = DefaultSessionLifetime
	}
	if cfg.Lifetime < 0 {
		return nil, fmt.Errorf("http: negative session Lifetime %v", cfg.Lifetime)
	}
	if cfg.CookieLifetime == 0 {
		cfg.CookieLifetime = cfg.Lifetime
	}
	if cfg.Path == "" {
		cfg.Path = "/"
	}
	if !validCookieAttr(cfg.Path) || !validCookieAttr(cfg.Domain) {
		return nil, fmt.Errorf("%w: session cookie path %q or domain %q", ErrInvalidCookie, cfg.Path, cfg.Domain)
	}
	switch {
	case cfg.SameSite == "", strings.EqualFold(cfg.SameSite, "Lax"):
		cfg.SameSite = "Lax"
	case strings.EqualFold(cfg.SameSite, "Strict"):
		cfg.SameSite = "Strict"
	case strings.EqualFold(cfg.SameSite, "None"):
		if !cfg.Secure {
			return nil, fmt.Errorf("%w: SameSite=None needs Secure", ErrInvalidCookie)
		}
		cfg.SameSite = "None"
	default:
		return nil, fmt.Errorf("%w: SameSite %q", ErrInvalidCookie, cfg.SameSite)
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultSessionMaxSize
	}
	if cfg.LoadTimeout <= 0 {
		cfg.LoadTimeout = DefaultSessionLoadTimeout
	}
	if cfg.IOTimeout <= 0 {
		cfg.IOTimeout = DefaultSessionIOTimeout
	}
	if cfg.GCInterval == 0 {
		cfg.GCInterval = DefaultSessionGCInterval
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultSessionWorkers
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultSessionQueueSize
	}
	m := &SessionManager{cfg: cfg, h: cfg.Handler, log: cfg.Logger, pending: make(map[string][]SessionChanges)}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.h == nil {
		m.h = NewMemorySessionHandler(0)
		m.ownsHandler = true
	}
	_, m.nonBlocking = m.h.(NonBlockingSessionHandler)

	var b strings.Builder
	if cfg.Domain != "" {
		b.WriteString("; Domain=" + cfg.Domain)
	}
	if cfg.CookieLifetime > 0 {
		secs := int64((cfg.CookieLifetime + time.Second - 1) / time.Second)
		b.WriteString("; Max-Age=" + strconv.FormatInt(secs, 10))
	}
	b.WriteString("; Path=" + cfg.Path)
	if !cfg.NoHTTPOnly {
		b.WriteString("; HttpOnly")
	}
	b.WriteString("; SameSite=" + cfg.SameSite)
	m.cookieAttrs = b.String()

	if !m.nonBlocking {
		// Loads have goroutines of their own: a load must not wait
		// behind a slow save (it sees the saves still queued anyway).
		m.queues = make([]chan func(), cfg.Workers)
		m.loads = make(chan func(), cfg.QueueSize)
		for i := range m.queues {
			m.queues[i] = make(chan func(), cfg.QueueSize)
			m.wg.Add(2)
			go m.serve(m.queues[i])
			go m.serve(m.loads)
		}
	}
	if cfg.GCInterval > 0 {
		m.stopGC = make(chan struct{})
		m.wg.Add(1)
		go m.runGC(m.stopGC)
	}
	return m, nil
}

// Name returns the session cookie's name.
func (m *SessionManager) Name() string { return m.cfg.Name }

// Close stops the manager: saves already queued are written (each within
// IOTimeout), then its goroutines end and, when the manager made it, its
// MemorySessionHandler is closed. Saves after Close are dropped and
// logged, loads fail with ErrSessionManagerClosed. Close the manager
// after the workers that use it have stopped; a second Close does
// nothing.
func (m *SessionManager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	for _, q := range m.queues {
		close(q)
	}
	if m.loads != nil {
		close(m.loads)
	}
	if m.stopGC != nil {
		close(m.stopGC)
	}
	m.mu.Unlock()
	m.wg.Wait()
	if c, ok := m.h.(interface{ Close() error }); ok && m.ownsHandler {
		return c.Close()
	}
	return nil
}

// Dropped returns the number of saves lost so far: a queue was full
// (ErrSessionBusy), the manager closed, or the store failed (or took over
// IOTimeout). Each was also logged.
func (m *SessionManager) Dropped() int64 { return m.dropped.Load() }

// serve runs the jobs of q until it is closed.
func (m *SessionManager) serve(q chan func()) {
	defer m.wg.Done()
	for job := range q {
		job()
	}
}

func (m *SessionManager) runGC(stop chan struct{}) {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), m.cfg.IOTimeout)
			if err := m.h.GC(ctx, m.cfg.Lifetime); err != nil {
				m.log.Error("http: session gc failed", "err", err)
			}
			cancel()
		}
	}
}

// queueOf returns the queue that serves id: always the same one.
func (m *SessionManager) queueOf(id string) chan func() {
	var h uint32 = 2166136261
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return m.queues[h%uint32(len(m.queues))]
}

// enqueueLocked queues job on q without waiting; it fails when the queue
// is full or the manager closed. Called with m.mu held.
func (m *SessionManager) enqueueLocked(q chan func(), job func()) error {
	if m.closed {
		return ErrSessionManagerClosed
	}
	select {
	case q <- job:
		return nil
	default:
		return ErrSessionBusy
	}
}

// save writes ch to id (destroy: removes id), directly for a non-blocking
// handler, otherwise from id's I/O goroutine, after its earlier saves. It
// never waits for I/O. done, when not nil, is called with the outcome:
// on the calling goroutine for a non-blocking handler or a save not
// queued, otherwise on the I/O goroutine.
func (m *SessionManager) save(id string, ch SessionChanges, destroy bool, done func(error)) {
	if done == nil {
		done = func(error) {}
	}
	if m.nonBlocking {
		err := m.write(id, ch, destroy)
		if err != nil {
			m.dropped.Add(1)
			m.log.Error("http: session not saved", "id", shortID(id), "err", err)
		}
		done(err)
		return
	}
	m.mu.Lock()
	pend := ch
	if destroy {
		pend = SessionChanges{Clear: true}
	}
	err := m.enqueueLocked(m.queueOf(id), func() {
		err := m.write(id, ch, destroy)
		if err != nil {
			m.dropped.Add(1)
			m.log.Error("http: session not saved", "id", shortID(id), "err", err)
		}
		m.mu.Lock()
		if p := m.pending[id]; len(p) <= 1 {
			delete(m.pending, id)
		} else {
			p[0] = SessionChanges{}
			m.pending[id] = p[1:]
		}
		m.mu.Unlock()
		done(err)
	})
	if err == nil {
		m.pending[id] = append(m.pending[id], pend)
	}
	m.mu.Unlock()
	if err != nil {
		m.dropped.Add(1)
		m.log.Error("http: session not saved", "id", shortID(id), "err", err)
		done(err)
	}
}

func (m *SessionManager) write(id string, ch SessionChanges, destroy bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.IOTimeout)
	defer cancel()
	if destroy {
		return m.h.Destroy(ctx, id)
	}
	return m.h.Write(ctx, id, ch, m.cfg.Lifetime)
}

// load reads session id and applies this process's saves of it still
// queued on top. The queued saves are taken before the read: one that is
// written meanwhile is then applied twice, which changes nothing.
func (m *SessionManager) load(ctx context.Context, id string) (*Session, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrSessionManagerClosed
	}
	queued := append([]SessionChanges(nil), m.pending[id]...)
	m.mu.Unlock()
	raw, err := m.h.Read(ctx, id, m.cfg.Lifetime)
	if err != nil {
		return nil, fmt.Errorf("http: loading session %s: %w", shortID(id), err)
	}
	for _, ch := range queued {
		raw = ch.Apply(raw)
	}
	s := &Session{mgr: m, id: id, raw: raw, data: make(map[string]any, len(raw))}
	if s.raw == nil {
		s.raw = make(map[string][]byte)
	}
	for k, b := range s.raw {
		v, err := decodeSessionValue(b)
		if err != nil {
			// Stored by a build that registered a type this one does
			// not: left out, and left alone in the store.
			m.log.Error("http: session value not decoded", "id", shortID(id), "key", k, "err", err)
			delete(s.raw, k)
			continue
		}
		s.size += len(k) + len(b)
		s.data[k] = v
	}
	return s, nil
}

// newSession makes a new, empty session with a fresh id.
func (m *SessionManager) newSession() *Session {
	return &Session{mgr: m, id: NewSessionID(), isNew: true, data: map[string]any{}, raw: map[string][]byte{}}
}

// cookieLine returns the Set-Cookie header line for session id.
func (m *SessionManager) cookieLine(id string, secure bool) string {
	line := "Set-Cookie: " + m.cfg.Name + "=" + id + m.cookieAttrs
	if secure || m.cfg.Secure {
		line += "; Secure"
	}
	return line + "\r\n"
}

// sessionIDBytes is the random part of a session id: 256 bits.
const sessionIDBytes = 32

// NewSessionID returns a new session id: 32 bytes from crypto/rand as 64
// lowercase hex digits.
func NewSessionID() string {
	var b [sessionIDBytes]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b[:])
}

// ValidSessionID reports whether id has the form NewSessionID returns:
// exactly 64 lowercase hex digits. Anything else from a cookie is
// treated as no session (it never reaches a handler: it could name a
// path or a key).
func ValidSessionID(id string) bool {
	if len(id) != 2*sessionIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// shortID is what logs show of a session id.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}

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
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
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
	// CookieLifetime is the cookie's Max-Age, rounded down to seconds:
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
	if secs := int64(cfg.CookieLifetime / time.Second); cfg.CookieLifetime > 0 && secs > 0 {
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

// Dropped returns the number of saves lost so far, because a queue was
// full (ErrSessionBusy) or the manager closed; each was also logged.
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
// never waits for I/O.
func (m *SessionManager) save(id string, ch SessionChanges, destroy bool) {
	if m.nonBlocking {
		if err := m.write(id, ch, destroy); err != nil {
			m.dropped.Add(1)
			m.log.Error("http: session not saved", "id", shortID(id), "err", err)
		}
		return
	}
	m.mu.Lock()
	pend := ch
	if destroy {
		pend = SessionChanges{Clear: true}
	}
	err := m.enqueueLocked(m.queueOf(id), func() {
		if err := m.write(id, ch, destroy); err != nil {
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
	})
	if err == nil {
		m.pending[id] = append(m.pending[id], pend)
	}
	m.mu.Unlock()
	if err != nil {
		m.dropped.Add(1)
		m.log.Error("http: session not saved", "id", shortID(id), "err", err)
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

// Session is the session of a request (Request.Session), workerman's
// Http\Session: a map from names to values, loaded from the store when
// the request asked for it and saved, with the changes made through its
// methods, once the response to that request is encoded.
//
// Values may be of any type encoding/gob can encode as an interface
// value; they come back as the same Go types. gob's predeclared types
// (bool, ints, uints, floats, complex, string and slices of these,
// []byte) and []any, map[string]any, map[string]string, map[string]int,
// map[string][]string and time.Time are registered; register your own
// with gob.Register. An empty []any comes back nil. A value changed in
// place (a map or slice from Get) is saved only when Set again.
//
// A Session is safe for concurrent use. After its response has been
// encoded it is read-only: changes return ErrSessionSaved.
type Session struct {
	mgr *SessionManager

	mu          sync.Mutex
	id          string
	oldID       string // stored under this id before RegenerateID: destroyed at save
	isNew       bool   // its cookie must be sent
	regenerated bool
	saved       bool
	data        map[string]any
	raw         map[string][]byte // the encoding of every value in data
	size        int               // of raw's keys and values
	cleared     bool
	set         map[string]struct{}
	deleted     map[string]struct{}
}

// ID returns the session's id, the value of its cookie.
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// IsNew reports whether the session was created by this request (no
// valid cookie came with it), so its cookie goes with the response.
func (s *Session) IsNew() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isNew
}

// Get returns the value of name, or def (its first value, or nil) when
// the session has none.
func (s *Session) Get(name string, def ...any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.data[name]; ok {
		return v
	}
	if len(def) > 0 {
		return def[0]
	}
	return nil
}

// Set sets name to value. It fails, changing nothing, with
// ErrSessionValue when value cannot be encoded, ErrSessionTooLarge when
// the session would outgrow SessionConfig.MaxSize, and ErrSessionSaved
// after the response.
func (s *Session) Set(name string, value any) error {
	b, err := encodeSessionValue(value)
	if err != nil {
		return err
	}
	// Strings a Request returns are views of its buffer, which the
	// connection reuses: the session keeps copies.
	name, value = strings.Clone(name), cloneString(value)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved {
		return ErrSessionSaved
	}
	size := s.size + len(name) + len(b)
	if old, ok := s.raw[name]; ok {
		size -= len(name) + len(old)
	}
	if size > s.mgr.cfg.MaxSize {
		return fmt.Errorf("%w: %d bytes, over %d", ErrSessionTooLarge, size, s.mgr.cfg.MaxSize)
	}
	s.size = size
	s.data[name], s.raw[name] = value, b
	if s.set == nil {
		s.set = make(map[string]struct{})
	}
	s.set[name] = struct{}{}
	delete(s.deleted, name)
	return nil
}

// Put sets every value of values, as Set does, all or none.
func (s *Session) Put(values map[string]any) error {
	enc := make(map[string][]byte, len(values))
	for k, v := range values {
		b, err := encodeSessionValue(v)
		if err != nil {
			return fmt.Errorf("%w (key %q)", err, k)
		}
		enc[strings.Clone(k)] = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved {
		return ErrSessionSaved
	}
	size := s.size
	for k, b := range enc {
		size += len(k) + len(b)
		if old, ok := s.raw[k]; ok {
			size -= len(k) + len(old)
		}
	}
	if size > s.mgr.cfg.MaxSize {
		return fmt.Errorf("%w: %d bytes, over %d", ErrSessionTooLarge, size, s.mgr.cfg.MaxSize)
	}
	s.size = size
	if s.set == nil {
		s.set = make(map[string]struct{})
	}
	for k, b := range enc {
		s.data[k], s.raw[k] = cloneString(values[k]), b
		s.set[k] = struct{}{}
		delete(s.deleted, k)
	}
	return nil
}

// Delete removes name (workerman's delete and forget). It fails only
// with ErrSessionSaved.
func (s *Session) Delete(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteLocked(name)
}

func (s *Session) deleteLocked(name string) error {
	if s.saved {
		return ErrSessionSaved
	}
	if old, ok := s.raw[name]; ok {
		s.size -= len(name) + len(old)
	}
	delete(s.data, name)
	delete(s.raw, name)
	delete(s.set, name)
	if !s.cleared {
		if s.deleted == nil {
			s.deleted = make(map[string]struct{})
		}
		s.deleted[strings.Clone(name)] = struct{}{}
	}
	return nil
}

// Pull returns the value of name (or def, as Get) and deletes it. After
// the response it returns the value but deletes nothing.
func (s *Session) Pull(name string, def ...any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[name]
	if !ok {
		if len(def) > 0 {
			return def[0]
		}
		return nil
	}
	_ = s.deleteLocked(name)
	return v
}

// All returns a copy of the session's values (the values themselves are
// not copied).
func (s *Session) All() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.data)
}

// Has reports whether name is set to a value other than nil (PHP's
// isset, workerman's has).
func (s *Session) Has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data[name] != nil
}

// Exists reports whether name is set, to nil included (workerman's
// exists).
func (s *Session) Exists(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.data[name]
	return ok
}

// Flush removes every value; the save removes the stored ones too,
// including keys another request saved meanwhile. It fails only with
// ErrSessionSaved.
func (s *Session) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved {
		return ErrSessionSaved
	}
	clear(s.data)
	clear(s.raw)
	s.size = 0
	s.cleared = true
	s.set, s.deleted = nil, nil
	return nil
}

// RegenerateID gives the session a new id, keeping its values, and
// returns it (workerman's sessionRegenerateId): the response carries the
// new cookie, the save stores the values under the new id and destroys
// the old one. Call it when a user logs in, against session fixation. It
// fails only with ErrSessionSaved.
func (s *Session) RegenerateID() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved {
		return "", ErrSessionSaved
	}
	if !s.isNew && s.oldID == "" {
		s.oldID = s.id
	}
	s.id = NewSessionID()
	s.isNew, s.regenerated = true, true
	return s.id, nil
}

// finish marks the session saved and returns what its save must write:
// the id, the changes, the id to destroy ("" for none), and the cookie
// line the response must carry ("" for none).
func (s *Session) finish(secure bool) (id string, ch SessionChanges, destroy, cookie string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved {
		return "", SessionChanges{}, "", "", false
	}
	s.saved = true
	if s.isNew {
		cookie = s.mgr.cookieLine(s.id, secure)
	}
	if s.regenerated {
		// Everything, under an id nobody else knows yet.
		return s.id, SessionChanges{Set: maps.Clone(s.raw)}, s.oldID, cookie, true
	}
	ch.Clear = s.cleared
	if len(s.set) > 0 {
		ch.Set = make(map[string][]byte, len(s.set))
		for k := range s.set {
			ch.Set[k] = s.raw[k]
		}
	}
	for k := range s.deleted {
		ch.Delete = append(ch.Delete, k)
	}
	return s.id, ch, "", cookie, true
}

// save saves s once: its changes, and the destruction of its old id. It
// returns the Set-Cookie line for the response ("" for none).
func (s *Session) save(secure bool) string {
	id, ch, destroy, cookie, ok := s.finish(secure)
	if !ok {
		return ""
	}
	if !ch.Empty() {
		s.mgr.save(id, ch, false)
	}
	if destroy != "" {
		s.mgr.save(destroy, SessionChanges{}, true)
	}
	return cookie
}

// cloneString returns v, with a copy of its bytes when it is a string.
func cloneString(v any) any {
	if s, ok := v.(string); ok {
		return strings.Clone(s)
	}
	return v
}

func encodeSessionValue(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSessionValue, err)
	}
	return b.Bytes(), nil
}

func decodeSessionValue(b []byte) (any, error) {
	var v any
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// requestSession is what a Request knows of its session.
type requestSession struct {
	mgr *SessionManager
	s   atomic.Pointer[Session] // loaded; set by the goroutine that loaded it
}

func (rs *requestSession) reset() {
	rs.mgr = nil
	rs.s.Store(nil)
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
// does I/O (files, Redis), a request with a cookie waits for the read,
// for at most SessionConfig.LoadTimeout: called from OnMessage, that
// blocks the event loop and every connection on it (a local file read:
// microseconds, from the page cache; Redis: a network round trip). Use
// LoadSession there instead.
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
	rs.s.Store(s)
	return s, nil
}

// LoadSession loads the request's session without blocking the event
// loop, then calls fn with it on the connection's event loop, as
// OnMessage is called (answer the request from fn). When the session is
// loaded already, is new, or the handler does no I/O, fn is called
// before LoadSession returns. fn receives the errors Session returns,
// ErrSessionBusy when the store's queue is full, or
// ErrSessionManagerClosed. If the connection has closed meanwhile, fn
// runs on a goroutine of its own (its Send fails). Do not call Session
// while a LoadSession is in flight.
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
	m.mu.Lock()
	err := m.enqueueLocked(m.loads, func() {
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.IOTimeout)
		s, err := m.load(ctx, id)
		cancel()
		if err == nil {
			rs.s.Store(s)
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

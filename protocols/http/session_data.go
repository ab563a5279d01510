package http

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"maps"
	"strings"
	"sync"
)

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
	mgr  *SessionManager
	conn any // the connection of its request, whose loop Save calls back on

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

// takeChanges returns what a save must write now: the id, the changes
// since the last save, the id to destroy ("" for none), and whether to
// save no changes all the same (SessionConfig.Touch), then forgets those
// changes. final marks the session saved (its response was encoded) and
// also returns the cookie line that response must carry ("" for none).
// ok is false when the session was saved already.
func (s *Session) takeChanges(final, secure bool) (id string, ch SessionChanges, destroy, cookie string, touch, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved {
		return "", SessionChanges{}, "", "", false, false
	}
	if final {
		s.saved = true
		if s.isNew {
			cookie = s.mgr.cookieLine(s.id, secure)
		}
	}
	id = s.id
	if s.regenerated {
		// Everything, under an id nobody else knows yet.
		ch, destroy = SessionChanges{Set: maps.Clone(s.raw)}, s.oldID
		s.regenerated, s.oldID = false, ""
	} else {
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
		touch = final && ch.Empty() && s.mgr.cfg.Touch && !s.isNew
	}
	s.cleared, s.set, s.deleted = false, nil, nil
	return id, ch, destroy, cookie, touch, true
}

// save saves s once its response is encoded: its changes, and the
// destruction of its old id. It returns the Set-Cookie line for the
// response ("" for none).
func (s *Session) save(secure bool) string {
	id, ch, destroy, cookie, touch, ok := s.takeChanges(true, secure)
	if !ok {
		return ""
	}
	if !ch.Empty() || touch {
		s.mgr.save(id, ch, false, nil)
	}
	if destroy != "" {
		s.mgr.save(destroy, SessionChanges{}, true, nil)
	}
	return cookie
}

// Save writes the changes made so far now, as workerman's save(), instead
// of after the response, and calls done once they are written (or failed),
// on the connection's event loop, like LoadSession's callback; done is
// called at once when there is nothing to write or the store does no
// I/O. Later changes are saved after the response, as usual.
//
// Use it when another process must see the changes as soon as the client
// has the response (the client's next request may go to another worker
// process): send the response from done. Saves made after the response
// are otherwise written shortly after it, not before. After the response
// done receives ErrSessionSaved.
func (s *Session) Save(done func(err error)) {
	id, ch, destroy, _, _, ok := s.takeChanges(false, false)
	if !ok {
		done(ErrSessionSaved)
		return
	}
	if destroy != "" {
		s.mgr.save(destroy, SessionChanges{}, true, nil)
	}
	if ch.Empty() {
		done(nil)
		return
	}
	s.mgr.save(id, ch, false, func(err error) {
		if ex, ok := s.conn.(interface{ Execute(func()) error }); ok && !s.mgr.nonBlocking {
			if ex.Execute(func() { done(err) }) == nil {
				return
			}
		}
		done(err)
	})
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

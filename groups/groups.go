package groups

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/gnetworker/gnetworker/bus"
	"github.com/gnetworker/gnetworker/connection"
)

// Backend is what groups need of a cluster: a log to carry messages and
// a presence table to count connections (bus/redisbus, bus/memlog).
type Backend interface {
	bus.Log
	bus.Presence
}

// DefaultStream is the stream of group messages when Options.Stream is
// empty.
const DefaultStream = "groups"

// MaxNameLen is the longest uid or group name, in bytes.
const MaxNameLen = 256

// Options configure a Groups. The zero value serves this process only.
type Options struct {
	// Backend carries messages to the other nodes and counts their
	// connections; nil serves this process only.
	Backend Backend
	// Stream is the backend's stream of group messages (DefaultStream
	// when empty), shared by every node; it also prefixes the presence
	// keys.
	Stream string
	// OnError receives the errors of sends that failed after being
	// queued, gaps in the messages from other nodes, and malformed
	// entries (default: logged with log/slog). It runs on the backend's
	// goroutines and must return quickly.
	OnError func(error)
}

// Errors of a Groups.
var (
	// ErrBadUID is returned for a uid that is empty, longer than
	// MaxNameLen bytes, not UTF-8 or holds a control character.
	ErrBadUID = errors.New("groups: a uid must be 1 to 256 bytes of UTF-8 without control characters")
	// ErrBadGroup is returned for a group name that is empty, longer than
	// MaxNameLen bytes, not UTF-8 or holds a control character.
	ErrBadGroup = errors.New("groups: a group name must be 1 to 256 bytes of UTF-8 without control characters")
	// ErrClosed is returned by a Groups after Close.
	ErrClosed = errors.New("groups: closed")
	// ErrLocalOnly wraps the backend's error when a message reached this
	// node's members and could not be passed to the other nodes.
	ErrLocalOnly = errors.New("groups: sent to this node's members only, not to the other nodes")
	// ErrGap is reported to OnError when messages from other nodes were
	// lost: trimmed from the stream while this node could not read it.
	ErrGap = errors.New("groups: messages from other nodes were lost while this node could not read the stream")
)

// Groups is a set of connections with uids and groups, shared with the
// Groups of every other node of the backend. See the package doc.
type Groups struct {
	backend Backend
	stream  string
	node    string // the backend's NodeID; "" without one
	onError func(error)

	mu      sync.Mutex
	members map[*connection.TcpConnection]*member
	uids    map[string]connSet
	groups  map[string]connSet
	hooked  map[*connection.TcpConnection]struct{} // AtClose registered, until the connection closes
	closed  bool
}

type connSet = map[*connection.TcpConnection]struct{}

// member is what a connection belongs to.
type member struct {
	uid    string
	groups []string
}

// New returns a Groups. With a Backend it watches the stream of group
// messages, which waits for the backend: call it at startup (in
// OnWorkerStart, say), never on an event loop.
func New(opts Options) (*Groups, error) {
	g := &Groups{
		backend: opts.Backend,
		stream:  opts.Stream,
		onError: opts.OnError,
		members: map[*connection.TcpConnection]*member{},
		uids:    map[string]connSet{},
		groups:  map[string]connSet{},
		hooked:  map[*connection.TcpConnection]struct{}{},
	}
	if g.stream == "" {
		g.stream = DefaultStream
	}
	if g.onError == nil {
		g.onError = func(err error) { slog.Error("groups", "err", err) }
	}
	if g.backend != nil {
		g.node = g.backend.NodeID()
		if _, err := g.backend.Watch(context.Background(), g.stream, g.sink); err != nil {
			return nil, fmt.Errorf("groups: watching stream %q: %w", g.stream, err)
		}
	}
	return g, nil
}

// Add makes c a member with no uid and no group: SendToAll reaches it.
// Bind and Join add c too. Add after Close does nothing.
func (g *Groups) Add(c *connection.TcpConnection) {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	_, hook := g.addLocked(c)
	g.mu.Unlock()
	g.hook(c, hook)
}

// Bind gives c the uid, replacing the one it had; a uid may have many
// connections.
func (g *Groups) Bind(c *connection.TcpConnection, uid string) error {
	return g.update(c, uid, ErrBadUID, func(m *member) {
		if m.uid != uid {
			g.unbindLocked(c, m)
			m.uid = uid
			g.uids[uid] = g.enterLocked(g.uids[uid], c, g.uidKey(uid))
		}
	})
}

// update checks name against bad, then runs fn with c's membership under
// the lock, making c a member first.
func (g *Groups) update(c *connection.TcpConnection, name string, bad error, fn func(m *member)) error {
	if err := checkName(name, bad); err != nil {
		return err
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return ErrClosed
	}
	m, hook := g.addLocked(c)
	fn(m)
	g.mu.Unlock()
	g.hook(c, hook)
	return nil
}

// Unbind takes c's uid away; c stays a member.
func (g *Groups) Unbind(c *connection.TcpConnection) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if m := g.members[c]; m != nil {
		g.unbindLocked(c, m)
	}
}

// Join adds c to group.
func (g *Groups) Join(c *connection.TcpConnection, group string) error {
	return g.update(c, group, ErrBadGroup, func(m *member) {
		if !slices.Contains(m.groups, group) {
			m.groups = append(m.groups, group)
			g.groups[group] = g.enterLocked(g.groups[group], c, g.groupKey(group))
		}
	})
}

// Leave takes c out of group; c stays a member.
func (g *Groups) Leave(c *connection.TcpConnection, group string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.members[c]
	if m == nil {
		return
	}
	if i := slices.Index(m.groups, group); i >= 0 {
		m.groups = slices.Delete(m.groups, i, i+1)
		g.leaveLocked(g.groups, group, c, g.groupKey(group))
	}
}

// Remove forgets c: its uid, its groups and its membership. A connection
// that closes is removed on its own.
func (g *Groups) Remove(c *connection.TcpConnection) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.removeLocked(c)
}

// closedConn is the AtClose hook.
func (g *Groups) closedConn(c *connection.TcpConnection) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.hooked, c)
	g.removeLocked(c)
}

// addLocked returns c's membership, making c a member if it is not, and
// whether c's AtClose hook is to be registered.
func (g *Groups) addLocked(c *connection.TcpConnection) (*member, bool) {
	if m := g.members[c]; m != nil {
		return m, false
	}
	m := &member{}
	g.members[c] = m
	g.setCountLocked(g.allKey(), len(g.members))
	if _, ok := g.hooked[c]; ok {
		return m, false
	}
	g.hooked[c] = struct{}{}
	return m, true
}

// hook registers the close hook, outside the lock: on a closed connection
// it runs at once.
func (g *Groups) hook(c *connection.TcpConnection, register bool) {
	if register {
		c.AtClose(g.closedConn)
	}
}

func (g *Groups) removeLocked(c *connection.TcpConnection) {
	m := g.members[c]
	if m == nil {
		return
	}
	g.unbindLocked(c, m)
	for _, group := range m.groups {
		g.leaveLocked(g.groups, group, c, g.groupKey(group))
	}
	delete(g.members, c)
	g.setCountLocked(g.allKey(), len(g.members))
}

func (g *Groups) unbindLocked(c *connection.TcpConnection, m *member) {
	if m.uid != "" {
		g.leaveLocked(g.uids, m.uid, c, g.uidKey(m.uid))
		m.uid = ""
	}
}

// enterLocked adds c to set (made when nil), counts it and returns it.
func (g *Groups) enterLocked(set connSet, c *connection.TcpConnection, key string) connSet {
	if set == nil {
		set = connSet{}
	}
	set[c] = struct{}{}
	g.setCountLocked(key, len(set))
	return set
}

// leaveLocked takes c out of sets[name], dropping the set when empty.
func (g *Groups) leaveLocked(sets map[string]connSet, name string, c *connection.TcpConnection, key string) {
	set := sets[name]
	delete(set, c)
	if len(set) == 0 {
		delete(sets, name)
	}
	g.setCountLocked(key, len(set))
}

// setCountLocked publishes a count, in the order of the changes (under the
// lock): SetCount returns at once.
func (g *Groups) setCountLocked(key string, n int) {
	if g.backend != nil {
		g.backend.SetCount(key, n)
	}
}

// The presence keys (see the package doc).
func (g *Groups) allKey() string               { return g.stream + ":c" }
func (g *Groups) groupKey(group string) string { return g.stream + ":g:" + group }
func (g *Groups) uidKey(uid string) string     { return g.stream + ":u:" + uid }

// SendToUid sends msg (a string, a []byte or an http.ServerSentEvents) to
// every connection bound to uid, on every node. This node's connections
// get it before SendToUid returns. An error wrapping ErrLocalOnly says
// that the other nodes did not get it; any other error, that no one did.
func (g *Groups) SendToUid(uid string, msg any) error {
	if err := checkName(uid, ErrBadUID); err != nil {
		return err
	}
	return g.send(toUID, uid, msg)
}

// SendToGroup sends msg to every member of group on every node, as
// SendToUid does.
func (g *Groups) SendToGroup(group string, msg any) error {
	if err := checkName(group, ErrBadGroup); err != nil {
		return err
	}
	return g.send(toGroup, group, msg)
}

// SendToAll sends msg to every member on every node, as SendToUid does.
func (g *Groups) SendToAll(msg any) error {
	return g.send(toAll, "", msg)
}

func (g *Groups) send(t target, name string, msg any) error {
	m, err := newMessage(msg)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
	}
	g.deliverLocked(t, name, m)
	if g.backend == nil {
		return nil
	}
	// Under the lock, so that every node sees this node's messages in the
	// order its own members did.
	err = g.backend.Append(g.stream, m.fields(g.node, t, name), func(_ string, err error) {
		if err != nil {
			g.onError(fmt.Errorf("%w (to %s %q): %w", ErrLocalOnly, t, name, err))
		}
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLocalOnly, err)
	}
	return nil
}

// deliverLocked sends m to this node's connections for t and name. A
// connection that cannot take it (closing, send buffer full, not
// answering an HTTP request) misses it; the connection reports why.
func (g *Groups) deliverLocked(t target, name string, m *message) {
	var set connSet
	switch t {
	case toUID:
		set = g.uids[name]
	case toGroup:
		set = g.groups[name]
	case toAll:
		for c := range g.members {
			_ = c.Send(m)
		}
		return
	}
	for c := range set {
		_ = c.Send(m)
	}
}

// sink delivers the other nodes' messages to this node's members.
func (g *Groups) sink(_ string, entries []bus.Entry, gap bool) {
	var errs []error
	if gap {
		errs = append(errs, ErrGap)
	}
	g.mu.Lock()
	for _, e := range entries {
		if origin, ok := e.Field("origin"); ok && origin == g.node {
			continue
		}
		t, name, m, err := parseEntry(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !g.closed {
			g.deliverLocked(t, name, m)
		}
	}
	g.mu.Unlock()
	for _, err := range errs {
		g.onError(err)
	}
}

// IsUidOnline reports whether any node has a connection bound to uid.
func (g *Groups) IsUidOnline(ctx context.Context, uid string) (bool, error) {
	n, err := g.UidConnections(ctx, uid)
	return n > 0, err
}

// UidConnections counts the connections bound to uid on every node.
func (g *Groups) UidConnections(ctx context.Context, uid string) (int, error) {
	if err := checkName(uid, ErrBadUID); err != nil {
		return 0, err
	}
	return g.count(ctx, g.uidKey(uid), func() int { return len(g.uids[uid]) })
}

// GroupConnections counts the members of group on every node.
func (g *Groups) GroupConnections(ctx context.Context, group string) (int, error) {
	if err := checkName(group, ErrBadGroup); err != nil {
		return 0, err
	}
	return g.count(ctx, g.groupKey(group), func() int { return len(g.groups[group]) })
}

// Connections counts the members on every node.
func (g *Groups) Connections(ctx context.Context) (int, error) {
	return g.count(ctx, g.allKey(), func() int { return len(g.members) })
}

// count asks the backend for key's sum, or counts locally.
func (g *Groups) count(ctx context.Context, key string, local func() int) (int, error) {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return 0, ErrClosed
	}
	if g.backend == nil {
		defer g.mu.Unlock()
		return local(), nil
	}
	g.mu.Unlock()
	return g.backend.Count(ctx, key)
}

// Close stops the delivery of other nodes' messages, forgets every member
// and sets this node's counts to zero. The backend stays open: it is the
// caller's. Close after Close does nothing.
func (g *Groups) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	if len(g.members) > 0 {
		g.setCountLocked(g.allKey(), 0)
	}
	for uid := range g.uids {
		g.setCountLocked(g.uidKey(uid), 0)
	}
	for group := range g.groups {
		g.setCountLocked(g.groupKey(group), 0)
	}
	clear(g.members)
	clear(g.uids)
	clear(g.groups)
	clear(g.hooked)
	g.mu.Unlock()
	if g.backend != nil {
		g.backend.Unwatch(g.stream)
	}
	return nil
}

// checkName returns nil for a valid uid or group name, or kind (ErrBadUID,
// ErrBadGroup) with what is wrong.
func checkName(s string, kind error) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: it is empty", kind)
	case len(s) > MaxNameLen:
		return fmt.Errorf("%w: it has %d bytes", kind, len(s))
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %q is not UTF-8", kind, clip(s))
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %q holds the control character %U", kind, clip(s), r)
		}
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

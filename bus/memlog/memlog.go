// Package memlog is an in-process bus.Log and bus.Presence: for tests,
// and for several hubs inside one process. A Store holds the streams and
// the presence counts; each Node of it plays one node of a cluster, with
// its own NodeID and its own watches, as if it were a process of its own
// linked to a shared Redis.
//
// It behaves as package bus describes a log: IDs have Redis Streams' form
// "<milliseconds>-<sequence>" and increase strictly within a stream;
// streams keep their newest MaxLen entries; Append adds an entry at once
// and calls its done from the node's goroutine; entries reach watchers
// from one goroutine per node, in order, in batches.
//
// SetDown simulates a node that lost its link to the backend: its appends
// wait in a bounded queue, Watch, Range and Count fail with ErrDown, and
// nothing is delivered to it; back up, it writes the queued appends in
// order and delivers what its watches missed, with gap set when some of
// it was trimmed meanwhile.
//
// # Concurrency contract
//
// Every method is safe for concurrent use; none waits for anything but
// the Store's lock, except Close, which waits for the node's goroutine to
// end (and so must not be called from a sink or a done). Sinks and done
// callbacks run on the node's goroutine, never inside the caller's
// Append. After Unwatch returns, a batch the goroutine had already taken
// may still reach the old sink. Entries handed to sinks and returned by
// Range are shared with every node: they must not be modified.
package memlog

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gnetworker/gnetworker/bus"
)

// Defaults of Options.
const (
	DefaultMaxLen    = 1000
	DefaultQueueSize = 1000
)

// Options configure a Store. The zero value gives the defaults.
type Options struct {
	// MaxLen is how many entries each stream keeps (DefaultMaxLen when
	// not positive); older ones are trimmed.
	MaxLen int
	// QueueSize bounds the appends a node that is down holds
	// (DefaultQueueSize when not positive); beyond it Append returns
	// bus.ErrQueueFull.
	QueueSize int
}

// ErrDown is returned by Watch, Range and Count of a node that is down
// (Node.SetDown).
var ErrDown = errors.New("memlog: node is down")

// Store is a set of streams and presence counts shared by its nodes.
type Store struct {
	maxLen    int
	queueSize int

	// mu guards everything below and every node's state.
	mu      sync.Mutex
	streams map[string]*stream
	nodes   map[*Node]struct{} // open nodes
	closed  bool
}

// stream is one stream's retained entries, oldest first.
type stream struct {
	entries    []item
	last       entryID // the newest ID given (kept when trimmed)
	trimmed    entryID // the newest ID trimmed, when hasTrimmed
	hasTrimmed bool
}

type item struct {
	id    entryID
	entry bus.Entry
}

// New returns an empty Store.
func New(opts Options) *Store {
	if opts.MaxLen <= 0 {
		opts.MaxLen = DefaultMaxLen
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	return &Store{
		maxLen:    opts.MaxLen,
		queueSize: opts.QueueSize,
		streams:   map[string]*stream{},
		nodes:     map[*Node]struct{}{},
	}
}

var lastNode atomic.Uint64

// Node returns a new node of s, with a NodeID unique in the process. A
// node of a closed Store is closed.
func (s *Store) Node() *Node {
	n := &Node{
		store:     s,
		id:        "memlog-" + strconv.FormatUint(lastNode.Add(1), 10),
		wake:      make(chan struct{}, 1),
		quit:      make(chan struct{}),
		exited:    make(chan struct{}),
		watches:   map[string]*watch{},
		counts:    map[string]int{},
		published: map[string]int{},
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		n.closed = true
		close(n.exited)
		return n
	}
	s.nodes[n] = struct{}{}
	s.mu.Unlock()
	go n.run()
	return n
}

// Close closes every node of s (see Node.Close); nodes made afterwards
// are closed.
func (s *Store) Close() {
	s.mu.Lock()
	s.closed = true
	nodes := slices.Collect(maps.Keys(s.nodes))
	s.mu.Unlock()
	for _, n := range nodes {
		_ = n.Close()
	}
}

// addLocked appends an entry to a stream, trims it, and returns its ID.
func (s *Store) addLocked(name string, fields []string) string {
	st := s.streams[name]
	if st == nil {
		st = &stream{}
		s.streams[name] = st
	}
	id := entryID{ms: uint64(time.Now().UnixMilli())}
	if id.ms <= st.last.ms {
		id = entryID{ms: st.last.ms, seq: st.last.seq + 1}
	}
	st.last = id
	e := bus.Entry{ID: id.String(), Fields: fields}
	st.entries = append(st.entries, item{id: id, entry: e})
	if k := len(st.entries) - s.maxLen; k > 0 {
		st.trimmed, st.hasTrimmed = st.entries[k-1].id, true
		clear(st.entries[:k]) // let the trimmed fields go
		st.entries = st.entries[k:]
	}
	return e.ID
}

// wakeLocked tells every node's goroutine that there may be something to
// deliver.
func (s *Store) wakeLocked() {
	for n := range s.nodes {
		n.poke()
	}
}

// Node is one node of a Store: a bus.Log and a bus.Presence.
type Node struct {
	store  *Store
	id     string
	wake   chan struct{} // capacity 1: the goroutine has something to do
	quit   chan struct{}
	exited chan struct{}

	// Under store.mu.
	closed    bool
	down      bool
	watches   map[string]*watch
	queue     []queued       // appends made while down
	dones     []doneCall     // done callbacks to call
	counts    map[string]int // this node's counts as last written
	published map[string]int // what the other nodes see of them
}

type watch struct {
	sink bus.Sink
	last entryID // the newest ID delivered, or the place Watch started
}

type queued struct {
	stream string
	fields []string
	done   func(string, error)
}

type doneCall struct {
	done func(string, error)
	id   string
	err  error
}

func (n *Node) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// NodeID names the node (bus.Presence).
func (n *Node) NodeID() string { return n.id }

// Append adds an entry to stream at once (bus.Log), or queues it while
// the node is down. fields is copied.
func (n *Node) Append(stream string, fields []string, done func(id string, err error)) error {
	fields = slices.Clone(fields)
	s := n.store
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case n.closed:
		return bus.ErrClosed
	case n.down:
		if len(n.queue) >= s.queueSize {
			return bus.ErrQueueFull
		}
		n.queue = append(n.queue, queued{stream: stream, fields: fields, done: done})
		return nil
	}
	id := s.addLocked(stream, fields)
	if done != nil {
		n.dones = append(n.dones, doneCall{done: done, id: id})
	}
	s.wakeLocked()
	return nil
}

// Watch delivers stream's entries after its newest one to sink
// (bus.Log). It fails with ErrDown while the node is down.
func (n *Node) Watch(ctx context.Context, stream string, sink bus.Sink) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s := n.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := n.usableLocked(); err != nil {
		return "", err
	}
	var last entryID
	if st := s.streams[stream]; st != nil {
		last = st.last
	}
	if w := n.watches[stream]; w != nil {
		w.sink = sink
	} else {
		n.watches[stream] = &watch{sink: sink, last: last}
	}
	return last.String(), nil
}

// Unwatch stops the delivery of stream's entries (bus.Log).
func (n *Node) Unwatch(stream string) {
	n.store.mu.Lock()
	delete(n.watches, stream)
	n.store.mu.Unlock()
}

// Range returns stream's entries after `after`, up to upto ("" for the
// newest), at most max of them (no limit when max is not positive)
// (bus.Log). It fails with ErrDown while the node is down.
func (n *Node) Range(ctx context.Context, stream, after, upto string, max int) ([]bus.Entry, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	from, _ := parseID(after) // an invalid ID is below every entry, as 0-0 is
	s := n.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := n.usableLocked(); err != nil {
		return nil, false, err
	}
	st := s.streams[stream]
	if st == nil {
		return nil, true, nil
	}
	complete := !st.hasTrimmed || !from.less(st.trimmed)
	items := st.entries[st.after(from):]
	if upto != "" {
		to, ok := parseID(upto)
		if !ok {
			return nil, complete, nil
		}
		items = items[:sort.Search(len(items), func(i int) bool { return to.less(items[i].id) })]
	}
	if max > 0 && len(items) > max {
		items = items[:max]
	}
	return entriesOf(items), complete, nil
}

// after is the index of the first retained entry after id.
func (st *stream) after(id entryID) int {
	return sort.Search(len(st.entries), func(i int) bool { return id.less(st.entries[i].id) })
}

func entriesOf(items []item) []bus.Entry {
	if len(items) == 0 {
		return nil
	}
	out := make([]bus.Entry, len(items))
	for i, it := range items {
		out[i] = it.entry
	}
	return out
}

// usableLocked is the error of a node that cannot answer now.
func (n *Node) usableLocked() error {
	switch {
	case n.closed:
		return bus.ErrClosed
	case n.down:
		return ErrDown
	}
	return nil
}

// Compare orders two IDs by their numbers; an invalid ID is below every
// valid one, and equal to another invalid one (bus.Log).
func (n *Node) Compare(a, b string) int {
	ia, okA := parseID(a)
	ib, okB := parseID(b)
	switch {
	case !okA && !okB:
		return 0
	case !okA:
		return -1
	case !okB:
		return 1
	case ia.less(ib):
		return -1
	case ib.less(ia):
		return 1
	}
	return 0
}

// ValidID reports whether id is two decimal numbers joined by "-" (bus.Log).
func (n *Node) ValidID(id string) bool {
	_, ok := parseID(id)
	return ok
}

// SetCount records this node's count for key (bus.Presence). While the
// node is down the other nodes keep seeing the count it had; they see the
// newest once it is back up.
func (n *Node) SetCount(key string, v int) {
	s := n.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if n.closed {
		return
	}
	setCount(n.counts, key, v)
	if !n.down {
		setCount(n.published, key, v)
	}
}

func setCount(m map[string]int, key string, v int) {
	if v == 0 {
		delete(m, key)
	} else {
		m[key] = v
	}
}

// Count sums key's counts over the Store's open nodes (bus.Presence). It
// fails with ErrDown while the node is down.
func (n *Node) Count(ctx context.Context, key string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s := n.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := n.usableLocked(); err != nil {
		return 0, err
	}
	sum := n.counts[key]
	for other := range s.nodes {
		if other != n {
			sum += other.published[key]
		}
	}
	return sum, nil
}

// SetDown takes the node off its backend (true) or puts it back (false);
// see the package doc.
func (n *Node) SetDown(down bool) {
	s := n.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if n.closed || n.down == down {
		return
	}
	n.down = down
	if down {
		return
	}
	for _, q := range n.queue {
		id := s.addLocked(q.stream, q.fields)
		if q.done != nil {
			n.dones = append(n.dones, doneCall{done: q.done, id: id})
		}
	}
	n.queue = nil
	n.published = maps.Clone(n.counts)
	s.wakeLocked()
}

// Close stops the node: its watches end, its counts drop out of the sums,
// appends it still queued fail with bus.ErrClosed, and its goroutine ends
// before Close returns. Close after Close does nothing.
func (n *Node) Close() error {
	s := n.store
	s.mu.Lock()
	if n.closed {
		s.mu.Unlock()
		<-n.exited
		return nil
	}
	n.closed = true
	delete(s.nodes, n)
	clear(n.watches)
	s.mu.Unlock()
	close(n.quit)
	<-n.exited
	return nil
}

// run is the node's goroutine: it calls done callbacks and delivers new
// entries to the watches, until Close.
func (n *Node) run() {
	defer close(n.exited)
	for {
		select {
		case <-n.quit:
			n.stop()
			return
		case <-n.wake:
			n.deliver()
		}
	}
}

type batch struct {
	sink    bus.Sink
	stream  string
	entries []bus.Entry
	gap     bool
}

// deliver calls the done callbacks that are due and gives every watch the
// entries it has not seen, one batch per stream.
func (n *Node) deliver() {
	s := n.store
	s.mu.Lock()
	dones := n.dones
	n.dones = nil
	var batches []batch
	if !n.down && !n.closed {
		for name, w := range n.watches {
			st := s.streams[name]
			if st == nil || !w.last.less(st.last) {
				continue
			}
			b := batch{
				sink:    w.sink,
				stream:  name,
				entries: entriesOf(st.entries[st.after(w.last):]),
				gap:     st.hasTrimmed && w.last.less(st.trimmed),
			}
			w.last = st.last
			batches = append(batches, b)
		}
	}
	s.mu.Unlock()
	for _, d := range dones {
		d.done(d.id, d.err)
	}
	for _, b := range batches {
		b.sink(b.stream, b.entries, b.gap)
	}
}

// stop calls what is left of the done callbacks, failing the appends
// still queued.
func (n *Node) stop() {
	s := n.store
	s.mu.Lock()
	dones := n.dones
	n.dones = nil
	for _, q := range n.queue {
		if q.done != nil {
			dones = append(dones, doneCall{done: q.done, err: bus.ErrClosed})
		}
	}
	n.queue = nil
	s.mu.Unlock()
	for _, d := range dones {
		d.done(d.id, d.err)
	}
}

// entryID is an ID's two numbers.
type entryID struct{ ms, seq uint64 }

func (a entryID) less(b entryID) bool {
	return a.ms < b.ms || a.ms == b.ms && a.seq < b.seq
}

func (a entryID) String() string {
	return strconv.FormatUint(a.ms, 10) + "-" + strconv.FormatUint(a.seq, 10)
}

// parseID reads "<ms>-<seq>", two unsigned decimal numbers.
func parseID(s string) (entryID, bool) {
	msPart, seqPart, ok := strings.Cut(s, "-")
	if !ok {
		return entryID{}, false
	}
	ms, err1 := strconv.ParseUint(msPart, 10, 64)
	seq, err2 := strconv.ParseUint(seqPart, 10, 64)
	if err1 != nil || err2 != nil {
		return entryID{}, false
	}
	return entryID{ms: ms, seq: seq}, true
}

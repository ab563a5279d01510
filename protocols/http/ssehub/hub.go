// Package ssehub is a broadcast hub for Server-Sent Events: connections
// subscribe to topics, and an event published to a topic reaches every
// subscriber. It goes beyond workerman, for what users otherwise build with
// r3labs/sse or tmaxmax/go-sse on top of net/http.
//
//   - Fan-out costs no goroutine per subscriber: an event is encoded once
//     and staged for each subscriber by reference (connection.Shared, no
//     copy per subscriber unless it is behind); each connection's event
//     loop writes it, with one loop task per broadcast.
//   - Replay: each topic keeps its last ReplaySize events. A client that
//     reconnects with Last-Event-ID gets the events of its topics it missed,
//     in order; when they are no longer all held it gets ResetEvent instead.
//     Event ids are assigned by the hub, increasing across all its topics.
//   - Heartbeats: one hub-wide timer writes a comment line to every
//     subscriber every Heartbeat interval, which also finds dead peers (the
//     write fails and the connection closes).
//   - Slow clients: a subscriber whose send buffer is full is handled by
//     SlowPolicy (dropped, or skipped for that event). It never blocks the
//     others, and the connection's MaxSendBufferSize bounds its memory.
//   - A closing connection unsubscribes itself, leaving nothing behind.
//   - Scale-out: with Options.Backend (bus/redisbus), topics live in a
//     shared log and hubs on many processes and machines act as one; see
//     "Across processes" below.
//
// Typical use, in an http worker's OnMessage:
//
//	hub := ssehub.New(ssehub.Options{})
//	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
//		if req.Header("accept") == "text/event-stream" {
//			_ = hub.Subscribe(c, req, "news")
//			return
//		}
//		hub.Publish("news", http.ServerSentEvents{Event: "post", Data: string(req.RawBody())})
//		_ = c.Send("ok")
//	}
//
// # Across processes
//
// With Options.Backend set to a bus.Log, such as a redisbus.Bus, each
// topic is a stream of that log (on Redis, a Redis Stream called
// <prefix>sse:<topic>), and the hub is one node of many:
//
//   - Publish appends the event to the topic's stream; every node that has
//     subscribers of the topic reads it (a few XREADs per node, never one
//     per subscriber) and fans it out to them, its own subscribers
//     included, with the zero-copy broadcast above. Anyone who can append
//     to the stream publishes: on Redis,
//     `XADD gnetworker:sse:news MAXLEN ~ 1000 * event post data hello`.
//     An entry's fields are data (the event's data, "" when absent), event
//     (its type, optional) and retry (milliseconds, optional); others are
//     ignored.
//   - Event IDs are the log's entry IDs (on Redis, "1733140000000-0"), the
//     same on every node. A client reconnecting to any node with
//     Last-Event-ID gets what it missed from the log, or ResetEvent when
//     that is no longer all held (the window is the backend's: redisbus's
//     MaxLen) or is more than ReplaySize events.
//   - A subscriber's response head is sent once the hub reads its topics
//     from where the log stands: every event published after a client saw
//     the head reaches it. That takes one round trip to the backend for a
//     topic new to this node (two with a replay), done off the event loop;
//     meanwhile the client waits. When the backend does not answer within
//     JoinTimeout the client gets 503 Service Unavailable.
//   - Publish waits for the backend: call it off the event loop, or use
//     PublishAsync. While the backend is unreachable, publishes wait in
//     its bounded queue and reach subscribers, with their IDs, once it is
//     back; beyond the bound or the queue's timeout they fail with an
//     error, never silently.
//   - Event IDs order events within a topic. A client subscribed to several
//     topics gets each topic's events in order; across topics, events
//     carry IDs from separate streams, so its replay takes, from each
//     topic, the events with IDs after its Last-Event-ID.
package ssehub

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gnetworker/gnetworker/bus"
	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/timer"
)

// SlowPolicy says what happens to a subscriber whose send buffer is full
// when an event is published.
type SlowPolicy int

const (
	// DropSubscriber closes the slow subscriber's connection (its client
	// reconnects with Last-Event-ID and catches up from the replay ring).
	DropSubscriber SlowPolicy = iota
	// SkipEvents leaves the subscriber connected but skips the event for it.
	SkipEvents
)

// Defaults of Options.
const (
	DefaultReplaySize = 256
	DefaultHeartbeat  = 15 * time.Second
)

// Options configure a Hub. The zero value gives the defaults.
type Options struct {
	// ReplaySize is how many events each topic keeps for replay
	// (DefaultReplaySize when 0; negative keeps none).
	ReplaySize int
	// Heartbeat is the interval of the comment line sent to every
	// subscriber (DefaultHeartbeat when 0; negative sends none).
	Heartbeat time.Duration
	// SlowPolicy handles subscribers whose send buffer is full.
	SlowPolicy SlowPolicy
	// ResetEvent is sent instead of a replay when the events a client
	// missed are no longer all held. Its ID is set to the hub's latest id,
	// so the client does not ask again. Default: event "reset".
	ResetEvent http.ServerSentEvents
	// Retry, when positive, is sent to each new subscriber as the
	// reconnection delay.
	Retry time.Duration
	// Header adds response headers to the event-stream response.
	Header map[string]string
	// CORS, when set, lets pages of other origins subscribe: each
	// event-stream response carries the policy's answer to its request's
	// Origin (http.CORS.Apply), built once per allowed origin and shared.
	// Preflights (a reconnecting EventSource may send one for
	// Last-Event-ID) come to the worker's OnMessage as OPTIONS requests:
	// answer them with the same policy's Preflight. The policy must not be
	// modified once the hub is made.
	CORS *http.CORS
	// Topics, when not empty, are the only topics: Subscribe and Publish
	// refuse others with ErrUnknownTopic.
	Topics []string
	// Backend, when set, keeps the topics in a log shared with other hubs
	// (see "Across processes"); nil keeps them in this hub's memory.
	Backend bus.Log
	// JoinTimeout bounds how long a new subscriber waits for the Backend
	// before it is answered 503 (DefaultJoinTimeout when 0).
	JoinTimeout time.Duration
}

// DefaultJoinTimeout is the default of Options.JoinTimeout.
const DefaultJoinTimeout = 30 * time.Second

// MaxTopicLength bounds a topic's name, in bytes.
const MaxTopicLength = 256

// Errors returned by Subscribe.
var (
	ErrClosed       = errors.New("ssehub: hub closed")
	ErrNoTopics     = errors.New("ssehub: Subscribe needs at least one topic")
	ErrBadLastEvent = errors.New("ssehub: invalid Last-Event-ID")
	// ErrBadTopic: a topic must be 1 to MaxTopicLength bytes of UTF-8
	// without control characters.
	ErrBadTopic = errors.New("ssehub: invalid topic name")
	// ErrUnknownTopic: the topic is not one of Options.Topics.
	ErrUnknownTopic = errors.New("ssehub: unknown topic")
	// ErrJoining: with a Backend, a connection is subscribed again before
	// its previous Subscribe completed.
	ErrJoining = errors.New("ssehub: subscription in progress")
)

// Hub holds topics and their subscribers. Its methods are safe from any
// goroutine.
type Hub struct {
	opts      Options
	heartbeat *connection.Shared
	header    *http.Response                  // the event-stream response, built once
	cors      *corsHeads                      // with Options.CORS: the responses per origin
	retry     *connection.Shared              // the retry event for new subscribers
	forgetFn  func(*connection.TcpConnection) // h.forget, bound once

	// mu serialises subscription changes and publishing, so every
	// subscriber receives events in id order, replay included.
	mu     sync.Mutex
	closed bool
	lastID uint64
	topics map[string]*topic
	// Each subscriber's topics: the first in subs, any others in more
	// (most subscribers have one topic; a []*topic per subscriber would
	// double the hub's memory for them).
	subs        map[*connection.TcpConnection]*topic
	more        map[*connection.TcpConnection][]*topic
	heartbeatID timer.ID
	scratch     []*connection.TcpConnection
	allowed     map[string]struct{} // Options.Topics, as a set

	// With a Backend (backend.go).
	backend bus.Log
	sinkFn  bus.Sink                              // h.sink, bound once
	joining map[*connection.TcpConnection]*joiner // subscribers being joined
	ctx     context.Context                       // cancelled by Close
	cancel  context.CancelFunc
	joins   sync.WaitGroup
}

// A subscriber is its connection: the hub keeps no struct per subscriber,
// only map entries (an idle subscriber of one topic costs the hub about
// 40 bytes).
type topic struct {
	name    string
	subs    map[*connection.TcpConnection]struct{}
	ring    []entry // replay ring, oldest at head
	head    int
	count   int
	evicted uint64 // id of the newest event dropped from the ring

	// With a Backend.
	state   watchState
	ready   chan struct{} // closed when a watch attempt ends
	last    string        // ID of the newest event delivered here
	joining int           // subscribers being joined to this topic
}

type entry struct {
	id    uint64
	event *connection.Shared // encoded, id included
}

// New returns a hub. Close it when done to stop its heartbeat timer.
func New(opts Options) *Hub {
	if opts.ReplaySize == 0 {
		opts.ReplaySize = DefaultReplaySize
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.ResetEvent == (http.ServerSentEvents{}) {
		opts.ResetEvent = http.ServerSentEvents{Event: "reset", Data: "missed events are no longer held"}
	}
	hdr := map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
	for k, v := range opts.Header {
		hdr[k] = v
	}
	h := &Hub{
		opts:      opts,
		heartbeat: connection.NewShared([]byte(": heartbeat\n\n")),
		header:    http.NewResponse(200, hdr, ""),
		topics:    make(map[string]*topic),
		subs:      make(map[*connection.TcpConnection]*topic),
		more:      make(map[*connection.TcpConnection][]*topic),
	}
	if opts.CORS != nil {
		h.cors = newCORSHeads(opts.CORS, hdr)
	}
	if opts.Retry > 0 {
		b, _ := http.ServerSentEvents{Retry: opts.Retry}.Encode()
		h.retry = connection.NewShared(b)
	}
	h.forgetFn = h.forget
	if len(opts.Topics) > 0 {
		h.allowed = make(map[string]struct{}, len(opts.Topics))
		for _, t := range opts.Topics {
			h.allowed[t] = struct{}{}
		}
	}
	if opts.Backend != nil {
		if h.opts.JoinTimeout <= 0 {
			h.opts.JoinTimeout = DefaultJoinTimeout
		}
		h.backend = opts.Backend
		h.sinkFn = h.sink
		h.joining = make(map[*connection.TcpConnection]*joiner)
		h.ctx, h.cancel = context.WithCancel(context.Background())
	}
	return h
}

// checkTopic returns why a topic name may not be used, or nil.
func (h *Hub) checkTopic(name string) error {
	if name == "" || len(name) > MaxTopicLength || !utf8.ValidString(name) {
		return ErrBadTopic
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return ErrBadTopic
		}
	}
	if h.allowed != nil {
		if _, ok := h.allowed[name]; !ok {
			return ErrUnknownTopic
		}
	}
	return nil
}

func (h *Hub) checkTopics(names []string) error {
	if len(names) == 0 {
		return ErrNoTopics
	}
	for _, n := range names {
		if err := h.checkTopic(n); err != nil {
			return err
		}
	}
	return nil
}

// Subscribe answers req on c with an event-stream response and subscribes
// c to topics. When req carries Last-Event-ID, the events of those topics
// published after that id are sent first, or ResetEvent when they are no
// longer all held. Subscribing a connection again adds topics.
//
// With a Backend the subscription completes in the background; see
// "Across processes".
func (h *Hub) Subscribe(c *connection.TcpConnection, req *http.Request, topics ...string) error {
	if err := h.checkTopics(topics); err != nil {
		return err
	}
	if h.backend != nil {
		return h.subscribeShared(c, req, topics)
	}
	added, err := h.subscribe(c, req, topics)
	if err != nil || !added {
		return err
	}
	// The close hook is registered without h.mu held: on a connection that
	// closed meanwhile it runs at once, and it takes h.mu itself.
	c.AtClose(h.forgetFn)
	return nil
}

// subscribe is Subscribe under h.mu; added reports a new subscriber.
func (h *Hub) subscribe(c *connection.TcpConnection, req *http.Request, topics []string) (added bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false, ErrClosed
	}
	first, known := h.subs[c]
	if !known {
		// Subscribers share one Response (one per origin with CORS):
		// encoding only reads it.
		if err := c.Send(h.headerFor(req)); err != nil {
			return false, err
		}
	}
	last := req.Header("Last-Event-ID")
	var joined []*topic // only needed for a replay
	for _, name := range topics {
		t := h.topicLocked(name)
		if !h.joinLocked(c, t, &first) {
			continue
		}
		if last != "" {
			joined = append(joined, t)
		}
	}
	if !known {
		if h.retry != nil {
			_ = c.SendRaw(h.retry)
		}
		h.startHeartbeatLocked()
	}
	if last != "" {
		h.replayLocked(c, joined, last)
	}
	return !known, nil
}

// joinLocked makes c a subscriber of t, keeping its first topic in subs
// and the others in more; *first is c's first topic so far (nil for a new
// subscriber). It reports whether c was not subscribed to t yet.
func (h *Hub) joinLocked(c *connection.TcpConnection, t *topic, first **topic) bool {
	if _, ok := t.subs[c]; ok {
		return false
	}
	t.subs[c] = struct{}{}
	if *first == nil {
		*first = t
		h.subs[c] = t
	} else {
		h.more[c] = append(h.more[c], t)
	}
	return true
}

// replayLocked sends c the held events of topics newer than last, merged
// in id order, or the reset event when some were evicted.
func (h *Hub) replayLocked(c *connection.TcpConnection, topics []*topic, last string) {
	id, err := strconv.ParseUint(last, 10, 64)
	reset := err != nil || id > h.lastID
	var missed []entry
	for _, t := range topics {
		if reset {
			break
		}
		if t.evicted > id {
			reset = true
			break
		}
		for i := range t.count {
			if e := t.ring[(t.head+i)%len(t.ring)]; e.id > id {
				missed = append(missed, e)
			}
		}
	}
	if reset {
		ev := h.opts.ResetEvent
		ev.ID = strconv.FormatUint(h.lastID, 10)
		if b, err := ev.Encode(); err == nil {
			_ = c.SendRaw(b)
		}
		return
	}
	slices.SortFunc(missed, func(a, b entry) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	for _, e := range missed {
		_ = c.SendRaw(e.event)
	}
}

// Publish sends ev to every subscriber of topic and keeps it for replay.
// The hub assigns the event's id (ev.ID is ignored) and returns it. An
// invalid event (see http.ServerSentEvents) is not sent and returns "" and
// the encoding error.
//
// With a Backend, the backend gives the id, and Publish waits for it:
// see PublishAsync.
func (h *Hub) Publish(topicName string, ev http.ServerSentEvents) (string, error) {
	if err := h.checkTopic(topicName); err != nil {
		return "", err
	}
	if h.backend != nil {
		return h.publishShared(topicName, ev)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return "", ErrClosed
	}
	id := h.lastID + 1
	ev.ID = strconv.FormatUint(id, 10)
	b, err := ev.Encode()
	if err != nil {
		return "", err
	}
	h.lastID = id
	t := h.topicLocked(topicName)
	shared := connection.NewShared(b)
	t.keep(entry{id: id, event: shared}, h.opts.ReplaySize)
	h.sendLocked(t, shared)
	if t.unused() {
		delete(h.topics, topicName)
	}
	return ev.ID, nil
}

// sendLocked sends b to every subscriber of t, applying SlowPolicy.
func (h *Hub) sendLocked(t *topic, b *connection.Shared) {
	for c := range t.subs {
		h.deliverLocked(c, b)
	}
}

func (h *Hub) deliverLocked(c *connection.TcpConnection, b *connection.Shared) {
	err := c.SendRaw(b)
	switch {
	case err == nil:
	case errors.Is(err, connection.ErrSendBufferFull):
		if h.opts.SlowPolicy == DropSubscriber {
			h.removeLocked(c)
			c.Destroy()
		}
	default: // closed or closing: its close hook removes it
	}
}

// unused reports that t may be forgotten: no subscribers, no events held,
// and none dropped that a reconnecting client may have missed (with
// ReplaySize < 0 nothing is held, and a client then needs the reset event).
func (t *topic) unused() bool {
	return len(t.subs) == 0 && t.count == 0 && t.evicted == 0
}

// keep puts e in the topic's replay ring.
func (t *topic) keep(e entry, size int) {
	if size <= 0 {
		t.evicted = e.id
		return
	}
	if t.ring == nil {
		t.ring = make([]entry, size)
	}
	if t.count == len(t.ring) {
		t.evicted = t.ring[t.head].id
		t.ring[t.head] = e
		t.head = (t.head + 1) % len(t.ring)
		return
	}
	t.ring[(t.head+t.count)%len(t.ring)] = e
	t.count++
}

func (h *Hub) topicLocked(name string) *topic {
	t, ok := h.topics[name]
	if !ok {
		t = &topic{name: name, subs: make(map[*connection.TcpConnection]struct{})}
		h.topics[name] = t
	}
	return t
}

// forget is the close hook of every subscribed connection.
func (h *Hub) forget(c *connection.TcpConnection) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(c)
}

// removeLocked forgets subscriber c, if it is one.
func (h *Hub) removeLocked(c *connection.TcpConnection) {
	if h.joining != nil {
		delete(h.joining, c) // its join sees it and gives up
	}
	first, ok := h.subs[c]
	if !ok {
		return
	}
	delete(h.subs, c)
	h.leaveLocked(c, first)
	if more, ok := h.more[c]; ok {
		delete(h.more, c)
		for _, t := range more {
			h.leaveLocked(c, t)
		}
	}
	if len(h.subs) == 0 {
		h.stopHeartbeatLocked()
	}
}

// leaveLocked takes c out of t, and t out of the hub once it holds
// nothing.
func (h *Hub) leaveLocked(c *connection.TcpConnection, t *topic) {
	delete(t.subs, c)
	h.dropIfUnusedLocked(t)
}

// dropIfUnusedLocked forgets t when nothing needs it any more.
func (h *Hub) dropIfUnusedLocked(t *topic) {
	if h.backend == nil {
		if t.unused() {
			delete(h.topics, t.name)
		}
		return
	}
	if len(t.subs) == 0 && t.joining == 0 {
		if t.state == watched {
			h.backend.Unwatch(streamOf(t.name))
		}
		delete(h.topics, t.name)
	}
}

// Unsubscribe removes c from every topic; its connection stays open.
func (h *Hub) Unsubscribe(c *connection.TcpConnection) {
	h.forget(c)
}

// Subscribers is the number of subscribers of topic, or of the whole hub
// when topic is "".
func (h *Hub) Subscribers(topic string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if topic == "" {
		return len(h.subs)
	}
	if t, ok := h.topics[topic]; ok {
		return len(t.subs)
	}
	return 0
}

// LastID is the id of the newest published event ("0" before any). With
// a Backend it is the newest id this hub delivered, over its topics ("" before any).
func (h *Hub) LastID() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.backend != nil {
		return h.newestLocked(nil)
	}
	return strconv.FormatUint(h.lastID, 10)
}

// Close stops the heartbeat, forgets every subscriber and closes their
// connections once their pending events are written.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.stopHeartbeatLocked()
	conns := make([]*connection.TcpConnection, 0, len(h.subs)+len(h.joining))
	for c := range h.subs {
		conns = append(conns, c)
	}
	if h.backend != nil {
		h.cancel()
		for c := range h.joining {
			conns = append(conns, c)
		}
		clear(h.joining)
		for _, t := range h.topics {
			if t.state == watched {
				h.backend.Unwatch(streamOf(t.name))
			}
		}
	}
	h.subs = map[*connection.TcpConnection]*topic{}
	h.more = map[*connection.TcpConnection][]*topic{}
	h.topics = map[string]*topic{}
	h.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	h.joins.Wait()
}

// The heartbeat timer runs only while the hub has subscribers.
func (h *Hub) startHeartbeatLocked() {
	if h.heartbeatID != 0 || h.opts.Heartbeat < 0 {
		return
	}
	h.heartbeatID, _ = systimer.Add(h.opts.Heartbeat, h.beat)
}

func (h *Hub) stopHeartbeatLocked() {
	if h.heartbeatID != 0 {
		id := h.heartbeatID
		h.heartbeatID = 0
		// Deleting from inside the callback would be fine, but beat may be
		// waiting for h.mu right now: delete without waiting for it.
		go systimer.Del(id)
	}
}

// beat runs on the timer goroutine.
func (h *Hub) beat(id timer.ID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.heartbeatID != id {
		return
	}
	h.scratch = h.scratch[:0]
	for c := range h.subs {
		h.scratch = append(h.scratch, c)
	}
	for _, c := range h.scratch {
		h.deliverLocked(c, h.heartbeat)
	}
	clear(h.scratch)
}

package ssehub

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/gnetworker/gnetworker/bus"
	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
)

// This file is the hub's path with a Backend: topics are streams of a
// shared log, events reach this hub's subscribers through the log's sink,
// and a subscriber joins in the background (join), so that an event loop
// never waits for the log.

// watchState is where a topic's watch on the backend stands.
type watchState uint8

const (
	unwatched watchState = iota // nobody watches it (yet, or after a failure)
	watching                    // a join is calling Backend.Watch
	watched                     // its events arrive through the sink
)

// streamPrefix names a topic's stream in the log.
const streamPrefix = "sse:"

func streamOf(topic string) string { return streamPrefix + topic }

// maxReplayRounds bounds the rounds of a replay that keeps being overtaken
// by new events; past it the subscriber gets the reset event.
const maxReplayRounds = 16

// joiner is a subscriber being joined.
type joiner struct {
	topics []string
	last   string         // Last-Event-ID, "" for none
	head   bool           // the response head is still to send
	header *http.Response // the response head, chosen for the request
}

// unavailable answers a subscriber the backend could not join in time.
var unavailable = http.NewResponse(503, map[string]string{"Retry-After": "5", "Content-Type": "text/plain"},
	"event stream unavailable: the hub's backend does not answer\n")

// subscribeShared starts joining c to topics.
func (h *Hub) subscribeShared(c *connection.TcpConnection, req *http.Request, topics []string) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	_, subscribed := h.subs[c]
	_, pending := h.joining[c]
	if pending {
		h.mu.Unlock()
		return ErrJoining
	}
	names := slices.Clone(topics)
	slices.Sort(names)
	j := &joiner{topics: slices.Compact(names), last: req.Header("Last-Event-ID"), head: !subscribed}
	if j.head {
		j.header = h.headerFor(req)
	}
	h.joining[c] = j
	for _, name := range j.topics {
		h.topicLocked(name).joining++
	}
	h.joins.Add(1)
	ctx := h.ctx
	h.mu.Unlock()
	if !subscribed {
		c.AtClose(h.forgetFn)
	}
	go h.join(ctx, c, j)
	return nil
}

// join watches j's topics, reads what c missed, and then, under h.mu,
// sends the head and the missed events and makes c a subscriber, so that
// no event falls between the replay and the live events. When the backend
// does not answer within JoinTimeout, c is answered 503.
func (h *Hub) join(ctx context.Context, c *connection.TcpConnection, j *joiner) {
	defer h.joins.Done()
	ctx, cancel := context.WithTimeout(ctx, h.opts.JoinTimeout)
	defer cancel()
	ok := h.watchAll(ctx, j.topics)
	var replay []bus.Entry
	reset := false
	var cursor []string // per topic, the ID up to which replay was read
	for round := 0; ; round++ {
		if ok && j.last != "" && !reset {
			var more []bus.Entry
			more, cursor, reset, ok = h.readMissed(ctx, j, cursor)
			replay = append(replay, more...)
			if len(replay) > h.opts.ReplaySize {
				reset = true
			}
		}
		h.mu.Lock()
		if ok && !reset && j.last != "" && h.overtakenLocked(j, cursor) && !h.closed && h.joining[c] == j {
			h.mu.Unlock()
			if round+1 < maxReplayRounds {
				continue // events arrived after the replay was read: read on
			}
			h.mu.Lock()
			reset = true
		}
		break
	}
	// h.mu is held.
	defer h.mu.Unlock()
	still := h.joining[c] == j
	if still {
		delete(h.joining, c)
	}
	for _, name := range j.topics {
		h.topics[name].joining--
	}
	if !still || !ok || h.closed {
		for _, name := range j.topics {
			h.dropIfUnusedLocked(h.topics[name])
		}
		if still && j.head && !h.closed {
			_ = c.Send(unavailable)
			_ = c.Close()
		}
		return
	}
	if j.head {
		if err := c.Send(j.header); err != nil {
			for _, name := range j.topics {
				h.dropIfUnusedLocked(h.topics[name])
			}
			return
		}
		if h.retry != nil {
			_ = c.SendRaw(h.retry)
		}
	}
	if reset {
		h.sendResetLocked(c, j.topics)
	} else {
		h.sendReplayLocked(c, replay)
	}
	first := h.subs[c]
	for _, name := range j.topics {
		h.joinLocked(c, h.topics[name], &first)
	}
	h.startHeartbeatLocked()
}

// watchAll makes sure each topic is watched, watching it itself when no
// other join does, and retrying with backoff until ctx ends.
func (h *Hub) watchAll(ctx context.Context, topics []string) bool {
	for _, name := range topics {
		for {
			h.mu.Lock()
			t := h.topics[name]
			switch t.state {
			case watched:
				h.mu.Unlock()
			case watching:
				ready := t.ready
				h.mu.Unlock()
				select {
				case <-ready:
					continue
				case <-ctx.Done():
					return false
				}
			case unwatched:
				t.state, t.ready = watching, make(chan struct{})
				h.mu.Unlock()
				last, err := h.watch(ctx, name)
				h.mu.Lock()
				if err == nil {
					t.state = watched
					if h.backend.Compare(last, t.last) > 0 {
						t.last = last
					}
				} else {
					t.state = unwatched
				}
				close(t.ready)
				h.mu.Unlock()
				if err != nil {
					return false
				}
			}
			break
		}
	}
	return true
}

// watch calls Backend.Watch until it succeeds or ctx ends.
func (h *Hub) watch(ctx context.Context, name string) (string, error) {
	for n := 0; ; n++ {
		last, err := h.backend.Watch(ctx, streamOf(name), h.sinkFn)
		if err == nil {
			return last, nil
		}
		if !sleepCtx(ctx, backoff(n)) {
			return "", ctx.Err()
		}
	}
}

// readMissed reads, for each of j's topics, the events after its cursor
// (j.last at first) up to what the hub delivered so far. reset reports
// that the replay cannot be given: Last-Event-ID is not an ID of the
// log, is newer than any delivered, or events after it are gone.
func (h *Hub) readMissed(ctx context.Context, j *joiner, cursor []string) (got []bus.Entry, upto []string, reset, ok bool) {
	b := h.backend
	if cursor == nil {
		if !b.ValidID(j.last) {
			return nil, nil, true, true
		}
		cursor = make([]string, len(j.topics))
		for i := range cursor {
			cursor[i] = j.last
		}
	}
	upto = make([]string, len(j.topics))
	h.mu.Lock()
	future := true
	for i, name := range j.topics {
		upto[i] = h.topics[name].last
		if b.Compare(j.last, upto[i]) <= 0 {
			future = false
		}
	}
	h.mu.Unlock()
	if future {
		return nil, upto, true, true
	}
	for i, name := range j.topics {
		if b.Compare(cursor[i], upto[i]) >= 0 {
			continue
		}
		for n := 0; ; n++ {
			entries, complete, err := b.Range(ctx, streamOf(name), cursor[i], upto[i], max(h.opts.ReplaySize, 0)+1)
			if err == nil {
				if !complete {
					return nil, upto, true, true
				}
				got = append(got, entries...)
				break
			}
			if !sleepCtx(ctx, backoff(n)) {
				return nil, upto, false, false
			}
		}
	}
	return got, upto, false, true
}

// overtakenLocked reports whether the hub delivered events of j's topics
// after those its replay read up to.
func (h *Hub) overtakenLocked(j *joiner, upto []string) bool {
	for i, name := range j.topics {
		if h.topics[name].last != upto[i] {
			return true
		}
	}
	return false
}

// sendReplayLocked sends c the missed events, merged in ID order.
func (h *Hub) sendReplayLocked(c *connection.TcpConnection, replay []bus.Entry) {
	slices.SortStableFunc(replay, func(x, y bus.Entry) int { return h.backend.Compare(x.ID, y.ID) })
	for _, e := range replay {
		if b, ok := h.encodeEntry(e); ok {
			_ = c.SendRaw(b)
		}
	}
}

// sendResetLocked sends c the reset event, with the newest ID the hub
// delivered on its topics.
func (h *Hub) sendResetLocked(c *connection.TcpConnection, topics []string) {
	ev := h.opts.ResetEvent
	ev.ID = h.newestLocked(topics)
	if b, err := ev.Encode(); err == nil {
		_ = c.SendRaw(b)
	}
}

// newestLocked is the newest ID delivered on the named topics (on all
// when names is nil).
func (h *Hub) newestLocked(names []string) string {
	newest := ""
	consider := func(t *topic) {
		if t != nil && h.backend.Compare(t.last, newest) > 0 {
			newest = t.last
		}
	}
	if names == nil {
		for _, t := range h.topics {
			consider(t)
		}
	}
	for _, name := range names {
		consider(h.topics[name])
	}
	return newest
}

// sink receives the events of the watched topics from the backend.
func (h *Hub) sink(stream string, entries []bus.Entry, gap bool) {
	name := stream[len(streamPrefix):]
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[name]
	if t == nil || t.state == unwatched || h.closed {
		return
	}
	if gap && len(t.subs) > 0 {
		// Events were lost while this node could not read the log: its
		// subscribers start afresh.
		ev := h.opts.ResetEvent
		ev.ID = t.last
		if b, err := ev.Encode(); err == nil {
			h.sendLocked(t, connection.NewShared(b))
		}
	}
	for _, e := range entries {
		if h.backend.Compare(e.ID, t.last) <= 0 {
			continue
		}
		t.last = e.ID
		if len(t.subs) == 0 {
			continue
		}
		if b, ok := h.encodeEntry(e); ok {
			h.sendLocked(t, b)
		}
	}
}

// encodeEntry makes the event of a log entry, with the entry's ID. An
// entry whose fields make no valid event (a newline in its type) is
// skipped.
func (h *Hub) encodeEntry(e bus.Entry) (*connection.Shared, bool) {
	ev := http.ServerSentEvents{ID: e.ID}
	ev.Data, _ = e.Field("data")
	ev.Event, _ = e.Field("event")
	if r, ok := e.Field("retry"); ok {
		if ms, err := strconv.ParseUint(r, 10, 32); err == nil {
			ev.Retry = time.Duration(ms) * time.Millisecond
		}
	}
	b, err := ev.Encode()
	if err != nil {
		return nil, false
	}
	return connection.NewShared(b), true
}

// entryFields are the fields of ev's log entry.
func entryFields(ev http.ServerSentEvents) ([]string, error) {
	ev.ID = ""
	if _, err := ev.Encode(); err != nil {
		return nil, err
	}
	f := []string{"data", ev.Data}
	if ev.Event != "" {
		f = append(f, "event", ev.Event)
	}
	if ev.Retry > 0 {
		f = append(f, "retry", strconv.FormatInt(ev.Retry.Milliseconds(), 10))
	}
	return f, nil
}

// publishShared appends ev to the topic's stream and waits for its ID.
func (h *Hub) publishShared(topic string, ev http.ServerSentEvents) (string, error) {
	type result struct {
		id  string
		err error
	}
	ch := make(chan result, 1)
	if err := h.PublishAsync(topic, ev, func(id string, err error) { ch <- result{id, err} }); err != nil {
		return "", err
	}
	r := <-ch
	return r.id, r.err
}

// PublishAsync publishes like Publish without waiting: done, when not nil,
// is called once with the event's id or the error that kept it from
// subscribers. Without a Backend it is called before PublishAsync
// returns; with one, from another goroutine once the backend stored the
// event. PublishAsync itself returns the errors found at once (an invalid
// topic or event, a closed hub, a backend queue that is full), and done
// is then not called.
func (h *Hub) PublishAsync(topic string, ev http.ServerSentEvents, done func(id string, err error)) error {
	if err := h.checkTopic(topic); err != nil {
		return err
	}
	if h.backend == nil {
		id, err := h.Publish(topic, ev)
		if err != nil {
			return err
		}
		if done != nil {
			done(id, nil)
		}
		return nil
	}
	f, err := entryFields(ev)
	if err != nil {
		return err
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return h.backend.Append(streamOf(topic), f, done)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// backoff is the wait before retry n: doubling from 50 ms to 2 s.
func backoff(n int) time.Duration {
	return min(50*time.Millisecond<<min(n, 6), 2*time.Second)
}

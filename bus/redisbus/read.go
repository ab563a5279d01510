package redisbus

import (
	"cmp"
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gnetworker/gnetworker/bus"
)

// readCount bounds the entries one XREAD returns per stream.
const readCount = 512

// wakeTTL is how long a reader's wake stream outlives its last use.
const wakeTTL = time.Minute

// reader is one goroutine reading a share of the watched streams with
// blocking XREAD on one connection.
type reader struct {
	b       *Bus
	wakeKey string
	kick    chan struct{} // a stream was added while none was watched

	mu      sync.Mutex
	watches map[string]*watch // by stream name
	reading bool              // inside an XREAD that may not include a new stream
}

type watch struct {
	sink bus.Sink
	last string // the last ID delivered, or the place delivery starts after
}

func newReader(b *Bus, n int) *reader {
	return &reader{
		b:       b,
		wakeKey: b.opts.Prefix + "wake:" + b.opts.NodeID + ":" + strconv.Itoa(n),
		kick:    make(chan struct{}, 1),
		watches: make(map[string]*watch),
	}
}

func (b *Bus) readerFor(stream string) *reader {
	if len(b.readers) == 1 {
		return b.readers[0]
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(stream))
	return b.readers[h.Sum32()%uint32(len(b.readers))]
}

// Watch starts delivering stream's new entries to sink; see bus.Log.
func (b *Bus) Watch(ctx context.Context, stream string, sink bus.Sink) (string, error) {
	r := b.readerFor(stream)
	r.mu.Lock()
	if w, ok := r.watches[stream]; ok {
		w.sink = sink
		last := w.last
		r.mu.Unlock()
		return last, nil
	}
	r.mu.Unlock()

	info, err := b.streamInfo(ctx, stream)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	if w, ok := r.watches[stream]; ok { // watched meanwhile
		w.sink = sink
		last := w.last
		r.mu.Unlock()
		return last, nil
	}
	r.watches[stream] = &watch{sink: sink, last: info.last}
	wake := r.reading
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
	if wake {
		// The reader blocks in an XREAD without this stream. If the wake
		// fails, it picks the stream up within Block anyway, from its
		// place: late, not lost.
		r.wake(b.opts.Block)
	}
	return info.last, nil
}

// wake ends the reader's blocking XREAD, if any, with an entry on its wake
// stream, waiting at most timeout for Redis.
func (r *reader) wake(timeout time.Duration) {
	r.mu.Lock()
	reading := r.reading
	r.mu.Unlock()
	if !reading {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	pipe := r.b.rdb.Pipeline()
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: r.wakeKey, MaxLen: 1, ID: "*", Values: []string{"w", "1"}})
	pipe.PExpire(ctx, r.wakeKey, wakeTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		r.b.log.Debug("wake failed", "err", err)
	}
}

// Unwatch stops delivering stream's entries; see bus.Log.
func (b *Bus) Unwatch(stream string) {
	r := b.readerFor(stream)
	r.mu.Lock()
	delete(r.watches, stream)
	r.mu.Unlock()
}

// streamState is what XINFO STREAM tells about a stream's ends.
type streamState struct {
	last    string // last generated ID, "0-0" for no stream
	first   string // first entry's ID, "" when empty
	trimmed bool   // some entry was ever trimmed or deleted
}

func (b *Bus) streamInfo(ctx context.Context, stream string) (streamState, error) {
	info, err := b.rdb.XInfoStream(ctx, b.Key(stream)).Result()
	return stateOf(info, err)
}

func stateOf(info *redis.XInfoStream, err error) (streamState, error) {
	if err != nil {
		if isNoSuchKey(err) {
			return streamState{last: "0-0"}, nil
		}
		return streamState{}, err
	}
	return streamState{
		last:    info.LastGeneratedID,
		first:   info.FirstEntry.ID,
		trimmed: info.EntriesAdded != info.Length,
	}, nil
}

func isNoSuchKey(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && re.Error() == "ERR no such key"
}

// lost reports whether entries after `after` are gone from a stream in
// state s. Trimming takes the oldest entries: when `after` is older than
// the first one held, entries after it may have been taken (it cannot be
// told exactly, so this errs on the side of saying so).
func (s streamState) lost(after string) bool {
	if !s.trimmed {
		return false
	}
	if s.first == "" { // all taken
		return CompareIDs(after, s.last) < 0
	}
	return CompareIDs(after, s.first) < 0
}

// Range returns stream's entries after `after`, up to upto; see bus.Log.
func (b *Bus) Range(ctx context.Context, stream, after, upto string, max int) ([]bus.Entry, bool, error) {
	if upto == "" {
		upto = "+"
	}
	key := b.Key(stream)
	pipe := b.rdb.Pipeline()
	infoCmd := pipe.XInfoStream(ctx, key)
	var rangeCmd *redis.XMessageSliceCmd
	if max > 0 {
		rangeCmd = pipe.XRangeN(ctx, key, "("+after, upto, int64(max))
	} else {
		rangeCmd = pipe.XRange(ctx, key, "("+after, upto)
	}
	_, _ = pipe.Exec(ctx)
	s, err := stateOf(infoCmd.Val(), infoCmd.Err())
	if err != nil {
		return nil, false, err
	}
	msgs, err := rangeCmd.Result()
	if err != nil {
		return nil, false, err
	}
	out := make([]bus.Entry, len(msgs))
	for i, m := range msgs {
		out[i] = bus.Entry{ID: m.ID, Fields: fields(m.Values)}
	}
	return out, !s.lost(after), nil
}

// loop reads the reader's streams until the bus closes.
func (r *reader) loop() {
	b := r.b
	defer b.wg.Done()
	wakeLast := "0-0"
	failures := 0
	check := false // after an outage: look for entries trimmed meanwhile
	var args []string
	for {
		args = args[:0]
		r.mu.Lock()
		for s := range r.watches {
			args = append(args, b.Key(s))
		}
		n := len(args)
		if n > 0 {
			args = append(args, r.wakeKey)
			for i := range n {
				args = append(args, r.watches[args[i][len(b.opts.Prefix):]].last)
			}
			args = append(args, wakeLast)
			r.reading = true
		}
		r.mu.Unlock()
		if n == 0 {
			select {
			case <-r.kick:
				continue
			case <-b.ctx.Done():
				return
			}
		}
		if check {
			if !r.checkGaps(args[:n]) {
				failures++
				if !b.sleep(b.backoff(failures - 1)) {
					return
				}
				continue
			}
			check = false
		}
		res, err := b.rdb.XRead(b.ctx, &redis.XReadArgs{Streams: args, Count: readCount, Block: b.opts.Block}).Result()
		r.mu.Lock()
		r.reading = false
		r.mu.Unlock()
		if b.ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			if failures == 0 {
				b.log.Warn("reading streams failed, retrying", "err", err)
			}
			failures++
			check = true
			if !b.sleep(b.backoff(failures - 1)) {
				return
			}
			continue
		}
		if failures > 0 {
			b.log.Info("reading streams resumed", "after_failures", failures)
			failures = 0
		}
		for _, xs := range res {
			if xs.Stream == r.wakeKey {
				if len(xs.Messages) > 0 {
					wakeLast = xs.Messages[len(xs.Messages)-1].ID
				}
				continue
			}
			r.deliver(xs.Stream[len(b.opts.Prefix):], xs.Messages)
		}
	}
}

// deliver hands a stream's new entries to its sink, if still watched.
func (r *reader) deliver(stream string, msgs []redis.XMessage) {
	r.mu.Lock()
	w, ok := r.watches[stream]
	if !ok {
		r.mu.Unlock()
		return
	}
	// Skip what was delivered already (a watch replaced meanwhile).
	i := 0
	for i < len(msgs) && CompareIDs(msgs[i].ID, w.last) <= 0 {
		i++
	}
	msgs = msgs[i:]
	if len(msgs) == 0 {
		r.mu.Unlock()
		return
	}
	w.last = msgs[len(msgs)-1].ID
	sink := w.sink
	r.mu.Unlock()
	entries := make([]bus.Entry, len(msgs))
	for i, m := range msgs {
		entries[i] = bus.Entry{ID: m.ID, Fields: fields(m.Values)}
	}
	sink(stream, entries, false)
}

// checkGaps tells the sinks of streams whose unread entries were trimmed
// during an outage. keys are the streams' keys. It reports whether Redis
// answered.
func (r *reader) checkGaps(keys []string) bool {
	b := r.b
	pipe := b.rdb.Pipeline()
	cmds := make([]*redis.XInfoStreamCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.XInfoStream(b.ctx, k)
	}
	_, _ = pipe.Exec(b.ctx)
	type gap struct {
		stream string
		sink   bus.Sink
	}
	var gaps []gap
	for i, cmd := range cmds {
		s, err := stateOf(cmd.Val(), cmd.Err())
		if err != nil {
			return false
		}
		stream := keys[i][len(b.opts.Prefix):]
		r.mu.Lock()
		if w, ok := r.watches[stream]; ok && s.lost(w.last) {
			// Go on from the oldest entry held.
			w.last = prevID(s.first, s.last)
			gaps = append(gaps, gap{stream, w.sink})
		}
		r.mu.Unlock()
	}
	slices.SortFunc(gaps, func(x, y gap) int { return cmp.Compare(x.stream, y.stream) })
	for _, g := range gaps {
		b.log.Warn("entries trimmed while unreachable", "stream", g.stream)
		g.sink(g.stream, nil, true)
	}
	return true
}

// prevID is the ID just before first ("" when the stream is empty: then
// last, the last generated ID).
func prevID(first, last string) string {
	if first == "" {
		return last
	}
	ms, seq, _ := parseID(first)
	if seq > 0 {
		return strconv.FormatUint(ms, 10) + "-" + strconv.FormatUint(seq-1, 10)
	}
	if ms == 0 {
		return "0-0"
	}
	return strconv.FormatUint(ms-1, 10) + "-18446744073709551615"
}

// Package redisbus implements bus.Log and bus.Presence on Redis, through
// github.com/redis/go-redis/v9, so that SSE hubs and connection groups on
// many processes and machines act as one. It is not a broker: Redis is.
//
// # Keys
//
// Every key starts with Options.Prefix ("gnetworker:" by default):
//
//	<prefix><stream>           a Redis Stream per bus stream: an SSE topic
//	                           "news" is <prefix>sse:news; group messages
//	                           are <prefix>groups. Trimmed with
//	                           XADD MAXLEN ~ Options.MaxLen.
//	<prefix>wake:<node>:<n>    a one-entry stream that wakes reader n of a
//	                           node when it must read more streams; expires.
//	<prefix>nodes              a sorted set of live nodes, scored by expiry.
//	<prefix>node:<node>        a hash of one node's presence counts; expires
//	                           when the node stops refreshing it.
//
// Entry IDs are Redis Stream IDs ("1733140000000-0"), and anyone who can
// run XADD can append: see package ssehub for the fields an SSE topic's
// entries carry.
//
// # Delivery
//
// Appends wait in a bounded queue (Options.QueueSize) for one writer
// goroutine, which pipelines them to Redis in order. While Redis is
// unreachable it retries with backoff; an entry that could not be written
// within Options.QueueTimeout is reported to its done callback with
// bus.ErrTimeout, and an Append beyond the bound returns bus.ErrQueueFull.
// Nothing is dropped without an error, and nothing is stored twice: every
// entry carries a unique token (TokenField), and appends whose replies
// were lost with their connection are looked for by it before they are
// sent again.
//
// Options.Readers goroutines (one by default) read every watched stream
// with blocking XREAD, each on one connection, whatever the number of
// subscribers. A reader remembers the last ID it delivered for each
// stream: after an outage it goes on from there, so nothing still in the
// stream is lost. When entries it had not read were trimmed meanwhile, its
// sink is told (gap), and the SSE hub sends its reset event.
//
// A node that reads slowly, or not at all, holds up nobody: publishers
// only wait for Redis, and each node reads at its own pace.
//
// # Requirements
//
// Redis 7.0 or newer, one server or a primary with Sentinel (the presence
// scripts touch keys they compute, which Redis Cluster refuses). For
// entries to survive a restart of Redis, enable its persistence
// (appendonly yes).
package redisbus

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gnetworker/gnetworker/bus"
)

// Defaults of Options.
const (
	DefaultPrefix       = "gnetworker:"
	DefaultMaxLen       = 1000
	DefaultQueueSize    = 10000
	DefaultQueueTimeout = 30 * time.Second
	DefaultBlock        = 5 * time.Second
	DefaultPresenceTTL  = 15 * time.Second
	DefaultMaxBackoff   = 2 * time.Second
)

// Options configure a Bus. The zero value gives the defaults.
type Options struct {
	// Prefix starts every key (DefaultPrefix when "").
	Prefix string
	// MaxLen is the approximate number of entries each stream keeps: the
	// replay window of an SSE topic (DefaultMaxLen when 0).
	MaxLen int64
	// QueueSize bounds the appends waiting for Redis (DefaultQueueSize).
	QueueSize int
	// QueueTimeout is how long an append may wait for Redis before it
	// fails with bus.ErrTimeout (DefaultQueueTimeout).
	QueueTimeout time.Duration
	// Readers is the number of reader goroutines, each with one Redis
	// connection for its blocking XREAD; streams are spread over them by
	// name (1 when 0).
	Readers int
	// Block is how long one XREAD waits for entries (DefaultBlock).
	Block time.Duration
	// PresenceTTL is how long a node's presence counts outlive its last
	// refresh; it refreshes them every third of it (DefaultPresenceTTL).
	PresenceTTL time.Duration
	// MaxBackoff caps the wait between retries while Redis is unreachable
	// (DefaultMaxBackoff).
	MaxBackoff time.Duration
	// NodeID names this node (its host name, process id and a random
	// suffix when "").
	NodeID string
	// Logger receives outages and recoveries (slog.Default() when nil).
	Logger *slog.Logger
}

// Bus is a bus.Log and a bus.Presence on one Redis client. Its methods are
// safe for concurrent use.
type Bus struct {
	rdb    redis.UniversalClient
	owned  bool // Close closes rdb
	opts   Options
	log    *slog.Logger
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	appends  chan *appendJob
	tokens   atomic.Uint64 // appends made, for their tokens
	closeMu  sync.RWMutex  // Append holds it shared, Close exclusively
	closed   bool
	readers  []*reader
	presence *presence
}

var (
	_ bus.Log      = (*Bus)(nil)
	_ bus.Presence = (*Bus)(nil)
)

// Dial parses a redis:// or rediss:// URL (see redis.ParseURL) and
// returns a Bus on a client of its own, closed with the Bus. It does not
// wait for Redis: a node may start while Redis is down, and catches up.
func Dial(url string, opts Options) (*Bus, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisbus: %w", err)
	}
	// The bus retries on its own, in order; the client's own retries
	// would resend pipelines behind its back.
	o.MaxRetries = -1
	if o.DialTimeout == 0 {
		o.DialTimeout = 2 * time.Second
	}
	b := New(redis.NewClient(o), opts)
	b.owned = true
	return b, nil
}

// New returns a Bus on rdb, which the caller keeps and closes after the
// Bus. Give it a client whose MaxRetries is -1: the bus retries itself.
func New(rdb redis.UniversalClient, opts Options) *Bus {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.MaxLen <= 0 {
		opts.MaxLen = DefaultMaxLen
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.QueueTimeout <= 0 {
		opts.QueueTimeout = DefaultQueueTimeout
	}
	if opts.Readers <= 0 {
		opts.Readers = 1
	}
	if opts.Block <= 0 {
		opts.Block = DefaultBlock
	}
	if opts.PresenceTTL <= 0 {
		opts.PresenceTTL = DefaultPresenceTTL
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.NodeID == "" {
		opts.NodeID = newNodeID()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bus{
		rdb:     rdb,
		opts:    opts,
		log:     opts.Logger.With("component", "redisbus", "node", opts.NodeID),
		ctx:     ctx,
		cancel:  cancel,
		appends: make(chan *appendJob, opts.QueueSize),
	}
	b.readers = make([]*reader, opts.Readers)
	for i := range b.readers {
		b.readers[i] = newReader(b, i)
	}
	b.presence = newPresence(b)
	b.wg.Add(1 + len(b.readers))
	go b.writeLoop()
	for _, r := range b.readers {
		go r.loop()
	}
	return b
}

// Close stops the bus: queued appends fail with bus.ErrClosed, readers
// stop, and this node's presence counts are removed from Redis (when it
// is reachable). It closes the client when the Bus dialled it.
func (b *Bus) Close() error {
	b.closeMu.Lock()
	if b.closed {
		b.closeMu.Unlock()
		return nil
	}
	b.closed = true
	b.closeMu.Unlock()
	b.cancel()
	// A cancelled context does not end an XREAD blocked in Redis: an entry
	// on each reader's wake stream does.
	for _, r := range b.readers {
		r.wake(time.Second)
	}
	b.wg.Wait()
	if b.presence.started() {
		b.presence.remove()
	}
	if b.owned {
		return b.rdb.Close()
	}
	return nil
}

// NodeID names this node.
func (b *Bus) NodeID() string { return b.opts.NodeID }

// Key is the Redis key of a bus stream.
func (b *Bus) Key(stream string) string { return b.opts.Prefix + stream }

func newNodeID() string {
	host, _ := os.Hostname()
	var r [4]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(r[:]))
}

// Compare orders two stream IDs; an invalid ID is below every valid one.
func (b *Bus) Compare(x, y string) int { return CompareIDs(x, y) }

// ValidID reports whether id is a Redis Stream ID, "<ms>-<seq>".
func (b *Bus) ValidID(id string) bool {
	_, _, ok := parseID(id)
	return ok
}

// CompareIDs orders two Redis Stream IDs as -1, 0 or +1; an invalid ID is
// below every valid one.
func CompareIDs(x, y string) int {
	xm, xs, xok := parseID(x)
	ym, ys, yok := parseID(y)
	switch {
	case !xok || !yok:
		return cmpBool(xok, yok)
	case xm != ym:
		return cmp.Compare(xm, ym)
	}
	return cmp.Compare(xs, ys)
}

func cmpBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}

func parseID(id string) (ms, seq uint64, ok bool) {
	a, b, found := strings.Cut(id, "-")
	if !found {
		return 0, 0, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	return ms, seq, err1 == nil && err2 == nil
}

// transient reports whether err may go away by itself: the network, or
// Redis loading its data or failing over.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		for _, p := range []string{"LOADING", "MASTERDOWN", "READONLY", "TRYAGAIN", "BUSY", "CLUSTERDOWN"} {
			if strings.HasPrefix(msg, p) {
				return true
			}
		}
		return false
	}
	return true
}

// sleep waits d or until the bus closes, and reports whether it is open.
func (b *Bus) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.ctx.Done():
		return false
	}
}

// backoff is the wait before retry n (0-based): doubling from 50 ms up to
// MaxBackoff, with up to a quarter of jitter.
func (b *Bus) backoff(n int) time.Duration {
	d := 50 * time.Millisecond
	for i := 0; i < n && d < b.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, b.opts.MaxBackoff)
	var r [2]byte
	_, _ = rand.Read(r[:])
	return d - d/4 + time.Duration(int64(r[0])<<8|int64(r[1]))*(d/4)/65536
}

// fields turns a stream entry's values into name, value pairs.
func fields(m map[string]any) []string {
	out := make([]string, 0, 2*len(m))
	for k, v := range m {
		s, _ := v.(string)
		out = append(out, k, s)
	}
	return out
}

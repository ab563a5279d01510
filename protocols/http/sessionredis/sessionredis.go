// Package sessionredis stores http sessions in Redis, through
// github.com/redis/go-redis/v9, as workerman's RedisSessionHandler: every
// process (and machine) on one Redis shares the sessions.
//
// # Keys
//
// Session id is the hash <prefix><id> (Options.Prefix, DefaultPrefix by
// default): one field per session key, whose value is the key's encoded
// value. A write applies its request's changes in one MULTI/EXEC
// transaction (DEL when flushed, HDEL, HSET, then PEXPIRE lifetime), so
// concurrent writes of one session each keep their keys and none is
// applied in part. Redis expires sessions itself: GC does nothing.
//
// The handler shares the application's client (a *redis.Client, a
// Sentinel failover client or a cluster client: each session is one key)
// and never closes it. Every method is a network round trip: the
// http.SessionManager calls them off the event loops, except a load by
// Request.Session (use Request.LoadSession with this handler).
package sessionredis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gnetworker/gnetworker/protocols/http"
)

// DefaultPrefix starts every session's key.
const DefaultPrefix = "gnetworker:session:"

// ErrInvalidID is returned for a session id that is not 64 lowercase hex
// digits; Redis is not asked.
var ErrInvalidID = errors.New("sessionredis: invalid session id")

// Options configure a Handler. The zero value gives the defaults.
type Options struct {
	// Prefix starts every session's key (DefaultPrefix when "").
	Prefix string
}

// Handler is an http.SessionHandler on Redis. It is safe for concurrent
// use.
type Handler struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns a handler on rdb, which stays the caller's to close (after
// the http.SessionManager that uses the handler).
func New(rdb redis.UniversalClient, opts Options) *Handler {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	return &Handler{rdb: rdb, prefix: opts.Prefix}
}

// Key returns the Redis key of session id.
func (h *Handler) Key(id string) string { return h.prefix + id }

// Read returns the values of session id (HGETALL), nil when it has none;
// Redis expired it already when its lifetime passed.
func (h *Handler) Read(ctx context.Context, id string, _ time.Duration) (map[string][]byte, error) {
	if !http.ValidSessionID(id) {
		return nil, ErrInvalidID
	}
	m, err := h.rdb.HGetAll(ctx, h.Key(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("sessionredis: %w", err)
	}
	if len(m) == 0 {
		return nil, nil
	}
	data := make(map[string][]byte, len(m))
	for k, v := range m {
		data[k] = []byte(v)
	}
	return data, nil
}

// Write applies ch to session id in one transaction and makes it expire
// lifetime from now (Redis removes a hash left without fields itself).
func (h *Handler) Write(ctx context.Context, id string, ch http.SessionChanges, lifetime time.Duration) error {
	if !http.ValidSessionID(id) {
		return ErrInvalidID
	}
	key := h.Key(id)
	_, err := h.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if ch.Clear {
			p.Del(ctx, key)
		}
		if len(ch.Delete) > 0 {
			p.HDel(ctx, key, ch.Delete...)
		}
		if len(ch.Set) > 0 {
			args := make([]any, 0, 2*len(ch.Set))
			for k, v := range ch.Set {
				args = append(args, k, v)
			}
			p.HSet(ctx, key, args...)
		}
		p.PExpire(ctx, key, lifetime)
		return nil
	})
	if err != nil {
		return fmt.Errorf("sessionredis: %w", err)
	}
	return nil
}

// Destroy deletes session id.
func (h *Handler) Destroy(ctx context.Context, id string) error {
	if !http.ValidSessionID(id) {
		return ErrInvalidID
	}
	if err := h.rdb.Del(ctx, h.Key(id)).Err(); err != nil {
		return fmt.Errorf("sessionredis: %w", err)
	}
	return nil
}

// GC does nothing: Redis expires sessions.
func (h *Handler) GC(context.Context, time.Duration) error { return nil }

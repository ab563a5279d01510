package redisbus

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// presence keeps this node's counts in Redis: a hash per node, and the
// node's expiry in a sorted set of nodes. Counts are sums over the nodes
// whose expiry, by Redis's clock, has not passed.
//
// Its goroutine starts with the first use, so that a node that keeps no
// counts (an SSE hub alone) is not listed.
type presence struct {
	b       *Bus
	hashKey string
	kick    chan struct{}
	once    sync.Once
	run     bool // the goroutine was started (under once)

	mu     sync.Mutex
	counts map[string]int // this node's counts, as the application set them
	dirty  map[string]struct{}
	resync bool // write every count again (Redis lost them)
}

// heartbeat refreshes this node's expiry and its hash's; it returns 0
// when the hash was missing (Redis lost it, or it expired).
var heartbeat = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('PEXPIRE', KEYS[2], ttl)
`)

// countScript sums a field over the hashes of the live nodes but one (the
// caller, which knows its own count better than Redis may yet).
var countScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local sum = 0
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  if node ~= ARGV[3] then
    local v = redis.call('HGET', ARGV[1] .. node, ARGV[2])
    if v then sum = sum + tonumber(v) end
  end
end
return sum
`)

func newPresence(b *Bus) *presence {
	return &presence{
		b:       b,
		hashKey: b.opts.Prefix + "node:" + b.opts.NodeID,
		kick:    make(chan struct{}, 1),
		counts:  make(map[string]int),
		dirty:   make(map[string]struct{}),
	}
}

// start starts the presence goroutine once, unless the bus is closed.
func (p *presence) start() {
	p.once.Do(func() {
		b := p.b
		b.closeMu.RLock()
		defer b.closeMu.RUnlock()
		if b.closed {
			return
		}
		p.run = true
		b.wg.Add(1)
		go p.loop()
	})
}

// started reports whether the presence goroutine was started.
func (p *presence) started() bool {
	p.once.Do(func() {}) // waits for a start in progress
	return p.run
}

// SetCount records this node's count for key; see bus.Presence.
func (b *Bus) SetCount(key string, n int) {
	p := b.presence
	p.start()
	p.mu.Lock()
	if n <= 0 {
		delete(p.counts, key)
	} else {
		p.counts[key] = n
	}
	p.dirty[key] = struct{}{}
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Count sums key's counts over the live nodes; see bus.Presence. This
// node's count is taken as set, written to Redis or not yet.
func (b *Bus) Count(ctx context.Context, key string) (int, error) {
	b.presence.start()
	others, err := countScript.Run(ctx, b.rdb, []string{b.opts.Prefix + "nodes"}, b.opts.Prefix+"node:", key, b.opts.NodeID).Int()
	if err != nil {
		return 0, err
	}
	p := b.presence
	p.mu.Lock()
	own := p.counts[key]
	p.mu.Unlock()
	return others + own, nil
}

// loop writes changed counts as they come and refreshes the node's expiry
// every third of PresenceTTL, until the bus closes.
func (p *presence) loop() {
	b := p.b
	defer b.wg.Done()
	beat := time.NewTicker(b.opts.PresenceTTL / 3)
	defer beat.Stop()
	failures := 0
	due := true // the heartbeat: at once, then on the ticker
	for {
		if due {
			if err := p.beat(); err != nil {
				failures++
				if failures == 1 {
					b.log.Warn("presence refresh failed", "err", err)
				}
			} else {
				due = false
			}
		}
		if err := p.flush(); err != nil {
			failures++
			if failures == 1 {
				b.log.Warn("presence write failed", "err", err)
			}
		} else if !due {
			failures = 0
		}
		if failures > 0 {
			if !b.sleep(b.backoff(failures - 1)) {
				return
			}
			due = true
			continue
		}
		select {
		case <-p.kick:
		case <-beat.C:
			due = true
		case <-b.ctx.Done():
			return
		}
	}
}

// beat refreshes the node's expiry; when Redis lost the node's hash, all
// of its counts are written again by the next flush.
func (p *presence) beat() error {
	b := p.b
	ttl := b.opts.PresenceTTL.Milliseconds()
	kept, err := heartbeat.Run(b.ctx, b.rdb, []string{b.opts.Prefix + "nodes", p.hashKey}, b.opts.NodeID, ttl).Int()
	if err != nil {
		return err
	}
	if kept == 0 {
		p.mu.Lock()
		p.resync = len(p.counts) > 0
		p.mu.Unlock()
	}
	return nil
}

// flush writes the counts changed since the last flush (all of them after
// Redis lost the hash). On failure they stay to write.
func (p *presence) flush() error {
	b := p.b
	p.mu.Lock()
	if len(p.dirty) == 0 && !p.resync {
		p.mu.Unlock()
		return nil
	}
	set := make([]any, 0, 2*len(p.dirty))
	var del []string
	if p.resync {
		for k, n := range p.counts {
			set = append(set, k, strconv.Itoa(n))
		}
	} else {
		for k := range p.dirty {
			if n, ok := p.counts[k]; ok {
				set = append(set, k, strconv.Itoa(n))
			} else {
				del = append(del, k)
			}
		}
	}
	resync := p.resync
	dirty := p.dirty
	p.dirty = make(map[string]struct{})
	p.resync = false
	p.mu.Unlock()

	pipe := b.rdb.TxPipeline()
	if resync {
		pipe.Del(b.ctx, p.hashKey)
	}
	if len(del) > 0 {
		pipe.HDel(b.ctx, p.hashKey, del...)
	}
	if len(set) > 0 {
		pipe.HSet(b.ctx, p.hashKey, set...)
	}
	pipe.PExpire(b.ctx, p.hashKey, b.opts.PresenceTTL)
	if _, err := pipe.Exec(b.ctx); err != nil {
		p.mu.Lock()
		for k := range dirty {
			p.dirty[k] = struct{}{}
		}
		p.resync = p.resync || resync
		p.mu.Unlock()
		return err
	}
	return nil
}

// remove takes this node out of Redis, when it is reachable.
func (p *presence) remove() {
	b := p.b
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	pipe := b.rdb.TxPipeline()
	pipe.ZRem(ctx, b.opts.Prefix+"nodes", b.opts.NodeID)
	pipe.Del(ctx, p.hashKey)
	_, _ = pipe.Exec(ctx)
}

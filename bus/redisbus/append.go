package redisbus

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gnetworker/gnetworker/bus"
)

// appendJob is one entry waiting for the writer.
type appendJob struct {
	stream   string
	fields   []string // the caller's, then TokenField and the token
	done     func(id string, err error)
	deadline time.Time
	unsure   bool // sent once when the connection failed: it may be stored
}

// TokenField is the field, added to every entry a Bus appends, that names
// the append uniquely ("<node>/<n>"). After a connection fails with
// appends in flight, the writer looks for their tokens at the end of their
// streams before sending them again, so that an entry Redis stored but
// could not acknowledge is not stored twice. Readers may ignore it.
const TokenField = "token"

// lookback bounds how far from a stream's end the writer looks for the
// tokens of appends it is unsure of.
const lookback = 4 * maxPipeline

// maxPipeline bounds the appends sent in one round trip.
const maxPipeline = 256

// Append queues an entry for stream; see bus.Log.
func (b *Bus) Append(stream string, fields []string, done func(id string, err error)) error {
	if len(fields) == 0 || len(fields)%2 != 0 {
		return fmt.Errorf("redisbus: an entry needs name, value pairs, got %d strings", len(fields))
	}
	b.closeMu.RLock()
	defer b.closeMu.RUnlock()
	if b.closed {
		return bus.ErrClosed
	}
	f := make([]string, len(fields), len(fields)+2)
	copy(f, fields)
	f = append(f, TokenField, b.opts.NodeID+"/"+strconv.FormatUint(b.tokens.Add(1), 10))
	j := &appendJob{stream: stream, fields: f, done: done, deadline: time.Now().Add(b.opts.QueueTimeout)}
	select {
	case b.appends <- j:
		return nil
	default:
		return bus.ErrQueueFull
	}
}

// writeLoop is the writer goroutine: it sends queued appends in order,
// pipelined, and retries them in order while Redis is unreachable.
func (b *Bus) writeLoop() {
	defer b.wg.Done()
	var pending []*appendJob
	failures := 0
	for {
		if len(pending) == 0 {
			select {
			case j := <-b.appends:
				pending = append(pending, j)
			case <-b.ctx.Done():
				b.failQueued(nil)
				return
			}
		}
	fill:
		for len(pending) < maxPipeline {
			select {
			case j := <-b.appends:
				pending = append(pending, j)
			default:
				break fill
			}
		}
		if pending[0].unsure {
			found, err := b.settle(pending)
			if err != nil {
				failures++
				pending = b.expire(pending, err)
				if !b.sleep(b.backoff(failures - 1)) {
					b.failQueued(pending)
					return
				}
				continue
			}
			clear(pending[:found])
			pending = pending[found:]
			if len(pending) == 0 {
				continue
			}
		}
		sent, err := b.writeBatch(pending)
		clear(pending[:sent])
		pending = pending[sent:]
		if err == nil {
			if failures > 0 {
				b.log.Info("appends resumed", "after_failures", failures)
			}
			failures = 0
			continue
		}
		if failures == 0 {
			b.log.Warn("appends waiting for Redis", "err", err, "queued", len(pending)+len(b.appends))
		}
		failures++
		pending = b.expire(pending, err)
		if !b.sleep(b.backoff(failures - 1)) {
			b.failQueued(pending)
			return
		}
	}
}

// writeBatch pipelines jobs' XADDs. It completes the jobs up to the first
// one that failed for a reason that may pass, and returns how many it
// completed and that reason.
func (b *Bus) writeBatch(jobs []*appendJob) (int, error) {
	pipe := b.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(jobs))
	for i, j := range jobs {
		cmds[i] = pipe.XAdd(b.ctx, &redis.XAddArgs{
			Stream: b.Key(j.stream),
			MaxLen: b.opts.MaxLen,
			Approx: true,
			ID:     "*",
			Values: j.fields,
		})
	}
	_, _ = pipe.Exec(b.ctx)
	for i, cmd := range cmds {
		id, err := cmd.Result()
		if transient(err) {
			for _, j := range jobs[i:] {
				j.unsure = true
			}
			return i, err
		}
		if done := jobs[i].done; done != nil {
			if err != nil {
				err = fmt.Errorf("redisbus: XADD %s: %w", b.Key(jobs[i].stream), err)
			}
			done(id, err)
		}
	}
	return len(jobs), nil
}

// settle completes the leading jobs that Redis stored before a failure
// kept it from saying so, found by their tokens, and returns how many.
// Appends on one connection are applied in order, so those stored are a
// prefix of the jobs that were in flight.
func (b *Bus) settle(jobs []*appendJob) (int, error) {
	n := 0
	for n < len(jobs) && jobs[n].unsure {
		n++
	}
	unsure := jobs[:n]
	pipe := b.rdb.Pipeline()
	tails := make(map[string]*redis.XMessageSliceCmd)
	for _, j := range unsure {
		if _, ok := tails[j.stream]; !ok {
			tails[j.stream] = pipe.XRevRangeN(b.ctx, b.Key(j.stream), "+", "-", lookback)
		}
	}
	if _, err := pipe.Exec(b.ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, err
	}
	stored := make(map[string]string) // token -> ID
	for _, cmd := range tails {
		for _, m := range cmd.Val() {
			if tok, ok := m.Values[TokenField].(string); ok {
				stored[tok] = m.ID
			}
		}
	}
	found := 0
	for _, j := range unsure {
		id, ok := stored[j.fields[len(j.fields)-1]]
		if !ok {
			break
		}
		if j.done != nil {
			j.done(id, nil)
		}
		found++
	}
	for _, j := range unsure[found:] {
		j.unsure = false // not stored: send again
	}
	return found, nil
}

// expire fails the jobs whose deadline passed, keeping the others in order.
func (b *Bus) expire(jobs []*appendJob, cause error) []*appendJob {
	now := time.Now()
	kept := jobs[:0]
	for _, j := range jobs {
		if now.Before(j.deadline) {
			kept = append(kept, j)
			continue
		}
		if j.done != nil {
			j.done("", fmt.Errorf("%w (stream %s): %v", bus.ErrTimeout, j.stream, cause))
		}
	}
	clear(jobs[len(kept):])
	return kept
}

// failQueued fails pending and every queued job with bus.ErrClosed.
func (b *Bus) failQueued(pending []*appendJob) {
	fail := func(j *appendJob) {
		if j.done != nil {
			j.done("", bus.ErrClosed)
		}
	}
	for _, j := range pending {
		fail(j)
	}
	for {
		select {
		case j := <-b.appends:
			fail(j)
		default:
			return
		}
	}
}

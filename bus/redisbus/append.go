package redisbus

import (
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gnetworker/gnetworker/bus"
)

// appendJob is one entry waiting for the writer.
type appendJob struct {
	stream   string
	fields   []string
	done     func(id string, err error)
	deadline time.Time
}

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
	j := &appendJob{stream: stream, fields: fields, done: done, deadline: time.Now().Add(b.opts.QueueTimeout)}
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

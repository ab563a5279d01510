package http

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/timer"
)

// A connection has one deadline at a time, for whichever phase it is in:
//
//	accepted, no request yet       header: HeaderTimeout from accept
//	a request's head arriving      header: from accept, or from its first byte
//	                               on a keep-alive connection
//	a request's body arriving      body: BodyTimeout from the end of the head
//	                               plus 1 s per BodyMinRate bytes received,
//	                               and at most IdleTimeout of silence
//	answered, keep-alive           idle: IdleTimeout from the response's end
//	being answered, streaming      none: the application decides
//
// Empty lines between requests are silence: they move no deadline.

// timeoutKind says which timeout a deadline runs.
type timeoutKind uint8

const (
	timeoutNone timeoutKind = iota
	timeoutHeader
	timeoutBody
	timeoutIdle
)

// deadline is a connection's one timeout on the timing wheel. Moving it
// later (every keep-alive request does) only stores a number: when the wheel
// timer fires early it re-arms itself for the rest, so requests cost no
// wheel operations. When it expires the connection is closed (codec.expire).
type deadline struct {
	at       atomic.Int64 // expiry in Unix nanoseconds; 0 when disarmed
	fireAt   atomic.Int64 // when the scheduled wheel timer fires
	id       atomic.Uint64
	released atomic.Bool
	kind     timeoutKind // under the codec lock
}

func (d *deadline) armedFor(k timeoutKind) bool { return d.kind == k && d.at.Load() != 0 }

// armFor sets the connection's deadline to dur from now, or disarms it
// when dur is negative (the timeout is disabled).
func (c *codec) armFor(k timeoutKind, dur time.Duration) {
	if dur <= 0 {
		c.timeout.disarm()
		return
	}
	now := deadlineNow(dur)
	c.armAt(k, now+int64(dur), now)
}

// armBody sets the body deadline for a body of which received bytes have
// arrived: mod_reqtimeout's body=BodyTimeout,MinRate=BodyMinRate, and no
// more than IdleTimeout of silence.
func (c *codec) armBody(received int64) {
	now := time.Now().UnixNano()
	p := c.parser
	if p.bodyStart == 0 {
		p.bodyStart = now
	}
	at := int64(math.MaxInt64)
	if bt := c.proto.bodyTimeout(); bt > 0 {
		at = p.bodyStart + int64(bt)
		if rate := c.proto.bodyMinRate(); rate > 0 && received > 0 {
			at += min(received, math.MaxInt64/int64(time.Second)) * int64(time.Second) / rate
		}
	}
	if it := c.proto.idleTimeout(); it > 0 {
		at = min(at, now+int64(it))
	}
	if at == math.MaxInt64 {
		c.timeout.disarm()
		return
	}
	c.armAt(timeoutBody, at, now)
}

// armAt sets the connection's deadline to at (Unix nanoseconds), now being
// the current time. Moving it later only stores the new time.
func (c *codec) armAt(k timeoutKind, at, now int64) {
	d := &c.timeout
	d.kind = k
	d.at.Store(at)
	if id := d.id.Load(); id != 0 {
		if d.fireAt.Load() <= at {
			return // the scheduled timer fires first and re-arms
		}
		if d.id.CompareAndSwap(id, 0) {
			systimer.Del(timer.ID(id))
		}
	}
	c.schedule(time.Duration(max(at-now, 0)))
}

// deadlineNow is the time to count a timeout of dur from, in Unix
// nanoseconds. Timeouts of seconds need no finer clock than the Date
// header's cached second (reading the clock costs ~50 ns here, per
// response); short ones read it.
func deadlineNow(dur time.Duration) int64 {
	if dur >= 5*time.Second {
		return currentDate().unix * int64(time.Second)
	}
	return time.Now().UnixNano()
}

func (d *deadline) disarm() {
	d.kind = timeoutNone
	d.at.Store(0)
}

func (c *codec) schedule(dur time.Duration) {
	d := &c.timeout
	d.fireAt.Store(time.Now().Add(dur).UnixNano())
	id, err := systimer.Once(dur, c.expire)
	if err != nil {
		return
	}
	if !d.id.CompareAndSwap(0, uint64(id)) {
		systimer.Del(id) // another timer is scheduled already
		return
	}
	if d.released.Load() && d.id.CompareAndSwap(uint64(id), 0) {
		systimer.Del(id) // the connection closed meanwhile
	}
}

// expire runs on the timer goroutine: it closes the connection once the
// deadline has passed, or re-arms for the rest when it was moved later.
func (c *codec) expire(id timer.ID) {
	d := &c.timeout
	if !d.id.CompareAndSwap(uint64(id), 0) || d.released.Load() {
		return
	}
	at := d.at.Load()
	if at == 0 {
		return
	}
	if now := time.Now().UnixNano(); now < at {
		c.schedule(time.Duration(at - now))
		return
	}
	c.conn.CloseAsync()
}

// cancel disarms d and takes its timer off the wheel.
func (d *deadline) cancel() {
	d.disarm()
	if id := d.id.Swap(0); id != 0 {
		systimer.Del(timer.ID(id))
	}
}

func (d *deadline) release() {
	d.released.Store(true)
	d.at.Store(0)
	if id := d.id.Swap(0); id != 0 {
		systimer.Del(timer.ID(id))
	}
}

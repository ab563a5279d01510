package connection

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/timer"
)

// A send made outside a connection's own callbacks (from another
// goroutine, a timer, or another connection's callback, as when a hub
// broadcasts) stages its bytes and must get the connection's event loop to
// write them. Waking each connection separately costs one gnet task per
// connection: a broadcast to 10,000 subscribers queued 10,000 of them, and
// gnet drains low-priority tasks beyond 1,024 only 256 per loop iteration.
// Instead each loop has a flushQueue: the first send that needs the loop
// queues one task, and that task writes every connection staged meanwhile.
//
// The task runs its whole batch before the loop polls again, as gnet's own
// high-priority AsyncWrite tasks do: during a broadcast to 10,000
// connections a loop's other traffic waits for about as long as the
// broadcast's writes take (some 100 ms here).

// flushQueue lists the connections of one event loop whose staged output
// or pending close waits for the loop, and the send reports (OnBufferFull,
// OnError) to run there.
type flushQueue struct {
	loop     gnet.EventLoop
	messages atomic.Uint64 // dispatched on this loop; only the loop adds

	mu           sync.Mutex
	conns        []*TcpConnection
	spare        []*TcpConnection // the last batch's slice, reused
	reports      []sendReport
	spareReports []sendReport
	queued       bool // a task is on its way to the loop

	// Pipe destinations waiting for gnet to drain their output, run
	// together every millisecond (TcpConnection.startPoll).
	drains     []*TcpConnection
	drainArmed bool // the drain timer is set
}

// watchDrain has c run within a millisecond, with the loop's other pipe
// destinations waiting for a drain.
func (q *flushQueue) watchDrain(c *TcpConnection) {
	q.mu.Lock()
	q.drains = append(q.drains, c)
	arm := !q.drainArmed
	q.drainArmed = true
	q.mu.Unlock()
	if arm {
		if _, err := systimer.Once(time.Millisecond, q.drainTick); err != nil {
			q.mu.Lock()
			q.drainArmed = false
			q.mu.Unlock()
		}
	}
}

// drainTick queues the watched pipe destinations for the loop.
func (q *flushQueue) drainTick(timer.ID) {
	q.mu.Lock()
	q.drainArmed = false
	q.conns = append(q.conns, q.drains...)
	clear(q.drains)
	q.drains = q.drains[:0]
	q.scheduleLocked()
}

// sendReport is what a send has to tell the application: its send buffer
// became full, or the send failed.
type sendReport struct {
	c    *TcpConnection
	full bool  // OnBufferFull
	err  error // OnError(CodeSendFail, err) when not nil
}

// flushQueues is a group's queues, one per event loop, indexed by the
// connections' workerID. It is replaced, never changed, once published.
type flushQueues []*flushQueue

// queueFor returns the flush queue of loop, whose index is id, creating it
// when the loop is new (the worker's first connection on it, or a restart
// with new loops).
func (g *group) queueFor(id int, loop gnet.EventLoop) *flushQueue {
	if g.home != nil {
		return g.home.queueFor(id, loop)
	}
	if q := g.queueOf(id, loop); q != nil {
		return q
	}
	g.queuesMu.Lock()
	defer g.queuesMu.Unlock()
	if q := g.queueOf(id, loop); q != nil {
		return q // created meanwhile
	}
	var next flushQueues
	if qs := g.queues.Load(); qs != nil {
		next = append(next, *qs...)
	}
	for len(next) <= id {
		next = append(next, nil)
	}
	q := &flushQueue{loop: loop}
	next[id] = q
	g.queues.Store(&next)
	return q
}

// queueOf is the published queue of loop at index id, or nil.
func (g *group) queueOf(id int, loop gnet.EventLoop) *flushQueue {
	if qs := g.queues.Load(); qs != nil && id < len(*qs) && (*qs)[id] != nil && (*qs)[id].loop == loop {
		return (*qs)[id]
	}
	return nil
}

// flushQueue is the queue of c's loop, or nil for a connection built
// outside a worker.
func (c *TcpConnection) flushQueue() *flushQueue {
	g := c.group
	if g.home != nil {
		g = g.home
	}
	qs := g.queues.Load()
	if qs == nil || int(c.workerID) >= len(*qs) {
		return nil
	}
	return (*qs)[c.workerID]
}

// wakeLoop gets c's loop to run c: through its loop's flush queue, or with a
// plain Wake when there is none.
func (c *TcpConnection) wakeLoop() {
	if q := c.flushQueue(); q != nil {
		q.mu.Lock()
		q.conns = append(q.conns, c)
		q.scheduleLocked()
		return
	}
	_ = c.gc.Wake(nil)
}

// report tells the application what a send found: OnBufferFull when full,
// OnError(CodeSendFail, err) when err is not nil. Both run on c's event
// loop, like every other callback of c, after the send returned: a sender
// holding a lock of its own (a hub broadcasting) is never called back
// under it, and a callback never runs on two goroutines for one
// connection at once.
func (c *TcpConnection) report(full bool, err error) {
	if err != nil {
		if g := c.group.home; g != nil {
			g.sendFailures.Add(1)
		} else {
			c.group.sendFailures.Add(1)
		}
	}
	ev := c.events()
	full = full && ev.OnBufferFull != nil
	if err != nil && ev.OnError == nil {
		err = nil
	}
	if !full && err == nil {
		return
	}
	if q := c.flushQueue(); q != nil {
		q.mu.Lock()
		q.reports = append(q.reports, sendReport{c: c, full: full, err: err})
		q.scheduleLocked()
		return
	}
	c.runReport(full, err)
}

func (c *TcpConnection) runReport(full bool, err error) {
	if full {
		c.call("OnBufferFull", func() { c.events().OnBufferFull(c) })
	}
	if err != nil {
		c.call("OnError", func() { c.events().OnError(c, CodeSendFail, err) })
	}
}

// scheduleLocked queues the loop's task unless one is on its way, and
// unlocks q.mu.
func (q *flushQueue) scheduleLocked() {
	first := !q.queued
	q.queued = true
	q.mu.Unlock()
	if !first {
		return
	}
	if err := q.loop.Execute(context.Background(), q); err != nil {
		// The engine is shutting down: it closes every connection itself.
		q.mu.Lock()
		clear(q.conns)
		q.conns = q.conns[:0]
		clear(q.reports)
		q.reports = q.reports[:0]
		q.queued = false
		q.mu.Unlock()
	}
}

// Run is the loop's task: it runs every listed connection as a Wake would
// (gnet.Runnable).
func (q *flushQueue) Run(context.Context) error {
	q.mu.Lock()
	batch, reports := q.conns, q.reports
	q.conns, q.spare = q.spare, nil
	q.reports, q.spareReports = q.spareReports, nil
	q.queued = false
	q.mu.Unlock()
	for i, r := range reports {
		reports[i] = sendReport{}
		if r.c.closed {
			continue
		}
		if _, woke := r.c.enter(); woke { // sends from the callbacks are written by leave
			r.c.wakeTransport() // not this run's to serve: keep it for the next
		}
		r.c.runReport(r.full, r.err)
		q.act(r.c, r.c.leave())
	}
	for i, c := range batch {
		batch[i] = nil
		if c.closed {
			continue // its gnet connection is gone
		}
		if c.pollID == watchingDrain {
			c.pollID = 0 // run now: leave watches again if it must
		}
		q.act(c, c.run(nil))
	}
	q.mu.Lock()
	if q.spare == nil {
		q.spare = batch[:0]
	}
	if q.spareReports == nil {
		q.spareReports = reports[:0]
	}
	q.mu.Unlock()
	return nil
}

// act carries out what running c on the loop decided, as gnet does with
// the action a callback returns.
func (q *flushQueue) act(c *TcpConnection, a gnet.Action) {
	if a == gnet.Close && !c.closed {
		_ = q.loop.Close(c.gc)
	}
}

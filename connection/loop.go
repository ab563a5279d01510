package connection

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/timer"
)

// This file holds what runs on the connection's event loop. The worker's
// gnet event handler calls the handle* methods through package glue;
// nothing else may.

// handleOpen runs the OnConnect callback c's worker gives it and writes what
// it sent. The worker calls it from gnet's OnOpen.
func (c *TcpConnection) handleOpen(onConnect func(*TcpConnection)) gnet.Action {
	c.enter()
	if onConnect != nil {
		c.call("OnConnect", func() { onConnect(c) })
	}
	return c.leave()
}

// handleTraffic reads what gnet received, dispatches every complete
// package, and writes what was sent meanwhile. The worker calls it from
// gnet's OnTraffic, which also runs after every Wake.
func (c *TcpConnection) handleTraffic() gnet.Action {
	buf, _ := c.gc.Next(-1)
	if len(buf) > 0 {
		c.bytesRead.Add(uint64(len(buf)))
	}
	return c.run(buf)
}

// run is handleTraffic once gnet's input is taken. The loop's flush queue
// calls it with none: gnet holds no input between reads, since
// handleTraffic takes all of it every time.
func (c *TcpConnection) run(buf []byte) gnet.Action {
	discarding, transportWoke := c.enter()
	if c.closeAsked.Load() && c.Status() == StatusEstablished {
		c.mu.Lock()
		c.setStatus(StatusClosing)
		c.closeAfterFlush = true
		c.closeDeadline = c.closeDeadlineFromNow()
		c.mu.Unlock()
	}
	var plain *[]byte
	var peerEnded bool
	if t := c.transport(); t != nil && (len(buf) > 0 || transportWoke) {
		var open bool
		if buf, plain, open, peerEnded = c.receive(t, buf); !open {
			putBuffer(plain)
			return gnet.None // closed inside the reply's Write
		}
		if ac := c.Async(); ac != nil {
			ac.connectedOverTLS(c)
		}
	}
	switch {
	case c.Status() != StatusEstablished || discarding:
		// Closing, or ending after what is owed: nothing more is parsed,
		// so what the peer still sends is dropped as it arrives (gnet
		// cannot pause reading). Keeping it would let a peer that sends
		// without reading grow the process.
		putBuffer(c.in)
		c.in = nil
	case len(buf) > 0 || c.in != nil:
		c.readInput(buf)
	}
	putBuffer(plain)
	if peerEnded {
		c.CloseWhenIdle() // after answering what came before the end
	}
	return c.leave()
}

// handleClose marks the connection closed, releases its buffers and timers
// and runs OnClose, then lets the codec release what it holds. The worker
// calls it from gnet's OnClose.
func (c *TcpConnection) handleClose() {
	if c.closed {
		return
	}
	c.closed = true
	c.closeDown()
}

// closeDown is handleClose once the socket is gone, and all of the close
// of an outbound connection whose connect failed.
func (c *TcpConnection) closeDown() {
	ac := c.Async()
	if ac != nil {
		if ac.tlsPending && c.events().OnError != nil {
			ac.tlsPending = false
			err := fmt.Errorf("connect to %s failed: %w", ac.spec.URI, ErrClosedInHandshake)
			c.call("OnError", func() { c.events().OnError(c, CodeConnectFail, err) })
		}
		ac.beginClose()
	}
	c.mu.Lock()
	c.setStatus(StatusClosed)
	c.dropOutLocked()
	c.inCallback = true // nothing may wake a released gnet connection
	c.mu.Unlock()
	c.stopPoll()
	putBuffer(c.in)
	c.in = nil
	if t := c.transport(); t != nil {
		t.Close()
	}
	if c.events().OnClose != nil {
		c.call("OnClose", func() { c.events().OnClose(c) })
	}
	c.closedFlow()
	c.mu.Lock()
	hook := c.closeHook
	c.closeHook = nil
	c.mu.Unlock()
	if hook != nil {
		c.call("OnClose", func() { hook(c) })
	}
	c.mu.Lock()
	if r, ok := c.codec.(protocols.Releaser); ok {
		r.Release()
	}
	c.mu.Unlock()
	if ac != nil {
		ac.endClose()
	}
}

// enter marks the loop as running the connection: sends from now on only
// stage their bytes, and leave writes them.
func (c *TcpConnection) enter() (discarding, transportWoke bool) {
	c.mu.Lock()
	c.inCallback = true
	c.wakeQueued = false
	discarding = c.discardIn
	if w := c.transportWakeLocked(); w != nil {
		transportWoke, *w = *w, false
	}
	c.mu.Unlock()
	return discarding, transportWoke
}

// readInput frames buf (appended to what was kept from earlier reads) into
// packages and dispatches them in order.
func (c *TcpConnection) readInput(buf []byte) {
	data := buf
	owned := c.in != nil
	if owned {
		*c.in = append(*c.in, buf...)
		data = *c.in
	}
	off := 0
	for off < len(data) && c.Status() == StatusEstablished && !c.recvPaused() {
		if dest := c.passthroughPipe(); dest != nil {
			// Bytes as they came: forwarded from the read buffer,
			// copied once, into dest's output.
			c.pipeSend(dest, data[off:])
			off = len(data)
			break
		}
		msg, n, err := c.nextMessage(data[off:])
		if err != nil {
			c.fail(CodeProtocol, err)
			break
		}
		if n == 0 {
			break
		}
		off += n
		if msg != nil { // nil: the codec absorbed a piece (protocols.Codec)
			c.dispatch(msg)
		}
	}
	rest := data[off:]
	c.mu.Lock()
	stalled := c.stalled // SwitchProtocol writes it from any goroutine
	c.mu.Unlock()
	switch {
	case stalled && (len(rest) > MaxStalledInput || len(rest) > c.MaxPackageSize()):
		// Waiting behind an owed response: that response still goes out.
		c.overflowStall()
	case len(rest) > c.MaxPackageSize() && c.Status() == StatusEstablished:
		c.fail(CodeProtocol, ErrPackageTooLarge)
	}
	if c.Status() != StatusEstablished || c.discarding() {
		rest = nil // what is left will never be parsed
	}
	switch {
	case owned:
		*c.in = (*c.in)[:copy(*c.in, rest)]
	case len(rest) > 0:
		c.in = getBuffer(len(rest))
		*c.in = append(*c.in, rest...)
	}
	if c.in != nil && len(*c.in) == 0 {
		putBuffer(c.in)
		c.in = nil
	}
}

// MaxStalledInput bounds what a connection keeps of its peer's input
// while its request/response protocol cannot take more (a response is
// owed: a handler answers later, or a stream runs). gnet reads on
// regardless, and the bytes wait unparsed; past this bound the connection
// ends after what it owes (protocols.Drainer) and drops further input, or
// closes at once when its protocol has no such boundary.
const MaxStalledInput = 64 << 10

// discarding reports that input is dropped (see MaxStalledInput).
func (c *TcpConnection) discarding() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.discardIn
}

// overflowStall ends a connection whose stalled input went over
// MaxStalledInput.
func (c *TcpConnection) overflowStall() {
	c.mu.Lock()
	d, ok := c.codec.(protocols.Drainer) // under mu: SwitchProtocol changes it
	if !ok {
		c.mu.Unlock()
		c.fail(CodeProtocol, ErrPackageTooLarge)
		return
	}
	final, idle := d.Drain()
	c.stageLocked(final)
	c.discardIn = true
	if idle {
		c.setStatus(StatusClosing)
		c.closeAfterFlush = true
		c.closeDeadline = c.closeDeadlineFromNow()
	}
	c.mu.Unlock()
}

// nextMessage asks the codec for the next package in data and decodes it:
// n == 0 means more bytes are needed (or the codec is not Ready).
func (c *TcpConnection) nextMessage(data []byte) (msg any, n int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// A request/response codec must also not dispatch while the send
	// buffer is full: the answer's Send would fail and the request stay
	// owed forever (a client pipelining faster than it reads would hang).
	if c.seq != nil && (!c.seq.Ready() || c.full) {
		c.stalled = true
		return nil, 0, nil
	}
	c.stalled = false
	n, err = c.codec.Input(data)
	switch {
	case err != nil:
		return nil, 0, err
	case n == 0:
		if c.seq != nil {
			c.stageLocked(c.seq.Interim())
		}
		return nil, 0, nil
	case n > len(data):
		return nil, 0, fmt.Errorf("connection: codec measured %d bytes of %d", n, len(data))
	case n > c.MaxPackageSize():
		return nil, 0, ErrPackageTooLarge
	}
	msg, err = c.codec.Decode(data[:n])
	if r, ok := c.codec.(protocols.Responder); ok {
		c.stageLocked(r.Reply())
	}
	return msg, n, err
}

// dispatch hands one message to OnMessage, or to the handler of the
// protocol the connection switched to.
func (c *TcpConnection) dispatch(msg any) {
	if f := c.flowOf(); f != nil {
		if dest := f.pipeTo.Load(); dest != nil {
			c.pipeSend(dest, msg)
			return
		}
	}
	h := c.handlerFor()
	if h == nil {
		return
	}
	if q := c.flushQueue(); q != nil {
		q.messages.Add(1)
	}
	c.call("OnMessage", func() { h(c, msg) })
}

// fail reports a protocol error, queues the codec's reply if it has one and
// closes the connection once that is written.
func (c *TcpConnection) fail(code int, err error) {
	if c.closed {
		return // OnClose ran: nothing more is reported
	}
	var cf protocols.ConnectFailure
	if code == CodeProtocol && errors.As(err, &cf) && cf.ConnectFailure() {
		code = CodeConnectFail // a handshake refused: it never connected
	}
	if ac := c.Async(); ac != nil && code == CodeConnectFail {
		ac.tlsPending = false // told now: not again at close
	}
	c.mu.Lock()
	var r protocols.Replier
	if errors.As(err, &r) {
		c.stageLocked(r.Reply())
	}
	c.setStatus(StatusClosing)
	c.closeAfterFlush = true
	c.closeDeadline = c.closeDeadlineFromNow()
	c.mu.Unlock()
	if c.events().OnError != nil {
		c.call("OnError", func() { c.events().OnError(c, code, err) })
	}
}

// call runs a callback, recovering a panic: it is reported and the
// connection closed, after the codec's failure reply (HTTP's 500) if a
// reply was owed.
func (c *TcpConnection) call(where string, fn func()) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		stack := debug.Stack()
		if c.events().OnPanic != nil {
			func() {
				defer func() { _ = recover() }()
				c.events().OnPanic(c, where, v, stack)
			}()
		}
		c.mu.Lock()
		if f, ok := c.codec.(protocols.FailureReplier); ok && c.Status() == StatusEstablished {
			c.stageLocked(f.FailureReply())
		}
		c.mu.Unlock()
		err := fmt.Errorf("connection: panic in %s: %v", where, v)
		if where != "OnError" && c.events().OnError != nil {
			c.call("OnError", func() { c.events().OnError(c, CodePanic, err) })
		}
		if where != "OnClose" {
			_ = c.Close()
		}
	}()
	fn()
}

// leave writes the staged output and decides what happens next: nothing,
// a close now that everything is written, or a poll until gnet drains.
func (c *TcpConnection) leave() gnet.Action {
	for {
		c.mu.Lock()
		if c.out != nil && len(*c.out) == 0 {
			c.dropOutLocked() // a send that failed to encode left it empty
		}
		if c.out == nil {
			break // with the lock held
		}
		out, shared := c.out, c.outShared
		c.out, c.outShared = nil, false
		// Until Write returns and gnet is asked again below, these bytes
		// still count in BufferedOutput: it must not dip to 0 while they
		// are in flight, or a sender pacing itself by it overshoots. (The
		// full check leaves them out: they are normally written at once.)
		n := len(*out)
		c.inFlight = clampInt32(int(c.inFlight) + n)
		c.mu.Unlock()
		err := c.write(*out)
		if !shared {
			putBuffer(out)
		}
		if err != nil || c.closed {
			return gnet.None // gnet closed the connection inside Write
		}
		c.bytesWritten.Add(uint64(n))
	}
	c.inCallback = false
	c.gnetBuffered = clampInt32(c.gc.OutboundBuffered() + c.transportPending())
	c.inFlight = 0
	drained := c.full && c.gnetBuffered == 0
	if drained {
		c.full = false
	}
	closing := c.closeAfterFlush
	closeNow := closing && (c.gnetBuffered == 0 || time.Now().UnixNano() > c.closeDeadline)
	// Poll while gnet holds anything, not only when full or closing:
	// BufferedOutput must keep reporting the truth as the peer drains, or a
	// sender that waits for it to fall (the HTTP file pump waits for half
	// of MaxSendBufferSize, below "full") would wait forever.
	waiting := c.gnetBuffered > 0
	resume := c.stalled && c.seq.Ready() && !c.full && !closing
	if w := c.transportWakeLocked(); w != nil && *w {
		resume = true
	}
	if resume {
		c.wakeQueued = true
	}
	c.mu.Unlock()

	if drained {
		c.drainedFlow()
	}
	if drained && c.events().OnBufferDrain != nil {
		c.call("OnBufferDrain", func() { c.events().OnBufferDrain(c) })
		if c.pendingOutput() {
			return c.leave()
		}
	}
	if closeNow {
		c.sayGoodbye()
		return gnet.Close
	}
	if waiting {
		c.startPoll()
	} else {
		c.resetPoll()
	}
	if c.syncRecv() && !resume {
		resume = true // input kept while paused waits for dispatch
		c.mu.Lock()
		c.wakeQueued = true
		c.mu.Unlock()
	}
	if resume {
		_ = c.gc.Wake(nil)
	}
	return gnet.None
}

func (c *TcpConnection) pendingOutput() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stagedLocked() > 0
}

// pollTask wakes the loop on the timing wheel while gnet still holds output
// for a peer that reads slowly: gnet has no "drained" event. The delay
// doubles from 1 ms up to 64 ms so that many slow peers cost little. The
// destination of a pipe is run every millisecond: its source stops reading
// while it is full, and waiting up to 64 ms to learn of a drain cut a
// relay's throughput to a third. One timer of the loop's flush queue
// serves all of a loop's pipe destinations (watchDrain), rather than a
// timer and a wake each.
func (c *TcpConnection) startPoll() {
	if c.pollID == watchingDrain {
		return // the loop's drain watch runs it within a millisecond
	}
	if c.pollID != 0 {
		systimer.Del(c.pollID)
	}
	if c.pipeDestination() {
		if q := c.flushQueue(); q != nil {
			c.pollShift = 1
			c.pollID = watchingDrain
			q.watchDrain(c)
			return
		}
		c.pollShift = 0
	}
	if c.pollShift < 7 { // 1 ms, 2 ms, ... 64 ms
		c.pollShift++
	}
	gc := c.gc
	c.pollID, _ = systimer.Once(time.Millisecond<<(c.pollShift-1), func(timer.ID) { _ = gc.Wake(nil) })
}

// watchingDrain is a pollID saying that the loop's drain watch (one timer
// for all of a loop's pipe destinations) runs the connection next.
const watchingDrain = ^timer.ID(0)

func (c *TcpConnection) resetPoll() {
	c.pollShift = 0
	c.stopPoll()
}

func (c *TcpConnection) stopPoll() {
	switch c.pollID {
	case 0:
	case watchingDrain:
		c.pollID = 0 // the watch runs it once more, for nothing
	default:
		systimer.Del(c.pollID)
		c.pollID = 0
	}
}

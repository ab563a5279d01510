package connection

import (
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/internal/gnetx"
	"github.com/gnetworker/gnetworker/protocols"
)

// flow is a connection's receive control: whether reading is paused, and
// the pipes it takes part in. It is made on first use (PauseRecv, Pipe)
// and kept in the connection's connExt, so connections that never pause
// pay nothing for it.
type flow struct {
	paused  atomic.Bool // PauseRecv asked; the loop carries it out
	applied bool        // loop-only: the poller's read interest is off
	held    bool        // loop-only: a pause stopped dispatching with input left
	pipeTo  atomic.Pointer[TcpConnection]

	mu      sync.Mutex
	sources []*TcpConnection // connections piping into this one
}

// flowOf is c's flow, nil when none was made.
func (c *TcpConnection) flowOf() *flow {
	if x := c.ext.Load(); x != nil {
		return x.flow
	}
	return nil
}

// makeFlow returns c's flow, making it on first use.
func (c *TcpConnection) makeFlow() *flow {
	if f := c.flowOf(); f != nil {
		return f
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var x connExt
	if prev := c.ext.Load(); prev != nil {
		if prev.flow != nil {
			return prev.flow // made meanwhile
		}
		x = *prev
	}
	x.flow = new(flow)
	c.ext.Store(&x)
	return x.flow
}

// PauseRecv stops reading from the connection: no message is dispatched
// until ResumeRecv, and the socket is left unread, so the peer's TCP
// sending stalls once the kernel's buffers fill. It is workerman's
// pauseRecv, and what Pipe does when its destination's send buffer is
// full. Safe from any goroutine; from the connection's own callbacks it
// takes effect before the next message.
//
// While paused, a peer's end of stream is noticed only at ResumeRecv (a
// reset is noticed at once). gnet re-arms reading when this connection's
// own output drains, so a paused connection may still read up to one
// buffer (64 KiB) per such drain: it is kept, never dispatched before
// ResumeRecv, and bounded by MaxPackageSize.
func (c *TcpConnection) PauseRecv() {
	f := c.makeFlow()
	if f.paused.Swap(true) {
		return
	}
	c.wakeForFlow()
}

// ResumeRecv undoes PauseRecv: what arrived meanwhile is dispatched, then
// reading goes on. Safe from any goroutine.
func (c *TcpConnection) ResumeRecv() {
	f := c.flowOf()
	if f == nil || !f.paused.Swap(false) {
		return
	}
	c.wakeForFlow()
}

// RecvPaused reports whether PauseRecv is in effect.
func (c *TcpConnection) RecvPaused() bool {
	f := c.flowOf()
	return f != nil && f.paused.Load()
}

// wakeForFlow has the loop run c, which applies the pause or dispatches
// what waited for a resume: at once unless the loop runs c now, when
// leave does it.
func (c *TcpConnection) wakeForFlow() {
	c.mu.Lock()
	wake := !c.inCallback && !c.wakeQueued && c.Status() != StatusClosed && c.Status() != StatusConnecting &&
		c.Status() != StatusInitial
	if wake {
		c.wakeQueued = true
	}
	c.mu.Unlock()
	if wake {
		c.wakeLoop()
	}
}

// recvPaused is PauseRecv's state as the loop reads it, when it has
// input to dispatch: a pause it sees leaves that input for the resume.
func (c *TcpConnection) recvPaused() bool {
	f := c.flowOf()
	if f == nil || !f.paused.Load() {
		return false
	}
	f.held = true
	return true
}

// syncRecv makes the poller's read interest match PauseRecv/ResumeRecv.
// It runs on the loop at the end of every run of c: gnet turns reading
// back on whenever it changes the connection's interest itself (it
// buffered output, or that output drained), so a paused connection is
// paused again each time. resume reports input kept while paused that
// now waits to be dispatched.
func (c *TcpConnection) syncRecv() (resume bool) {
	f := c.flowOf()
	if f == nil || c.gc == nil || c.closed {
		return false
	}
	if f.paused.Load() {
		if gnetx.SetReading(c.gc, false) == nil {
			f.applied = true
		}
		return false
	}
	if f.applied {
		f.applied = false
		_ = gnetx.SetReading(c.gc, true)
	}
	// Only input a pause held back: a partial message kept for its
	// next bytes must wait for them, not wake the loop again and again.
	held := f.held
	f.held = false
	return held && c.in != nil
}

// Pipe forwards every message c receives to dest, with backpressure:
// when dest's send buffer is full, c stops reading (PauseRecv) until dest
// drains (ResumeRecv); the message that filled it is never dropped. When
// c closes, dest is closed once its output is written; when dest closes,
// c is closed the same way, since what c receives has nowhere to go.
// Messages go to dest's Send, so they are re-encoded for dest's protocol
// (raw tcp to raw tcp passes the bytes as they are). c's OnMessage is not
// called for piped messages; its other callbacks are. Pipe both ways for
// a relay, as workerman's pipe:
//
//	client.Pipe(upstream.Conn())
//	upstream.Conn().Pipe(client)
//
// Call it before c's first message (in OnConnect), from any goroutine.
func (c *TcpConnection) Pipe(dest *TcpConnection) {
	if dest == nil || dest == c {
		return
	}
	c.makeFlow().pipeTo.Store(dest)
	df := dest.makeFlow()
	df.mu.Lock()
	df.sources = append(df.sources, c)
	df.mu.Unlock()
	if dest.Status() == StatusClosed {
		_ = c.Close()
	}
}

// passthroughPipe is the destination of c's pipe when c's codec frames
// nothing (protocols.Passthrough), so that its input is forwarded as it
// was read; nil otherwise.
func (c *TcpConnection) passthroughPipe() *TcpConnection {
	f := c.flowOf()
	if f == nil {
		return nil
	}
	dest := f.pipeTo.Load()
	if dest == nil {
		return nil
	}
	c.mu.Lock()
	p, ok := c.codec.(protocols.Passthrough)
	c.mu.Unlock()
	if !ok || !p.Passthrough() {
		return nil
	}
	return dest
}

// pipeSend sends msg, received by c, to dest. The send is accepted even
// when dest's buffer is full (the message was read already and must not
// be lost); then c pauses. The pause is decided under dest's lock, so a
// drain on dest's loop cannot slip between the check and the pause.
func (c *TcpConnection) pipeSend(dest *TcpConnection, msg any) {
	here := c.sameLoop(dest)
	if err := dest.sendFlow(msg, c.flowOf(), here); err != nil && dest.Status() >= StatusClosing {
		_ = c.Close() // nowhere to go
	}
	if here {
		dest.flushOnLoop()
	}
}

// sameLoop reports whether dest, open, runs on c's event loop, which runs
// c now: then dest's output is written at once, with no task queued.
func (c *TcpConnection) sameLoop(dest *TcpConnection) bool {
	return !dest.closed && c.workerID == dest.workerID && c.group.homeGroup() == dest.group.homeGroup()
}

// flushOnLoop writes c's staged output now, as the loop would on a wake;
// the caller runs on c's loop. A connection in its own callback (a pipe
// back into its source) writes when it leaves it.
func (c *TcpConnection) flushOnLoop() {
	if c.closed {
		return
	}
	c.mu.Lock()
	busy := c.inCallback
	c.mu.Unlock()
	if busy {
		return
	}
	if _, woke := c.enter(); woke {
		c.wakeTransport() // not this flush's to serve
	}
	if c.leave() == gnet.Close && !c.closed {
		_ = c.gc.Close()
	}
}

// sendFlow is Send for a pipe: a full buffer does not refuse msg, and
// pauses src (under mu) when dest is full after it. msg is not kept: a
// []byte may be the read buffer itself.
func (c *TcpConnection) sendFlow(msg any, src *flow, flushHere bool) error {
	c.mu.Lock()
	if c.Status() >= StatusClosing {
		c.mu.Unlock()
		return ErrClosed
	}
	raw := false
	if p, ok := c.codec.(protocols.Passthrough); ok && p.Passthrough() {
		_, raw = msg.([]byte) // as it is, with its size known
	}
	err := c.appendLocked(msg, raw)
	becameFull := false
	if err == nil && c.stagedLocked()+int(c.gnetBuffered) >= int(c.maxSend.Load()) && !c.full {
		c.full, becameFull = true, true
	}
	if c.full && src != nil {
		src.paused.Store(true) // the caller is src's loop: its leave applies it
	}
	wake := !(flushHere && !c.inCallback) && c.needWakeLocked()
	c.mu.Unlock()
	if becameFull || err != nil {
		c.report(becameFull, err)
	}
	if wake {
		c.wakeLoop()
	}
	return err
}

// pipeDestination reports whether connections pipe into c.
func (c *TcpConnection) pipeDestination() bool {
	f := c.flowOf()
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sources) > 0
}

// drainedFlow resumes the connections piping into c, whose send buffer
// has drained. Called on c's loop.
func (c *TcpConnection) drainedFlow() {
	f := c.flowOf()
	if f == nil {
		return
	}
	f.mu.Lock()
	sources := f.sources
	f.mu.Unlock()
	for _, s := range sources {
		s.ResumeRecv()
	}
}

// closedFlow closes, gracefully, the other ends of c's pipes. Called on
// c's loop once it closed.
func (c *TcpConnection) closedFlow() {
	f := c.flowOf()
	if f == nil {
		return
	}
	if dest := f.pipeTo.Load(); dest != nil {
		_ = dest.Close()
	}
	f.mu.Lock()
	sources := f.sources
	f.sources = nil
	f.mu.Unlock()
	for _, s := range sources {
		_ = s.Close()
	}
}

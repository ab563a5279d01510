package connection

import (
	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/protocols"
)

// connExt holds what few connections need: the message handler of a
// protocol switched to, a transport other than the plain one, receive
// control, and what makes an outbound connection. It is
// replaced, never changed, so the loop reads it with one atomic load.
type connExt struct {
	onMessage func(c *TcpConnection, msg any)
	flow      *flow               // PauseRecv and Pipe (flow.go)
	async     *AsyncTcpConnection // the outbound connection c is (async.go)
	transport glue.Transport
	// wake, under mu, with a transport: it asked the loop to call Receive.
	// A pointer, shared by the connExts that replace this one.
	wake *bool
}

// transportWake is the transport's wake flag, nil without a transport.
// Called with mu held.
func (c *TcpConnection) transportWakeLocked() *bool {
	if x := c.ext.Load(); x != nil {
		return x.wake
	}
	return nil
}

// SwitchProtocol hands the connection to another protocol: the next
// message is measured and decoded by p's codec, starting with the bytes
// that arrived after the last message of the current protocol, and is
// dispatched to onMessage (nil: the worker's OnMessage). Sends from then on
// are encoded by p. The current codec is released at once.
//
// This is how an HTTP connection upgrades (to WebSocket, say): from the
// OnMessage of the upgrade request, Send the 101 response, which the HTTP
// codec encodes, then switch. Called from the connection's own callbacks
// the switch falls exactly after that message; from another goroutine, at
// the next message boundary. See protocols' "Switching protocols".
//
// It fails with ErrClosed once the connection is closing or ending.
func (c *TcpConnection) SwitchProtocol(p protocols.Protocol, onMessage func(c *TcpConnection, msg any)) error {
	c.mu.Lock()
	if c.Status() != StatusEstablished || c.discardIn {
		// Closing, or ending after what it owes (its peer overflowed
		// the input kept while an answer was owed).
		c.mu.Unlock()
		return ErrClosed
	}
	old := c.codec
	c.codec = p.NewCodec(c)
	c.seq, _ = c.codec.(protocols.Sequencer)
	c.stalled = false
	var x connExt
	if prev := c.ext.Load(); prev != nil {
		x = *prev // the transport, flow and async stay
	}
	x.onMessage = onMessage
	c.ext.Store(&x)
	if r, ok := old.(protocols.Releaser); ok {
		r.Release()
	}
	// Input that waited for the old codec (a stalled request/response
	// codec) is the new codec's to read now.
	wake := !c.inCallback && !c.wakeQueued
	if wake {
		c.wakeQueued = true
	}
	c.mu.Unlock()
	if wake {
		c.wakeLoop()
	}
	return nil
}

// handlerFor is the message handler of the connection's current protocol.
func (c *TcpConnection) handlerFor() func(*TcpConnection, any) {
	if x := c.ext.Load(); x != nil && x.onMessage != nil {
		return x.onMessage
	}
	return c.events().OnMessage
}

// transport is the connection's transport, nil for the plain one.
func (c *TcpConnection) transport() glue.Transport {
	if x := c.ext.Load(); x != nil {
		return x.transport
	}
	return nil
}

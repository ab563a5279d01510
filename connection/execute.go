package connection

import (
	"context"
	"errors"
	"runtime/debug"

	"github.com/panjf2000/gnet/v2"
)

// ErrNoLoop is returned by Execute on a connection that has no event loop
// (one built outside a worker).
var ErrNoLoop = errors.New("connection: no event loop")

// Execute runs fn on the connection's event loop, after what the loop is
// doing now, and returns without waiting. The loop is the goroutine the
// connection's callbacks run on, so fn may touch what they touch without
// locks. fn runs even if the connection has closed meanwhile: check
// Status. A panic in fn is recovered and reported like a callback's.
//
// TcpConnection is a timer.Executor: timer.AddOn(c, interval, fn) runs a
// timer on c's loop.
func (c *TcpConnection) Execute(fn func()) error {
	q := c.flushQueue()
	if q == nil || q.loop == nil {
		return ErrNoLoop
	}
	return q.loop.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		defer func() {
			if v := recover(); v != nil && c.events().OnPanic != nil {
				c.events().OnPanic(c, "Execute", v, debug.Stack())
			}
		}()
		fn()
		return nil
	}))
}

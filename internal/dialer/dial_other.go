//go:build !linux

package dialer

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// The portable fallback: net.Dialer on a goroutine per dial, with Go's own
// resolver (no pool, no cache, never ErrResolverBusy). The rest of the
// contract holds as on Linux, except that a cancelled dial's socket is
// closed by its goroutine once DialContext sees the cancellation, shortly
// after cancel returns.

var pendingDials atomic.Int64

// Dial starts connecting to address ("host:port" for network "tcp",
// "tcp4" or "tcp6"; a socket path for "unix") and returns at once.
//
// done runs exactly once, on a goroutine of the package's, with a
// connected *net.TCPConn or *net.UnixConn and a nil error, or with a nil
// conn and an error; unless cancel stopped the dial first. It never runs
// on the caller's goroutine, nor until Dial's own work is over, though
// possibly before the caller has stored cancel. The error is the
// *net.OpError net.Dial reports; a timeout errors.Is ErrTimeout. timeout
// bounds the lookup and the connect together (<= 0: DefaultTimeout).
// done must not block and must not be nil.
//
// cancel reports whether it stopped the dial before its result was
// decided: then done never runs. Once the result is decided, cancel
// returns false and does nothing. cancel is safe from any goroutine, any
// number of times.
func Dial(network, address string, timeout time.Duration, done func(net.Conn, error)) (cancel func() bool) {
	if done == nil {
		panic("dialer: Dial with a nil done")
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, stop := context.WithTimeout(context.Background(), timeout)
	var state atomic.Int32
	pendingDials.Add(1)
	returned := make(chan struct{})
	defer close(returned)
	go func() {
		defer stop()
		var d net.Dialer
		conn, err := d.DialContext(ctx, network, address)
		if !state.CompareAndSwap(pending, delivered) {
			if conn != nil {
				conn.Close()
			}
			return
		}
		pendingDials.Add(-1)
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = asTimeout(network, err, timeout)
		}
		<-returned
		done(conn, err)
	}()
	return func() bool {
		if !state.CompareAndSwap(pending, cancelled) {
			return false
		}
		pendingDials.Add(-1)
		stop()
		return true
	}
}

// asTimeout turns the error of a dial whose deadline passed into this
// package's form: errors.Is ErrTimeout, with how long it waited.
func asTimeout(network string, err error, after time.Duration) error {
	op := &net.OpError{Op: "dial", Net: network}
	var oe *net.OpError
	if errors.As(err, &oe) {
		op.Addr = oe.Addr
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		te := &timeoutError{after: after}
		op.Err = &net.DNSError{Err: te.Error(), Name: de.Name, IsTimeout: true, UnwrapErr: te}
		return op
	}
	op.Err = &timeoutError{op: "connect", after: after}
	return op
}

// Pending is the number of dials in flight: started and not yet finished
// by a result, the timeout or cancel. It is safe from any goroutine; tests
// use it to see that nothing is left behind.
func Pending() int { return int(pendingDials.Load()) }

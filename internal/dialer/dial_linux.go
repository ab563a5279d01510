package dialer

import (
	"net"
	"time"
)

// Dial starts connecting to address ("host:port" for network "tcp",
// "tcp4" or "tcp6"; a socket path for "unix") and returns at once.
//
// done runs exactly once, on the package's connector goroutine, with a
// connected *net.TCPConn or *net.UnixConn and a nil error, or with a nil
// conn and an error; unless cancel stopped the dial first. It never runs
// on the caller's goroutine, nor until Dial's own work is over, though
// possibly before the caller has stored cancel. The error is a
// *net.OpError (Op "dial") as net.Dial reports it: a refused port
// errors.Is syscall.ECONNREFUSED, a name that does not resolve carries a
// *net.DNSError, a timeout errors.Is ErrTimeout, a full resolver queue
// errors.Is ErrResolverBusy. timeout bounds the lookup and the connect
// together (<= 0: DefaultTimeout).
//
// done must not block: the connector goroutine that runs it also
// completes every other pending connect. It may call Dial and cancel.
// done must not be nil.
//
// cancel reports whether it stopped the dial before its result was
// decided: then done never runs, and the attempt's socket is closed
// before cancel returns. Once the result is decided (done has run or is
// about to), cancel returns false and does nothing. cancel is safe from
// any goroutine, any number of times.
func Dial(network, address string, timeout time.Duration, done func(net.Conn, error)) (cancel func() bool) {
	if done == nil {
		panic("dialer: Dial with a nil done")
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c, err := getConnector()
	if err != nil {
		// No connector to run done on: this is the only goroutine a
		// Dial ever starts, and only when the process is out of
		// descriptors. It too waits for Dial to return.
		err = &net.OpError{Op: "dial", Net: network, Err: err}
		returned := make(chan struct{})
		defer close(returned)
		go func() {
			<-returned
			call(done, nil, err)
		}()
		return func() bool { return false }
	}
	a := &attempt{done: done, timeout: timeout, fd: -1}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.slot, a.gen = attempts.add(a)
	if r, ok := a.startLocked(network, address); ok {
		c.push(r)
	}
	return a.cancel
}

// Pending is the number of dials in flight: started and not yet finished
// by a result, the timeout or cancel. It is safe from any goroutine; tests
// use it to see that nothing is left behind.
func Pending() int { return attempts.len() }

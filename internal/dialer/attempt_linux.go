package dialer

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/timer"
	"golang.org/x/sys/unix"
)

// attempt is one Dial. Four goroutines may act on it: the caller (in
// Dial), a resolver goroutine (the lookup's answer), the connector
// (readiness, delivery) and the systimer goroutine (the timeout); cancel
// runs on any. state decides who finishes it; mu orders the rest.
//
// Whoever takes an attempt out of pending with a compare-and-swap owns the
// end of it: with delivered it hands the result to the connector, with
// timedOut or cancelled it closes the socket under mu (release). Whoever
// loses does nothing more, except close a socket only it knows of.
type attempt struct {
	state atomic.Int32

	// Set by Dial under mu before anyone else sees the attempt.
	done    func(net.Conn, error)
	timeout time.Duration
	t       target
	slot    int32
	gen     uint32
	timer   timer.ID

	// mu guards what follows. Dial holds it from the start until it
	// returns, so nothing it started can finish (nor done run) before.
	mu    sync.Mutex
	fd    int    // the socket whose connect is in progress, or -1
	peers []peer // where to connect, in order; nil while the name is looked up
	next  int    // fd connects to peers[next-1]
	first error  // the first peer's failure, reported if all fail
	held  bool   // testHookHold: the connector ignores fd's readiness
}

// testHookHold, when set, is asked about each peer before its connect;
// true makes the connector ignore that socket's readiness, as if its SYN
// were dropped, so that tests can reach the timeout and cancel a dial
// still in progress.
var testHookHold atomic.Pointer[func(net.Addr) bool]

func holds(addr net.Addr) bool {
	f := testHookHold.Load()
	return f != nil && (*f)(addr)
}

// start begins the dial: it parses the address, arms the timeout and
// connects or asks for a lookup. It returns a result to push when the
// attempt finished at once.
func (a *attempt) startLocked(network, address string) (result, bool) {
	t, err := parseTarget(network, address)
	a.t = t
	if err != nil {
		return a.finishLocked(-1, nil, &net.OpError{Op: "dial", Net: network, Err: err})
	}
	deadline := time.Now().Add(a.timeout)
	id, err := systimer.Once(a.timeout, a.expire)
	if err != nil {
		return a.finishLocked(-1, nil, &net.OpError{Op: "dial", Net: network, Err: err})
	}
	a.timer = id
	if t.host == "" {
		return a.resolvedLocked(nil, nil)
	}
	ips, now, err := dns.resolve(t.host, deadline, a.resolved)
	if !now {
		return result{}, false
	}
	return a.resolvedLocked(ips, err)
}

// resolved takes the lookup's answer on a resolver goroutine.
func (a *attempt) resolved(ips []netip.Addr, err error) {
	a.mu.Lock()
	r, ok := a.resolvedLocked(ips, err)
	a.mu.Unlock()
	if ok {
		a.connector().push(r)
	}
}

// resolvedLocked connects to what the name resolved to (or to the literal
// or path), or finishes with the lookup's error.
func (a *attempt) resolvedLocked(ips []netip.Addr, err error) (result, bool) {
	if a.state.Load() != pending {
		return result{}, false
	}
	if err == nil {
		a.peers, err = a.t.peers(ips)
	}
	if err != nil {
		return a.finishLocked(-1, nil, &net.OpError{Op: "dial", Net: a.t.network, Err: err})
	}
	return a.advanceLocked()
}

// advanceLocked connects to the next peers in turn until one connects,
// one is in progress (then the connector goes on), or none is left.
func (a *attempt) advanceLocked() (result, bool) {
	for a.next < len(a.peers) {
		if a.state.Load() != pending {
			return result{}, false
		}
		p := &a.peers[a.next]
		a.next++
		fd, err := unix.Socket(p.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			a.failLocked(p, os.NewSyscallError("socket", err))
			continue
		}
		if p.family != unix.AF_UNIX {
			// Best effort: net.FileConn sets it again on the conn.
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		}
		err = unix.Connect(fd, p.sa)
		held := holds(p.addr)
		switch {
		case err == nil && !held:
			return a.finishLocked(fd, p.addr, nil)
		case err == nil || inProgress(err):
			if err := a.connector().watch(fd, a.slot, a.gen); err != nil {
				unix.Close(fd)
				a.failLocked(p, os.NewSyscallError("epoll_ctl", err))
				continue
			}
			a.fd, a.held = fd, held
			return result{}, false
		default:
			// A unix socket whose listener's backlog is full
			// fails with EAGAIN here, as it does for net.Dial.
			unix.Close(fd)
			a.failLocked(p, os.NewSyscallError("connect", err))
		}
	}
	return a.finishLocked(-1, nil, a.first)
}

// inProgress reports whether a non-blocking connect's error means it goes
// on in the background.
func inProgress(err error) bool {
	return err == unix.EINPROGRESS || err == unix.EALREADY || err == unix.EINTR
}

// readyLocked handles EPOLLOUT (or an error) on a.fd, on the connector.
func (a *attempt) readyLocked(c *connector, events uint32) (result, bool) {
	fd, p := a.fd, &a.peers[a.next-1]
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		err = os.NewSyscallError("getsockopt", err)
	} else {
		switch e := syscall.Errno(v); e {
		case 0:
			_, perr := unix.Getpeername(fd)
			if perr == nil {
				c.unwatch(fd)
				a.fd = -1
				return a.finishLocked(fd, p.addr, nil)
			}
			// Woken but not connected: wait on, as net does, unless
			// the socket reports an error or hang-up (it would wake
			// again at once, forever).
			if events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
				err = os.NewSyscallError("connect", perr)
			}
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		default:
			err = os.NewSyscallError("connect", e)
		}
		if err == nil {
			if err = c.rearm(fd, a.slot, a.gen); err == nil {
				return result{}, false
			}
			err = os.NewSyscallError("epoll_ctl", err)
		}
	}
	c.unwatch(fd)
	unix.Close(fd)
	a.fd = -1
	a.failLocked(p, err)
	return a.advanceLocked()
}

// failLocked notes p's failure; the first one is what done gets if every
// peer fails.
func (a *attempt) failLocked(p *peer, err error) {
	if a.first == nil {
		a.first = &net.OpError{Op: "dial", Net: a.t.network, Addr: p.addr, Err: err}
	}
}

// finishLocked takes the attempt out of pending with a result: a
// connected fd (to addr) or err. It reports false if the timeout or
// cancel came first, and then closes fd, which they do not know of.
func (a *attempt) finishLocked(fd int, addr net.Addr, err error) (result, bool) {
	if !a.state.CompareAndSwap(pending, delivered) {
		if fd >= 0 {
			unix.Close(fd)
		}
		return result{}, false
	}
	attempts.remove(a.slot, a.gen)
	return result{a: a, fd: fd, addr: addr, err: err}, true
}

// releaseLocked closes the socket in progress and frees the slot, for the
// timeout or cancel once it has won.
func (a *attempt) releaseLocked() {
	if a.fd >= 0 {
		a.connector().unwatch(a.fd)
		unix.Close(a.fd)
		a.fd = -1
	}
	attempts.remove(a.slot, a.gen)
}

// expire is the timeout, on the systimer goroutine.
func (a *attempt) expire(timer.ID) {
	if !a.state.CompareAndSwap(pending, timedOut) {
		return
	}
	a.mu.Lock()
	err := a.timeoutErrorLocked()
	a.releaseLocked()
	a.mu.Unlock()
	a.connector().push(result{a: a, fd: -1, err: err})
}

// timeoutErrorLocked is the error of a timed-out attempt, with the
// address it was connecting to, or as a lookup error while the name was
// being looked up.
func (a *attempt) timeoutErrorLocked() error {
	if a.peers == nil && a.t.host != "" {
		te := &timeoutError{after: a.timeout}
		return &net.OpError{Op: "dial", Net: a.t.network, Err: &net.DNSError{
			Err: te.Error(), Name: a.t.host, IsTimeout: true, UnwrapErr: te,
		}}
	}
	op := &net.OpError{Op: "dial", Net: a.t.network, Err: &timeoutError{op: "connect", after: a.timeout}}
	if len(a.peers) > 0 {
		op.Addr = a.peers[max(a.next-1, 0)].addr
	}
	return op
}

// cancel is what Dial returns.
func (a *attempt) cancel() bool {
	if !a.state.CompareAndSwap(pending, cancelled) {
		return false
	}
	a.mu.Lock()
	a.releaseLocked()
	id := a.timer
	a.mu.Unlock()
	systimer.Del(id)
	return true
}

// connector returns the connector, which Dial started before making a.
func (a *attempt) connector() *connector { return theConnector.Load() }

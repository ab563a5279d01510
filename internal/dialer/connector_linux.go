package dialer

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gnetworker/gnetworker/internal/systimer"
	"golang.org/x/sys/unix"
)

// The connector: one goroutine per process, blocked in epoll_wait on an
// epoll descriptor of its own. Every connect in progress is registered
// there for EPOLLOUT|EPOLLONESHOT with its slot and generation (see
// table); an eventfd, registered under wakeSlot, wakes it for results
// that other goroutines found (an immediate connect or refusal, a failed
// lookup, a timeout), which wait in its queue. Every done runs on this
// goroutine.
//
// It is not gnet's poller and not the runtime's: gnet's loops must never
// wait on a connect, and the runtime's poller would need a goroutine
// parked per socket.

// wakeSlot is the slot the eventfd is registered under.
const wakeSlot = -1

// eventsPerWait is how many readiness events one epoll_wait returns.
const eventsPerWait = 256

// result is an attempt's outcome on its way to done.
type result struct {
	a    *attempt
	fd   int      // a connected socket to hand over, or -1
	addr net.Addr // where fd is connected to
	err  error    // when fd is -1
}

type connector struct {
	epfd   int
	wakefd int

	mu    sync.Mutex // guards queue and woken
	queue []result
	woken bool // the eventfd was written and the queue not yet taken

	spare []result // the connector goroutine's; swapped with queue
}

var (
	theConnector atomic.Pointer[connector]
	connectorMu  sync.Mutex // serializes starting it
)

// getConnector returns the connector, starting it on first use. It fails
// only if the epoll or eventfd descriptor cannot be made (EMFILE), and
// the next call tries again.
func getConnector() (*connector, error) {
	if c := theConnector.Load(); c != nil {
		return c, nil
	}
	connectorMu.Lock()
	defer connectorMu.Unlock()
	if c := theConnector.Load(); c != nil {
		return c, nil
	}
	c, err := newConnector()
	if err != nil {
		return nil, err
	}
	theConnector.Store(c)
	go c.run()
	return c, nil
}

func newConnector() (*connector, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeSlot}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(wakefd)
		unix.Close(epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return &connector{epfd: epfd, wakefd: wakefd}, nil
}

// watch registers fd, whose connect is in progress, for one EPOLLOUT.
func (c *connector) watch(fd int, slot int32, gen uint32) error {
	return c.ctl(unix.EPOLL_CTL_ADD, fd, slot, gen)
}

// rearm asks for one more EPOLLOUT of a watched fd.
func (c *connector) rearm(fd int, slot int32, gen uint32) error {
	return c.ctl(unix.EPOLL_CTL_MOD, fd, slot, gen)
}

func (c *connector) ctl(op, fd int, slot int32, gen uint32) error {
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT, Fd: slot, Pad: int32(gen)}
	return unix.EpollCtl(c.epfd, op, fd, &ev)
}

// unwatch takes fd out of the epoll set. It must come before fd is closed
// or handed over: net.FileConn's dup would keep the registration alive.
func (c *connector) unwatch(fd int) {
	_ = unix.EpollCtl(c.epfd, unix.EPOLL_CTL_DEL, fd, nil)
}

// push queues r for done and wakes the connector if it may be asleep. It
// never blocks on the connector.
func (c *connector) push(r result) {
	c.mu.Lock()
	c.queue = append(c.queue, r)
	wake := !c.woken
	c.woken = true
	c.mu.Unlock()
	if wake {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		for {
			// EAGAIN would mean the counter is near 2^64: it is
			// readable already, which is all that is wanted.
			if _, err := unix.Write(c.wakefd, one[:]); err != unix.EINTR {
				break
			}
		}
	}
}

// run is the connector goroutine.
func (c *connector) run() {
	events := make([]unix.EpollEvent, eventsPerWait)
	for {
		n, err := unix.EpollWait(c.epfd, events, -1)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			// EBADF, EFAULT, EINVAL: nothing a retry fixes, but
			// returning would strand every pending dial.
			slog.Error("dialer: epoll_wait failed", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for i := range n {
			ev := &events[i]
			if ev.Fd == wakeSlot {
				var buf [8]byte
				_, _ = unix.Read(c.wakefd, buf[:])
				continue
			}
			c.ready(ev.Fd, uint32(ev.Pad), ev.Events)
		}
		c.drain()
	}
}

// ready handles one readiness event of the attempt in slot, if gen still
// holds it.
func (c *connector) ready(slot int32, gen uint32, events uint32) {
	a := attempts.lookup(slot, gen)
	if a == nil {
		return
	}
	a.mu.Lock()
	if a.state.Load() != pending || a.fd < 0 || a.held {
		a.mu.Unlock()
		return
	}
	r, ok := a.readyLocked(c, events)
	a.mu.Unlock()
	if ok {
		c.deliver(r)
	}
}

// drain runs done for every queued result.
func (c *connector) drain() {
	c.mu.Lock()
	q := c.queue
	c.queue = c.spare[:0]
	c.woken = false
	c.mu.Unlock()
	for i := range q {
		c.deliver(q[i])
		q[i] = result{}
	}
	if cap(q) > eventsPerWait*16 {
		q = nil // a burst is over; let its array go
	}
	c.spare = q[:0]
}

// deliver runs the done of r's attempt with r.
func (c *connector) deliver(r result) {
	a := r.a
	// Dial holds a.mu until it returns: taking it here keeps done
	// from running while Dial still runs. It also orders the read of
	// a.timer.
	a.mu.Lock()
	id := a.timer
	a.mu.Unlock()
	if a.state.Load() == delivered {
		systimer.Del(id)
	}
	conn, err := r.conn(a.t.network)
	call(a.done, conn, err)
}

// conn makes the net.Conn of a connected result, or returns its error.
func (r *result) conn(network string) (net.Conn, error) {
	if r.fd < 0 {
		return nil, r.err
	}
	// In blocking mode, os.NewFile does not register the descriptor
	// with the runtime's poller only for FileConn to take it out again.
	// FileConn dups it and makes the dup non-blocking, which also makes
	// fd non-blocking: the flag belongs to the file both share.
	_ = unix.SetNonblock(r.fd, false)
	f := os.NewFile(uintptr(r.fd), "dialer")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: r.addr, Err: err}
	}
	return conn, nil
}

// call runs done, logging a panic instead of ending the connector (and
// with it every pending dial), as the timer wheels do.
func call(done func(net.Conn, error), conn net.Conn, err error) {
	defer func() {
		if p := recover(); p != nil {
			slog.Error("dialer: done panicked",
				"panic", fmt.Sprint(p),
				"stack", string(debug.Stack()))
		}
	}()
	done(conn, err)
}

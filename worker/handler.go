package worker

import (
	"net"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/fdbudget"
	"github.com/gnetworker/gnetworker/internal/glue"
)

// eventHandler is the worker's gnet.EventHandler: it turns gnet's events
// into TcpConnection calls. Each method runs on an event loop.
type eventHandler struct {
	gnet.BuiltinEventEngine
	w       *Worker
	booted  chan<- struct{}
	running chan struct{} // closed by the first OnTick: every loop is registered
}

// OnTick runs first once the engine has registered and started its event
// loops (gnet starts the ticker after them), which is what probing the
// loops waits for; then it sleeps.
func (h *eventHandler) OnTick() (time.Duration, gnet.Action) {
	select {
	case <-h.running:
	default:
		close(h.running)
	}
	return 24 * time.Hour, gnet.None
}

// OnBoot runs once the listeners are bound and before any loop accepts.
func (h *eventHandler) OnBoot(eng gnet.Engine) gnet.Action {
	w := h.w
	w.engine = eng
	w.addr = boundAddr(eng)
	w.callLifecycle("OnWorkerStart", w.OnWorkerStart)
	close(h.booted)
	return gnet.None
}

// OnOpen wraps a new gnet connection. It refuses one while the worker
// stops, or when the connection would go over MaxConnections or over the
// process's descriptor budget (gnet's acceptor dies on EMFILE, so the
// limit must never be reached).
func (h *eventHandler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	w := h.w
	if _, ok := gc.Context().(*loopProbe); ok {
		w.noteLoop(w.loopID(gc.EventLoop()), gc.EventLoop())
		return nil, gnet.None
	}
	if a, ok := gc.Context().(glue.OutboundAttempt); ok {
		return h.openOutbound(gc, a)
	}
	if w.stopping.Load() {
		return nil, gnet.Close
	}
	if !fdbudget.Acquire() {
		w.refuse("the process's file descriptor budget is spent")
		return nil, gnet.Close
	}
	if !w.takeSlot() {
		fdbudget.Release()
		w.refuse("MaxConnections reached")
		return nil, gnet.Close
	}
	loop := w.loopID(gc.EventLoop())
	w.noteLoop(loop, gc.EventLoop())
	c := glue.Connections.Accept(gc, loop, w.Protocol, w.group).(*connection.TcpConnection)
	w.addConn(c)
	gc.SetContext(c)
	switch {
	case w.stopping.Load():
		// Stop began after the check above and may have listed the open
		// connections before this one was added: close it like them.
		c.CloseWhenIdle()
	case w.handedOver.Load():
		// Queued before a reload steered new connections away: it is
		// answered once, then closed.
		c.EndAtNextBoundary()
	}
	return nil, glue.Connections.Open(c, w.OnConnect)
}

// openOutbound opens a connection of the worker's AsyncTcpConnections,
// connected and enrolled on this loop. Its descriptor was counted when
// its connect began, and it takes none of MaxConnections' slots.
func (h *eventHandler) openOutbound(gc gnet.Conn, a glue.OutboundAttempt) ([]byte, gnet.Action) {
	w := h.w
	loop := w.loopID(gc.EventLoop())
	conn, action := glue.Connections.OpenOutbound(gc, loop, a)
	if conn == nil {
		gc.SetContext(nil) // given up (timed out): no budget of its own left
		return nil, gnet.Close
	}
	c := conn.(*connection.TcpConnection)
	w.addConn(c)
	gc.SetContext(c)
	if w.stopping.Load() {
		c.CloseWhenIdle()
	}
	return nil, action
}

// OnTraffic runs after every read and every Wake.
func (h *eventHandler) OnTraffic(gc gnet.Conn) gnet.Action {
	c, ok := gc.Context().(*connection.TcpConnection)
	if !ok {
		return gnet.Close
	}
	return glue.Connections.Traffic(c)
}

// OnClose runs once per connection, however it closed.
func (h *eventHandler) OnClose(gc gnet.Conn, _ error) gnet.Action {
	c, ok := gc.Context().(*connection.TcpConnection)
	if !ok {
		return gnet.None
	}
	gc.SetContext(nil)
	h.w.removeConn(c)
	if c.Async() == nil {
		h.w.open.Add(-1) // outbound connections take no slot
	}
	fdbudget.Release()
	glue.Connections.Close(c)
	return gnet.None
}

// boundAddr reads the real listening address from a duplicate of the
// listener's descriptor (gnet does not expose it), so port 0 can be used.
func boundAddr(eng gnet.Engine) net.Addr {
	fd, err := eng.Dup()
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return nil
}

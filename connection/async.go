package connection

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/internal/dialer"
	"github.com/gnetworker/gnetworker/internal/fdbudget"
	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/internal/tlstransport"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/timer"
)

// DefaultConnectTimeout bounds a connect (DNS, TCP and, for the ssl
// transport, nothing more: the TLS handshake has its own bound) when
// AsyncTcpConnection.ConnectTimeout is 0.
const DefaultConnectTimeout = 10 * time.Second

// Errors of outbound connections.
var (
	// ErrStopping is returned by Connect once the worker stops.
	ErrStopping = errors.New("connection: the worker is stopping")
	// ErrNotOpened is reported (CodeConnectFail) when the event loop did
	// not take a connected socket within the connect timeout.
	ErrNotOpened = errors.New("connection: the event loop did not open the connection in time")
	// ErrClosedInHandshake is reported (CodeConnectFail) when the peer
	// closed an outbound connection before its TLS handshake completed.
	ErrClosedInHandshake = errors.New("connection: closed during the TLS handshake")
)

// AsyncTcpConnection is a connection the process opens to a remote
// address, as workerman's AsyncTcpConnection: made by
// worker.Worker.NewAsyncTcpConnection, it runs on one of the worker's
// event loops with the same callbacks, limits, backpressure and protocols
// as the connections the worker accepts, and no goroutine of its own.
//
// Set its callbacks, then call Connect. Sends made before the connection
// is established are kept and written once it is (after a protocol's
// greeting, such as a WebSocket handshake). A failed connect reports
// OnError with CodeConnectFail, then OnClose. Reconnect, typically from
// OnClose, connects again later, keeping the object, its ID and its
// callbacks.
//
// Callbacks receive the embedded *TcpConnection; Async leads back to the
// AsyncTcpConnection.
type AsyncTcpConnection struct {
	TcpConnection

	// OnConnect runs once the connection is established: connected, and
	// over the ssl transport once the TLS handshake completed (for ws://,
	// before the WebSocket handshake, whose end is the WebSocket client's
	// own hook).
	OnConnect func(c *TcpConnection)
	// OnMessage takes the protocol's messages, in any form a worker's
	// OnMessage takes (func(*TcpConnection, string) for text://, say).
	OnMessage any
	// OnClose runs once per connection or failed connect.
	OnClose func(c *TcpConnection)
	// OnError is told of a failed connect (CodeConnectFail), a failed send
	// and a protocol error.
	OnError func(c *TcpConnection, code int, err error)
	// OnBufferFull and OnBufferDrain are as a worker's.
	OnBufferFull  func(c *TcpConnection)
	OnBufferDrain func(c *TcpConnection)

	// ConnectTimeout bounds DNS and connect together (0:
	// DefaultConnectTimeout). A timeout is reported with CodeConnectFail.
	ConnectTimeout time.Duration
	// Transport is "tcp" (the default) or "ssl" (set by wss://).
	Transport string
	// TLSConfig configures the ssl transport: nil verifies the server
	// against the system's roots for the host name of the remote address.
	TLSConfig *tls.Config
	// TLSHandshakeTimeout bounds the TLS handshake (0: 10 s).
	TLSHandshakeTimeout time.Duration
	// Protocol is the connection's protocol, made from the remote's
	// scheme. Replace it before the first Send and Connect to configure
	// it: a *websocket.Client made with websocket.NewClient sends custom
	// headers and subprotocols, and has the WebSocket hooks.
	Protocol protocols.Protocol

	spec glue.Outbound
	g    group

	// gen counts connects: written with c.mu held, with the status, so
	// that a close asked of one connect (abort) cannot reach the next.
	gen atomic.Uint64

	am                sync.Mutex // guards what follows
	attempt           *attempt
	reconnectID       timer.ID
	closing           bool // its close runs now: a Connect waits for its end
	connectAfterClose bool
	onConnect         func(*TcpConnection) // OnConnect as Connect found it
	codecOf           protocols.Protocol   // under c.mu: the protocol the codec is of
	tlsPending        bool                 // loop-only: OnConnect waits for the TLS handshake
}

// attempt is one connect of an AsyncTcpConnection: it is the gnet context
// of the socket until gnet opens it.
type attempt struct {
	ac     *AsyncTcpConnection
	state  atomic.Int32
	cancel func() bool // the dialer's
	guard  timer.ID    // under ac.am
	gated  atomic.Bool // holds a place among the enrollments in flight
}

// The states of an attempt. Whoever moves it to attemptFailed gives back
// its descriptor budget; once attemptOpen, the gnet connection owns it.
const (
	attemptDialing int32 = iota
	attemptEnrolling
	attemptOpen
	attemptFailed
)

// OutboundAttempt marks an attempt as what it is to the worker
// (glue.OutboundAttempt).
func (*attempt) OutboundAttempt() {}

// newOutbound makes an outbound connection of the worker whose group is
// wg.
func newOutbound(wg *group, spec glue.Outbound) *AsyncTcpConnection {
	ac := &AsyncTcpConnection{spec: spec, Protocol: spec.Protocol, codecOf: spec.Protocol}
	ac.g = group{owner: wg.owner, config: wg.config, home: wg}
	ac.g.config.NewTransport = nil // the worker's is a server's
	if spec.TLS {
		ac.Transport = "ssl"
	}
	c := &ac.TcpConnection
	c.id = lastID.Add(1)
	c.workerID = int32(spec.Loop)
	c.group = &ac.g
	c.remote = remoteAddr(spec)
	c.setLimits(wg.config)
	c.status.Store(int32(StatusInitial))
	c.closed = true     // no gnet connection yet
	c.inCallback = true // nothing may wake a loop for it before it opens
	c.codec = spec.Protocol.NewCodec(c)
	c.seq, _ = c.codec.(protocols.Sequencer)
	c.ext.Store(&connExt{async: ac})
	return ac
}

// remoteAddr is the remote address as given, which RemoteAddress reports
// (as workerman's does): a host name stays a name.
func remoteAddr(spec glue.Outbound) net.Addr {
	if spec.Network == "unix" {
		return &net.UnixAddr{Name: spec.Address, Net: "unix"}
	}
	if ap, err := net.ResolveTCPAddr("tcp", spec.Address); err == nil && net.ParseIP(spec.Host) != nil {
		return ap
	}
	return hostAddr(spec.Address)
}

// hostAddr is a "host:port" not resolved.
type hostAddr string

func (hostAddr) Network() string  { return "tcp" }
func (a hostAddr) String() string { return string(a) }

// Async is the AsyncTcpConnection c is, or nil for a connection a worker
// accepted.
func (c *TcpConnection) Async() *AsyncTcpConnection {
	if x := c.ext.Load(); x != nil {
		return x.async
	}
	return nil
}

// RemoteURI is the remote address as given, such as "ws://host:8080/chat".
func (ac *AsyncTcpConnection) RemoteURI() string { return ac.spec.URI }

// RemoteHost is the host of the remote address as given.
func (ac *AsyncTcpConnection) RemoteHost() string { return ac.spec.Host }

// Conn is the connection itself, as callbacks receive it.
func (ac *AsyncTcpConnection) Conn() *TcpConnection { return &ac.TcpConnection }

// Connect starts connecting and returns at once; OnConnect or OnError
// (CodeConnectFail) and OnClose tell how it went. It does nothing while
// the connection is connecting or established. Called from OnClose, it
// connects once OnClose has returned. It fails when OnMessage does not
// suit the protocol, or when the worker stops.
func (ac *AsyncTcpConnection) Connect() error {
	p := ac.Protocol
	if p == nil {
		return errors.New("connection: AsyncTcpConnection.Protocol is nil")
	}
	onMessage, err := ac.spec.Adapt(p, ac.OnMessage)
	if err != nil {
		return err
	}
	if ac.spec.Loops.Stopping() {
		return ErrStopping
	}
	var h func(*TcpConnection, any)
	if onMessage != nil {
		h = onMessage.(func(*TcpConnection, any))
	}
	c := &ac.TcpConnection
	ac.am.Lock()
	if ac.reconnectID != 0 {
		systimer.Del(ac.reconnectID)
		ac.reconnectID = 0
	}
	c.mu.Lock()
	switch st := c.Status(); {
	case st == StatusInitial:
		ac.syncProtocolLocked() // replaced before Connect
	case st == StatusClosed && ac.closing:
		ac.connectAfterClose = true
		c.mu.Unlock()
		ac.am.Unlock()
		return nil
	case st == StatusClosed:
		c.resetLocked(ac, p)
	default:
		c.mu.Unlock()
		ac.am.Unlock()
		return nil // connecting or connected already
	}
	ac.g.events = callbacks{
		OnMessage:     h,
		OnClose:       ac.OnClose,
		OnError:       ac.OnError,
		OnBufferFull:  ac.OnBufferFull,
		OnBufferDrain: ac.OnBufferDrain,
		OnPanic:       ac.g.home.events.OnPanic,
	}
	ac.onConnect = ac.OnConnect
	gen := ac.gen.Add(1)
	c.setStatus(StatusConnecting)
	c.mu.Unlock()
	ac.am.Unlock()
	ac.track(true)
	if err := ac.spec.Loops.Execute(ac.spec.Loop, func() { ac.start(gen) }); err != nil {
		ac.lost()
		return ErrStopping
	}
	return nil
}

// resetLocked readies a closed connection for another connect: a new
// codec, no transport, no pipes, every flag as new. The loop-only state
// is reset when the next socket opens (attach).
func (c *TcpConnection) resetLocked(ac *AsyncTcpConnection, p protocols.Protocol) {
	c.newCodecLocked(ac, p)
	c.ext.Store(&connExt{async: ac})
	c.dropOutLocked()
	c.gnetBuffered, c.inFlight = 0, 0
	c.closeDeadline = 0
	c.closeHook = nil
	c.closeAsked.Store(false)
	c.discardIn, c.stalled, c.full, c.closeAfterFlush = false, false, false, false
	c.inCallback, c.wakeQueued = true, false
}

// syncProtocolLocked gives a connection not connected yet a codec of its
// Protocol, if that was replaced. Called with c.mu held.
func (ac *AsyncTcpConnection) syncProtocolLocked() {
	if p := ac.Protocol; p != nil && p != ac.codecOf {
		ac.TcpConnection.newCodecLocked(ac, p)
	}
}

// newCodecLocked gives the connection a codec of p.
func (c *TcpConnection) newCodecLocked(ac *AsyncTcpConnection, p protocols.Protocol) {
	if r, ok := c.codec.(protocols.Releaser); ok && c.Status() == StatusInitial {
		r.Release() // never used
	}
	c.codec = p.NewCodec(c)
	c.seq, _ = c.codec.(protocols.Sequencer)
	ac.codecOf = p
}

// start connects, on the connection's loop, for the connect numbered
// gen.
func (ac *AsyncTcpConnection) start(gen uint64) {
	c := &ac.TcpConnection
	if c.Status() != StatusConnecting || ac.gen.Load() != gen {
		return // closed while the task waited (and connecting again)
	}
	if ac.spec.Loops.Stopping() {
		ac.connectFailed(nil, ErrStopping)
		return
	}
	if !fdbudget.Acquire() {
		ac.connectFailed(nil, errors.New("connection: the process's file descriptor budget is spent"))
		return
	}
	a := &attempt{ac: ac}
	ac.am.Lock()
	ac.attempt = a
	ac.am.Unlock()
	cancel := dialer.Dial(ac.spec.Network, ac.spec.Address, ac.connectTimeout(), a.dialed)
	ac.am.Lock()
	a.cancel = cancel
	ac.am.Unlock()
}

func (ac *AsyncTcpConnection) connectTimeout() time.Duration {
	if ac.ConnectTimeout > 0 {
		return ac.ConnectTimeout
	}
	return DefaultConnectTimeout
}

// dialed takes the dialer's result, on the dialer's goroutine: it hands a
// connected socket to the connection's event loop, or reports the
// failure there.
func (a *attempt) dialed(conn net.Conn, err error) {
	ac := a.ac
	if err != nil {
		a.fail(attemptDialing, err)
		return
	}
	el := ac.spec.Loops.EventLoop(ac.spec.Loop)
	if el == nil || !a.state.CompareAndSwap(attemptDialing, attemptEnrolling) {
		_ = conn.Close()
		if el == nil {
			a.fail(attemptDialing, ErrNotOpened)
		}
		return
	}
	// gnet reports a registration that failed on the loop as done, and
	// never opens it: the guard gives up on it.
	guard, _ := systimer.Once(ac.connectTimeout(), func(timer.ID) {
		if a.state.Load() == attemptEnrolling {
			a.ungate()
		}
		a.fail(attemptEnrolling, ErrNotOpened)
	})
	ac.am.Lock()
	a.guard = guard
	ac.am.Unlock()
	enrolling.admit(func() {
		a.gated.Store(true)
		// gnet duplicates the descriptor and closes conn.
		if _, err := el.Enroll(gnet.NewContext(context.Background(), a), conn); err != nil {
			_ = conn.Close()
			a.ungate()
			a.fail(attemptEnrolling, err)
		}
	})
}

// ungate gives back the attempt's place among the enrollments in flight,
// once: when gnet opened the socket, or gave up on it.
func (a *attempt) ungate() {
	if a.gated.CompareAndSwap(true, false) {
		enrolling.done()
	}
}

// maxEnrolling bounds the enrollments in flight. gnet's Enroll takes a
// goroutine of its pool until the loop has opened the connection: 10,000
// connects completing at once would hold 10,000 goroutines.
const maxEnrolling = 32

// enrolling admits enrollments up to maxEnrolling at a time, the rest in
// order as those finish.
var enrolling gate

type gate struct {
	mu       sync.Mutex
	inFlight int
	queue    []func()
}

// admit runs fn now if there is room, or once there is.
func (g *gate) admit(fn func()) {
	g.mu.Lock()
	if g.inFlight < maxEnrolling {
		g.inFlight++
		g.mu.Unlock()
		fn()
		return
	}
	g.queue = append(g.queue, fn)
	g.mu.Unlock()
}

// done frees a place, running the next waiting fn in it.
func (g *gate) done() {
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.inFlight--
		g.mu.Unlock()
		return
	}
	fn := g.queue[0]
	g.queue[0] = nil
	g.queue = g.queue[1:]
	if len(g.queue) == 0 {
		g.queue = nil // let the backing array go
	}
	g.mu.Unlock()
	fn()
}

// fail gives up the attempt if it is still in state from: its budget is
// returned and the failure reported on the loop.
func (a *attempt) fail(from int32, err error) {
	if !a.state.CompareAndSwap(from, attemptFailed) {
		return
	}
	fdbudget.Release()
	ac := a.ac
	if xerr := ac.spec.Loops.Execute(ac.spec.Loop, func() { ac.connectFailed(a, err) }); xerr != nil {
		ac.lost()
	}
}

// lost marks the connection closed when its loop is gone (the worker
// stopped): no callback can run any more.
func (ac *AsyncTcpConnection) lost() {
	c := &ac.TcpConnection
	c.mu.Lock()
	c.setStatus(StatusClosed)
	c.dropOutLocked()
	c.mu.Unlock()
}

// connectFailed reports a failed attempt (nil: one that never started)
// and closes the connection, on its loop.
func (ac *AsyncTcpConnection) connectFailed(a *attempt, err error) {
	if !ac.forget(a) {
		return // given up already
	}
	c := &ac.TcpConnection
	if c.Status() != StatusConnecting {
		return
	}
	err = fmt.Errorf("connect to %s failed: %w", ac.spec.URI, err)
	if c.events().OnError != nil {
		c.call("OnError", func() { c.events().OnError(c, CodeConnectFail, err) })
	}
	c.closeDown()
}

// forget drops a (nil: whatever attempt there is) as the current attempt,
// reporting whether it was.
func (ac *AsyncTcpConnection) forget(a *attempt) bool {
	ac.am.Lock()
	defer ac.am.Unlock()
	if a == nil {
		a = ac.attempt
	} else if ac.attempt != a {
		return false
	}
	ac.attempt = nil
	if a != nil && a.guard != 0 {
		systimer.Del(a.guard)
		a.guard = 0
	}
	return true
}

// abort gives up connect gen, as Close or Destroy do before the
// connection is established: the attempt is cancelled and OnClose runs,
// on the loop. When gnet opened the socket meanwhile, the connection is
// destroyed; a later connect (from OnClose) is left alone.
func (ac *AsyncTcpConnection) abort(gen uint64) {
	c := &ac.TcpConnection
	run := func() {
		if ac.gen.Load() != gen {
			return // a connect since: not the one the close was asked of
		}
		switch c.Status() {
		case StatusConnecting:
		case StatusEstablished, StatusClosing:
			c.Destroy() // opened before this ran
			return
		default:
			return
		}
		ac.am.Lock()
		a := ac.attempt
		ac.am.Unlock()
		if a != nil {
			for _, from := range []int32{attemptDialing, attemptEnrolling} {
				if a.state.CompareAndSwap(from, attemptFailed) {
					fdbudget.Release()
					// gnet may never open it (its engine stopping): the
					// place among the enrollments is not its to keep.
					a.ungate()
					break
				}
			}
			ac.am.Lock()
			cancel := a.cancel
			ac.am.Unlock()
			if cancel != nil {
				cancel()
			}
		}
		ac.forget(a)
		c.closeDown()
	}
	if err := ac.spec.Loops.Execute(ac.spec.Loop, run); err != nil {
		// The loop is gone. The caller may hold c.mu (a codec's
		// CloseAsync), which lost takes.
		go ac.lost()
	}
}

// openOutbound attaches the gnet connection of attempt a once gnet opened
// it, and runs OnConnect. It returns nil when a was given up meanwhile.
func openOutbound(gc gnet.Conn, loopID int, a *attempt) (*TcpConnection, gnet.Action) {
	a.ungate()
	if !a.state.CompareAndSwap(attemptEnrolling, attemptOpen) {
		return nil, gnet.Close
	}
	ac := a.ac
	ac.forget(a)
	ac.track(false) // the worker knows it as one of its connections now
	c := &ac.TcpConnection
	c.attach(gc, loopID)
	onConnect := ac.onConnect
	if c.transport() == nil {
		return c, c.handleOpen(onConnect)
	}
	// Over TLS the connection is established once the handshake is: run
	// sees to it (connectedOverTLS). The transport's first flight may
	// have asked for the loop before the connection could hear it (before
	// attach, or before handleOpen's enter cleared the request): run it
	// once now, as if it asked again.
	ac.tlsPending = true
	action := c.handleOpen(nil)
	if action == gnet.None {
		c.wakeTransport()
	}
	return c, action
}

// connectedOverTLS runs OnConnect once the TLS handshake of an outbound
// connection completed. Called on the loop after every read.
func (ac *AsyncTcpConnection) connectedOverTLS(c *TcpConnection) {
	if !ac.tlsPending || c.TLS() == nil || c.Status() != StatusEstablished {
		return
	}
	ac.tlsPending = false
	if f := ac.onConnect; f != nil {
		c.call("OnConnect", func() { f(c) })
	}
}

// attach makes gc the connection's socket: its loop-only state starts
// anew, the transport (TLS) is made, and the codec's greeting is staged
// ahead of what was sent while connecting.
func (c *TcpConnection) attach(gc gnet.Conn, loopID int) {
	ac := c.Async()
	c.closed = false
	c.pollID, c.pollShift = 0, 0
	c.in = nil
	c.mu.Lock()
	c.gc = gc
	c.localLen = 0 // under mu, as LocalAddress reads it
	c.readLocalAddr()
	c.mu.Unlock()
	c.group.queueFor(loopID, gc.EventLoop())
	var t glue.Transport
	if strings.EqualFold(ac.Transport, "ssl") || strings.EqualFold(ac.Transport, "tls") {
		t = ac.newTLS(c)
	}
	c.mu.Lock()
	if t != nil {
		x := *c.ext.Load()
		x.transport, x.wake = t, new(bool)
		c.ext.Store(&x)
	}
	if g, ok := c.codec.(protocols.Greeter); ok {
		if hello := g.Greeting(); len(hello) > 0 {
			b := getBuffer(len(hello) + c.stagedLocked())
			*b = append(*b, hello...)
			if c.out != nil {
				*b = append(*b, *c.out...)
			}
			c.dropOutLocked()
			c.out = b
		}
	}
	if c.Status() == StatusConnecting {
		c.setStatus(StatusEstablished)
	}
	c.mu.Unlock()
}

// newTLS makes the client side of a TLS transport for the connection.
func (ac *AsyncTcpConnection) newTLS(c *TcpConnection) glue.Transport {
	cfg, err := tlstransport.ClientConfig(ac.TLSConfig, ac.spec.Host, tlsALPN(ac.codecOf))
	if err != nil {
		return failedTransport{err}
	}
	tc := &tlstransport.Config{TLS: cfg, HandshakeTimeout: ac.TLSHandshakeTimeout, Client: true}
	return tc.NewTransport(transportHost{c})
}

// tlsALPN is what a client of protocol p offers: HTTP/1.1 for protocols
// that start as HTTP.
func tlsALPN(p protocols.Protocol) []string {
	switch p.Name() {
	case "http", "websocket":
		return []string{"http/1.1"}
	}
	return nil
}

// failedTransport is a transport that could not be made: the connection
// reports err and closes at its first read.
type failedTransport struct{ err error }

func (t failedTransport) Receive(plain, reply, _ []byte) ([]byte, []byte, error) {
	return plain, reply, t.err
}
func (t failedTransport) Send(wire, _ []byte) ([]byte, error) { return wire, t.err }
func (failedTransport) Close()                                {}

// Reconnect connects again after the given delay (at once for 0), as
// workerman's reconnect: the connection keeps its ID, callbacks and
// context. Called on an established connection, it closes it first. A
// later Reconnect replaces an earlier one's delay. Once the worker stops
// it does nothing, and the worker's Stop cancels those pending.
func (ac *AsyncTcpConnection) Reconnect(after time.Duration) {
	if ac.spec.Loops.Stopping() {
		return
	}
	ac.am.Lock()
	if ac.reconnectID != 0 {
		systimer.Del(ac.reconnectID)
		ac.reconnectID = 0
	}
	if after <= 0 {
		ac.am.Unlock()
		ac.reconnectNow()
		return
	}
	ac.track(true)
	ac.reconnectID, _ = systimer.Once(after, func(id timer.ID) {
		ac.am.Lock()
		mine := ac.reconnectID == id
		if mine {
			ac.reconnectID = 0
		}
		ac.am.Unlock()
		if mine {
			ac.reconnectNow()
		}
	})
	ac.am.Unlock()
}

func (ac *AsyncTcpConnection) reconnectNow() {
	c := &ac.TcpConnection
	switch c.Status() {
	case StatusEstablished, StatusClosing:
		ac.am.Lock()
		ac.connectAfterClose = true
		ac.am.Unlock()
		c.Destroy()
	default:
		_ = ac.Connect()
	}
}

// CancelReconnect cancels a Reconnect that has not connected yet.
func (ac *AsyncTcpConnection) CancelReconnect() {
	ac.am.Lock()
	if ac.reconnectID != 0 {
		systimer.Del(ac.reconnectID)
		ac.reconnectID = 0
	}
	ac.connectAfterClose = false
	ac.am.Unlock()
}

// beginClose and endClose bracket the close of an outbound connection:
// a Connect meanwhile (from OnClose) waits for endClose.
func (ac *AsyncTcpConnection) beginClose() {
	ac.am.Lock()
	ac.closing = true
	ac.am.Unlock()
}

func (ac *AsyncTcpConnection) endClose() {
	ac.am.Lock()
	ac.closing = false
	again := ac.connectAfterClose
	ac.connectAfterClose = false
	waiting := ac.reconnectID != 0
	ac.am.Unlock()
	if again && ac.Connect() == nil {
		return
	}
	if !waiting {
		ac.track(false) // connecting no more (or refused: the worker stops)
	}
}

// track adds the connection to, or removes it from, the worker's set of
// outbound connections that connect or wait to reconnect.
func (ac *AsyncTcpConnection) track(on bool) {
	g := ac.g.home
	g.outMu.Lock()
	defer g.outMu.Unlock()
	if !on {
		delete(g.outbound, ac)
		return
	}
	if g.outbound == nil {
		g.outbound = make(map[*AsyncTcpConnection]struct{})
	}
	g.outbound[ac] = struct{}{}
}

// stopOutbound ends the worker's outbound connections that connect or
// wait to reconnect, as the worker stops: reconnects are cancelled, and a
// connect in progress is given up, with its OnClose. Those established
// are the worker's connections, closed as the others.
func stopOutbound(g *group) {
	g.outMu.Lock()
	list := make([]*AsyncTcpConnection, 0, len(g.outbound))
	for ac := range g.outbound {
		list = append(list, ac)
	}
	clear(g.outbound)
	g.outMu.Unlock()
	var aborted []*AsyncTcpConnection
	for _, ac := range list {
		ac.CancelReconnect()
		gen := ac.gen.Load()
		if ac.Status() == StatusConnecting {
			ac.abort(gen)
			aborted = append(aborted, ac)
		}
	}
	// The aborts run on the loops, which must not stop before.
	deadline := time.Now().Add(5 * time.Second)
	for _, ac := range aborted {
		for ac.Status() == StatusConnecting && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
}

// SetWorkerID has the connection run on event loop id (0 <= id < the
// worker's Count) rather than the one it was given: a proxy keeps both
// ends of a relay on one loop with up.SetWorkerID(client.WorkerID()). It
// fails once Connect was called.
func (ac *AsyncTcpConnection) SetWorkerID(id int) error {
	if id < 0 || id >= ac.spec.Loops.Loops() {
		return fmt.Errorf("connection: no event loop %d", id)
	}
	c := &ac.TcpConnection
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Status() != StatusInitial {
		return errors.New("connection: SetWorkerID after Connect")
	}
	ac.spec.Loop = id
	c.workerID = int32(id)
	return nil
}

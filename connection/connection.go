package connection

import (
	"errors"
	"math"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/timer"
)

// Status is the life stage of a connection, numbered like workerman's
// TcpConnection::STATUS_* constants.
type Status int32

// The statuses a connection goes through.
const (
	StatusInitial     Status = 0
	StatusConnecting  Status = 1
	StatusEstablished Status = 2
	StatusClosing     Status = 8
	StatusClosed      Status = 16
)

// String names the status.
func (s Status) String() string {
	switch s {
	case StatusInitial:
		return "INITIAL"
	case StatusConnecting:
		return "CONNECTING"
	case StatusEstablished:
		return "ESTABLISHED"
	case StatusClosing:
		return "CLOSING"
	case StatusClosed:
		return "CLOSED"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Error codes passed to OnError, after workerman's constants.
const (
	CodeConnectFail = 1 // workerman's CONNECT_FAIL (outgoing connections)
	CodeSendFail    = 2 // workerman's SEND_FAIL: a send was refused
	CodePanic       = 3 // a callback panicked; the connection is closed
	CodeProtocol    = 4 // the peer sent input its protocol refuses
)

// Defaults, as in workerman.
const (
	DefaultMaxSendBufferSize = 1 << 20
	DefaultMaxPackageSize    = 10 << 20
	// DefaultCloseTimeout bounds how long Close waits for a peer that does
	// not read before the connection is closed with its output dropped.
	DefaultCloseTimeout = 10 * time.Second
)

// Errors returned by Send and reported to OnError.
var (
	ErrClosed          = errors.New("connection: closed or closing")
	ErrSendBufferFull  = errors.New("connection: send buffer full")
	ErrPackageTooLarge = protocols.ErrPackageTooLarge
)

// Owner is what a connection knows of the worker that accepted it. It is
// implemented by *worker.Worker; type-assert to reach the rest.
type Owner interface {
	// WorkerName is the worker's Name.
	WorkerName() string
	// SocketName is the address the worker listens on, such as
	// "http://0.0.0.0:8080".
	SocketName() string
}

// callbacks are a worker's callbacks, as a connection reports to them;
// nil ones are skipped.
type callbacks struct {
	OnMessage     func(c *TcpConnection, msg any)
	OnClose       func(c *TcpConnection)
	OnError       func(c *TcpConnection, code int, err error)
	OnBufferFull  func(c *TcpConnection)
	OnBufferDrain func(c *TcpConnection)
	// OnPanic is told of every recovered panic (where: the callback's name)
	// before the connection is closed. The worker logs it.
	OnPanic func(c *TcpConnection, where string, v any, stack []byte)
}

// group is what every connection of one worker shares: its owner, its
// callbacks and its limits. Connections point to it rather than copying it,
// which keeps each connection small (10,000 idle SSE streams are the case
// this matters for).
type group struct {
	owner  Owner
	events callbacks
	config glue.Config

	queuesMu sync.Mutex
	queues   atomic.Pointer[flushQueues] // see flush.go
	// home is the worker's group, for an outbound connection's own group:
	// its flush queues and counters are the worker's (nil in the
	// worker's group itself).
	home *group
	// outbound holds the worker's AsyncTcpConnections that are connecting
	// or wait to reconnect, which the worker's Stop ends (see async.go).
	outMu    sync.Mutex
	outbound map[*AsyncTcpConnection]struct{}

	sendFailures atomic.Uint64 // sends that failed (OnError's CodeSendFail)
}

// homeGroup is the worker's group: g, or the one an outbound
// connection's group belongs to.
func (g *group) homeGroup() *group {
	if g.home != nil {
		return g.home
	}
	return g
}

// stats sums the group's counters: messages dispatched (each loop counts
// its own, in its flush queue) and failed sends.
func (g *group) stats() (messages, sendFailures uint64) {
	if qs := g.queues.Load(); qs != nil {
		for _, q := range *qs {
			if q != nil {
				messages += q.messages.Load()
			}
		}
	}
	return messages, g.sendFailures.Load()
}

var lastID atomic.Uint64

// TcpConnection is one accepted TCP connection. See the package
// documentation for its concurrency contract.
//
// Its fields are ordered and sized to keep it in a 224-byte allocation:
// an idle SSE stream is little more than this struct, and a server holds
// tens of thousands of them.
type TcpConnection struct {
	id     uint64
	group  *group
	gc     gnet.Conn
	remote net.Addr

	// mu guards the codec, the staged output and every field from here to
	// the loop-only ones below.
	mu            sync.Mutex
	codec         protocols.Codec
	seq           protocols.Sequencer
	out           *[]byte                 // staged output (pooled; nil when empty)
	gnetBuffered  int32                   // what gnet held for the socket at the last flush (clamped)
	inFlight      int32                   // staged output the loop is handing to gnet now (clamped)
	ext           atomic.Pointer[connExt] // a switched protocol's handler, a transport; nil for most connections
	closeDeadline int64                   // Unix nanoseconds
	ctx           any
	closeHook     func(*TcpConnection)

	// Loop-only state.
	in     *[]byte  // received bytes not yet consumed (pooled; nil when empty)
	pollID timer.ID // wakes the loop while it waits for gnet to drain

	bytesRead    atomic.Uint64
	bytesWritten atomic.Uint64
	local        [16]byte // local IP, read once at accept (gnet only knows the listener's)
	maxSend      atomic.Int32
	maxPackage   atomic.Int32
	status       atomic.Int32
	workerID     int32
	localPort    uint16
	localLen     uint8       // 4 or 16; 0 when unknown
	pollShift    uint8       // loop-only: the poll's backoff, 1 ms << (pollShift-1); 0 when not polling
	closeAsked   atomic.Bool // CloseAsync was called; the loop carries it out
	closed       bool        // loop-only: handleClose ran
	discardIn    bool        // under mu: input is dropped (see MaxStalledInput)

	// Under mu.
	inCallback      bool // the loop runs this connection now and flushes after
	wakeQueued      bool // a Wake is on its way to the loop
	stalled         bool // input waits for the codec to become Ready
	full            bool // OnBufferFull fired; waiting for a drain
	closeAfterFlush bool
	outShared       bool // out is a Shared slice, not a pooled buffer of the connection's
}

// clampInt32 keeps a size limit within what the connection stores.
func clampInt32(n int) int32 {
	return int32(min(max(n, 0), math.MaxInt32))
}

// newConn wraps a gnet connection accepted on event loop workerID (see
// glue.Connections.Accept).
func newConn(gc gnet.Conn, workerID int, proto protocols.Protocol, g *group) *TcpConnection {
	c := &TcpConnection{
		id:       lastID.Add(1),
		workerID: int32(workerID),
		group:    g,
		gc:       gc,
		remote:   gc.RemoteAddr(),
	}
	c.readLocalAddr()
	g.queueFor(workerID, gc.EventLoop())
	c.setLimits(g.config)
	c.status.Store(int32(StatusEstablished))
	c.codec = proto.NewCodec(c)
	c.seq, _ = c.codec.(protocols.Sequencer)
	if g.config.NewTransport != nil {
		if t := g.config.NewTransport(transportHost{c}); t != nil {
			c.ext.Store(&connExt{transport: t, wake: new(bool)})
		}
	}
	return c
}

// setLimits gives the connection the worker's limits, or the defaults.
func (c *TcpConnection) setLimits(cfg glue.Config) {
	if cfg.MaxSendBufferSize <= 0 {
		cfg.MaxSendBufferSize = DefaultMaxSendBufferSize
	}
	if cfg.MaxPackageSize <= 0 {
		cfg.MaxPackageSize = DefaultMaxPackageSize
	}
	c.maxSend.Store(clampInt32(cfg.MaxSendBufferSize))
	c.maxPackage.Store(clampInt32(cfg.MaxPackageSize))
}

// events are the worker's callbacks.
func (c *TcpConnection) events() *callbacks { return &c.group.events }

// closeDeadlineFromNow is when a graceful close gives up on a peer that
// does not read.
func (c *TcpConnection) closeDeadlineFromNow() int64 {
	d := c.group.config.CloseTimeout
	if d <= 0 {
		d = DefaultCloseTimeout
	}
	return time.Now().Add(d).UnixNano()
}

// ID is unique within the process and increases with every connection,
// starting at 1.
func (c *TcpConnection) ID() uint64 { return c.id }

// WorkerID is the index (0..Count-1) of the event loop that serves the
// connection: the role workerman's worker process id plays.
func (c *TcpConnection) WorkerID() int { return int(c.workerID) }

// Worker is the worker that accepted the connection.
func (c *TcpConnection) Worker() Owner { return c.group.owner }

// Status is the connection's current status.
func (c *TcpConnection) Status() Status { return Status(c.status.Load()) }

// RemoteAddress is the peer's address as "ip:port".
func (c *TcpConnection) RemoteAddress() string { return addrString(c.remote) }

// RemoteIP is the peer's IP address.
func (c *TcpConnection) RemoteIP() string { return addrIP(c.remote) }

// RemotePort is the peer's port.
func (c *TcpConnection) RemotePort() int { return addrPort(c.remote) }

// LocalAddress is the local address as "ip:port".
func (c *TcpConnection) LocalAddress() string {
	ip, port := c.localIPPort()
	if ip == "" {
		return ""
	}
	return net.JoinHostPort(ip, strconv.Itoa(port))
}

// LocalIP is the local IP address.
func (c *TcpConnection) LocalIP() string {
	ip, _ := c.localIPPort()
	return ip
}

// LocalPort is the local port.
func (c *TcpConnection) LocalPort() int {
	_, port := c.localIPPort()
	return port
}

// localIPPort reads the local address: under mu for an outbound
// connection, whose every connect writes it (attach); an accepted
// connection's is written once, before anyone else sees it.
func (c *TcpConnection) localIPPort() (string, int) {
	if c.Async() != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
	}
	if c.localLen == 0 {
		return "", int(c.localPort)
	}
	return net.IP(c.local[:c.localLen]).String(), int(c.localPort)
}

// BytesRead counts the bytes received so far.
func (c *TcpConnection) BytesRead() uint64 { return c.bytesRead.Load() }

// BytesWritten counts the bytes handed to the socket so far.
func (c *TcpConnection) BytesWritten() uint64 { return c.bytesWritten.Load() }

// MaxSendBufferSize is the connection's send buffer limit in bytes.
func (c *TcpConnection) MaxSendBufferSize() int { return int(c.maxSend.Load()) }

// SetMaxSendBufferSize changes the send buffer limit (at most 2 GiB - 1).
func (c *TcpConnection) SetMaxSendBufferSize(n int) { c.maxSend.Store(clampInt32(n)) }

// MaxPackageSize is the largest package the connection accepts.
func (c *TcpConnection) MaxPackageSize() int { return int(c.maxPackage.Load()) }

// SetMaxPackageSize changes the package limit (at most 2 GiB - 1).
func (c *TcpConnection) SetMaxPackageSize(n int) { c.maxPackage.Store(clampInt32(n)) }

// Context returns the value stored with SetContext.
func (c *TcpConnection) Context() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctx
}

// SetContext stores a value of the application's with the connection.
func (c *TcpConnection) SetContext(v any) {
	c.mu.Lock()
	c.ctx = v
	c.mu.Unlock()
}

// AtClose registers fn to run once the connection has closed, after the
// worker's OnClose: libraries (such as an SSE hub) use it to forget the
// connection. On a connection that is closed already fn runs at once.
func (c *TcpConnection) AtClose(fn func(*TcpConnection)) {
	c.mu.Lock()
	if c.Status() != StatusClosed {
		if prev := c.closeHook; prev != nil {
			c.closeHook = func(c *TcpConnection) { prev(c); fn(c) }
		} else {
			c.closeHook = fn
		}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	fn(c)
}

// BufferedOutput is the number of bytes accepted by Send but not yet
// written to the socket, as of the loop's last flush.
func (c *TcpConnection) BufferedOutput() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stagedLocked() + int(c.gnetBuffered) + int(c.inFlight)
}

// Send encodes v with the connection's protocol and queues it for the peer
// (a protocols.Adapter is encoded in the form it gives for the
// connection's codec).
// It fails with ErrClosed once the connection is closing, with
// ErrSendBufferFull while the send buffer is full, and with the protocol's
// error when v cannot be encoded.
func (c *TcpConnection) Send(v any) error { return c.send(v, false, false) }

// SendRaw queues b (a []byte, a string or a *Shared) for the peer as it
// is, bypassing the protocol's encoding. A protocols.PerCodec (such as a
// prepared WebSocket broadcast) sends the form made for this connection's
// codec.
func (c *TcpConnection) SendRaw(b any) error { return c.send(b, true, false) }

// Shared is bytes that many connections send as they are, such as an event
// a hub broadcasts: SendRaw of a *Shared stages a reference rather than a
// copy when nothing else is staged, so a broadcast to 10,000 connections
// copies it only for connections that are behind. The bytes must never
// change once shared.
type Shared []byte

// NewShared shares b, which must not be modified afterwards.
func NewShared(b []byte) *Shared {
	s := Shared(b)
	return &s
}

// Close sends data (encoded, when given), then closes the connection once
// every queued byte has been written. A peer that does not read within the
// close timeout is disconnected with its output dropped. Close after Close
// does nothing.
func (c *TcpConnection) Close(data ...any) error {
	if len(data) > 0 && data[0] != nil {
		return c.send(data[0], false, true)
	}
	return c.send(nil, false, true)
}

// CloseWhenIdle closes the connection at its protocol's next boundary: an
// HTTP connection finishes the request it is receiving or answering, says
// "Connection: close" in the answer and then closes, and an idle one
// closes at once. A connection whose protocol has no boundaries
// (protocols.Drainer) is closed as by Close. A worker's graceful stop
// calls it on every connection.
func (c *TcpConnection) CloseWhenIdle() { c.drain(false) }

// EndAtNextBoundary is CloseWhenIdle but for an idle connection, which
// stays open until its next message has been answered: an HTTP
// connection waiting for its next request answers it with "Connection:
// close" and then closes, and a stream ends now. A reload drains this way
// first, so that a client sending its next request just as the server
// decides cannot find the connection closed under it; CloseWhenIdle later
// closes what stayed idle.
func (c *TcpConnection) EndAtNextBoundary() { c.drain(true) }

func (c *TcpConnection) drain(keepIdle bool) {
	if c.Status() <= StatusConnecting {
		// An outbound connection not open yet is idle: Close gives up
		// its connect.
		if !keepIdle {
			_ = c.Close()
		}
		return
	}
	c.mu.Lock()
	d, ok := c.codec.(protocols.Drainer) // under mu: SwitchProtocol changes it
	if !ok {
		c.mu.Unlock()
		if !keepIdle {
			_ = c.Close()
		}
		return
	}
	if c.Status() != StatusEstablished {
		c.mu.Unlock()
		return
	}
	waiting := false // between messages, nothing owed, no stream
	if r, ok := d.(protocols.IdleReporter); ok && keepIdle {
		waiting = r.Idle()
	}
	final, idle := d.Drain()
	c.stageLocked(final)
	if idle && !waiting {
		c.setStatus(StatusClosing)
		c.closeAfterFlush = true
		c.closeDeadline = c.closeDeadlineFromNow()
	}
	wake := c.needWakeLocked()
	c.mu.Unlock()
	if wake {
		c.wakeLoop()
	}
}

// Destroy closes the connection at once, dropping queued output.
func (c *TcpConnection) Destroy() {
	c.mu.Lock()
	switch c.Status() {
	case StatusClosed: // checked under mu: handleClose sets it there
		c.mu.Unlock()
		return
	case StatusInitial, StatusConnecting: // an outbound connection not open yet
		ac := c.Async()
		gen := ac.gen.Load()
		c.mu.Unlock()
		ac.abort(gen)
		return
	}
	c.setStatus(StatusClosing)
	gc := c.gc // under mu: an outbound connection's changes at each connect
	c.mu.Unlock()
	_ = gc.Close()
}

// CloseAsync asks for a graceful close without taking the codec lock, so a
// protocol codec may call it at any time (protocols.Conn).
func (c *TcpConnection) CloseAsync() {
	if !c.closeAsked.CompareAndSwap(false, true) {
		return
	}
	var gen uint64
	if ac := c.Async(); ac != nil {
		gen = ac.gen.Load() // before the status: a connect since is left alone
	}
	switch c.Status() {
	case StatusInitial, StatusConnecting: // an outbound connection not open yet
		c.Async().abort(gen)
	case StatusClosed:
		// Nothing to close (an outbound connection that never opened has
		// no gnet connection).
	default:
		// gc was set before the status said so (attach): reading it after
		// that atomic load is safe.
		_ = c.gc.Wake(nil)
	}
}

func (c *TcpConnection) setStatus(s Status) { c.status.Store(int32(s)) }

// send is Send, SendRaw and Close: with v nil nothing is appended.
func (c *TcpConnection) send(v any, raw, closeAfter bool) error {
	c.mu.Lock()
	if closeAfter && c.Status() <= StatusConnecting {
		// An outbound connection not open yet: there is no one to say
		// goodbye to (workerman destroys it too).
		ac := c.Async()
		gen := ac.gen.Load()
		c.mu.Unlock()
		ac.abort(gen)
		return nil
	}
	if c.Status() == StatusInitial {
		c.Async().syncProtocolLocked() // a Protocol replaced encodes this already
	}
	if c.Status() >= StatusClosing {
		c.mu.Unlock()
		if closeAfter && v == nil {
			return nil
		}
		return ErrClosed
	}
	var err error
	var becameFull bool
	if v != nil {
		if c.full {
			err = ErrSendBufferFull
		} else {
			err = c.appendLocked(v, raw)
		}
		if err == nil && c.stagedLocked()+int(c.gnetBuffered) >= int(c.maxSend.Load()) {
			c.full, becameFull = true, true
		}
	}
	if closeAfter || (c.seq != nil && err == nil && v != nil && c.seq.CloseAfterWrite()) {
		c.setStatus(StatusClosing)
		c.closeAfterFlush = true
		c.closeDeadline = c.closeDeadlineFromNow()
	}
	wake := c.needWakeLocked()
	c.mu.Unlock()

	failed := err
	if errors.Is(err, protocols.ErrUnsupportedMessage) {
		failed = nil // a protocol's way of saying "not mine": the caller sees it
	}
	if becameFull || failed != nil {
		c.report(becameFull, failed)
	}
	if wake {
		c.wakeLoop()
	}
	return err
}

// appendLocked encodes v onto the staged output, leaving it unchanged on
// error.
func (c *TcpConnection) appendLocked(v any, raw bool) error {
	if p, ok := v.(protocols.PerCodec); ok && raw {
		v = p.For(c.codec)
	}
	if a, ok := v.(protocols.Adapter); ok && !raw {
		v = a.Adapt(c.codec)
	}
	if s, ok := v.(*Shared); ok && raw {
		if c.out == nil {
			if len(*s) > 0 {
				c.out, c.outShared = (*[]byte)(s), true
			}
			return nil
		}
		v = []byte(*s)
	}
	c.ownOutLocked(rawLen(v, raw))
	if raw {
		switch b := v.(type) {
		case []byte:
			*c.out = append(*c.out, b...)
		case string:
			*c.out = append(*c.out, b...)
		default:
			return protocols.ErrUnsupportedMessage
		}
		return nil
	}
	out, err := c.codec.Encode(*c.out, v)
	if err != nil {
		return err // Encode leaves the buffer's length as it was
	}
	*c.out = out
	return nil
}

// stageLocked appends b to the staged output.
func (c *TcpConnection) stageLocked(b []byte) {
	if len(b) == 0 {
		return
	}
	c.ownOutLocked(len(b))
	*c.out = append(*c.out, b...)
}

// ownOutLocked makes the staged output a buffer of the connection's own
// that more bytes (about n) may be appended to: a pooled one, holding a
// copy of the Shared slice staged so far if there is one.
func (c *TcpConnection) ownOutLocked(n int) {
	switch {
	case c.out == nil:
		c.out = getBuffer(n)
	case c.outShared:
		b := getBuffer(len(*c.out) + n)
		*b = append(*b, *c.out...)
		c.out, c.outShared = b, false
	}
}

// dropOutLocked forgets the staged output, giving its buffer back.
func (c *TcpConnection) dropOutLocked() {
	if !c.outShared {
		putBuffer(c.out)
	}
	c.out, c.outShared = nil, false
}

// stagedLocked is the number of staged bytes.
func (c *TcpConnection) stagedLocked() int {
	if c.out == nil {
		return 0
	}
	return len(*c.out)
}

// rawLen is the size of a raw send, or 0 when it is not known before
// encoding.
func rawLen(v any, raw bool) int {
	if !raw {
		return 0
	}
	switch b := v.(type) {
	case []byte:
		return len(b)
	case string:
		return len(b)
	case *Shared:
		return len(*b)
	}
	return 0
}

// needWakeLocked reports whether the loop must be woken to write staged
// output or to resume stalled input, and records that a wake is queued.
func (c *TcpConnection) needWakeLocked() bool {
	if c.inCallback || c.wakeQueued {
		return false
	}
	pending := c.stagedLocked() > 0 || c.closeAfterFlush
	if c.stalled && c.seq.Ready() && !c.full {
		pending = true
	}
	if !pending {
		return false
	}
	c.wakeQueued = true
	return true
}

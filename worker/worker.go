// Package worker holds Worker, a listening server after workerman's Worker:
// a socket name such as "http://0.0.0.0:8080", callbacks, and a lifecycle
// (Start/Stop, or RunAll/StopAll for every worker of the process).
//
// A worker serves its connections on Count event loops. Connection
// callbacks run on the loop that owns the connection, one at a time per
// loop; they must not block (hand slow work to a goroutine and Send the
// result: Send is safe from any goroutine). Timer callbacks (package timer)
// run on the timing wheel's own goroutine, or on a loop when bound to one
// with timer.AddOn(w.Loop(i), ...). The README's "Using it" section gives
// these rules for the whole framework in one place.
//
// Socket names: "http://0.0.0.0:8080", "http://localhost:8080" (a host
// name, resolved at Start), "http://[::1]:8080", "unix:///run/app.sock"
// (raw bytes over a unix socket, as workerman's unix://) and
// "http+unix:///run/app.sock"; "https://" and "wss://" are "http://" and
// "ws://" over TLS (Transport "ssl", with TLSConfig). The limits a worker enforces, and their
// defaults, are its fields and its Protocol's; the README's "Limits and
// defenses" lists them.
//
// # Typed OnMessage
//
// OnMessage is declared as any so that it can take the message type of the
// worker's protocol directly, as a port of workerman reads naturally:
//
//	w, _ := worker.New("http://0.0.0.0:8080")
//	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) { ... }
//
// The schemes and their message types: "tcp" []byte, "text" string,
// "frame" []byte, "http" *http.Request, "ws" and "websocket"
// websocket.Message (every connection is upgraded; the hooks are on
// w.Protocol.(*websocket.Server)). func(c, msg any) fits every scheme.
// Start checks the handler's type and fails with a clear error when it does
// not fit; at run time a message costs one type assertion, not reflection.
//
// # Commands
//
// RunAll reads workerman's commands after the program's own flags:
// start [-d], stop [-g], restart, reload [-g], status [-d|--json] and
// connections (see RunCommand). start -d detaches the program and writes
// PidFile; the other commands reach the running server over a unix socket
// beside it. reload starts the program's binary anew beside the running
// one on the same port and moves new connections to it; the old process
// finishes its own and exits (reload.go tells how).
package worker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/protocols"
)

// DefaultStopTimeout is how long Stop waits for connections to finish
// before it closes them, as workerman's stopTimeout.
const DefaultStopTimeout = 2 * time.Second

// Errors returned by New and Start.
var (
	ErrUnknownScheme  = errors.New("worker: unknown scheme")
	ErrBadAddress     = errors.New("worker: bad listen address")
	ErrAlreadyStarted = errors.New("worker: already started")
)

// Worker listens on one address and serves its connections. Set its fields
// and callbacks before Start (or RunAll); they must not change afterwards.
type Worker struct {
	// Name names the worker in logs; "none" by default, as in workerman.
	Name string
	// Count is the number of event loops; one per CPU by default.
	Count int
	// ReusePort lets the worker share its port with other processes that
	// set it too (several processes serving one port, or an old and a new
	// one during a reload). On Linux every event loop has its own
	// SO_REUSEPORT listener either way; without ReusePort, Start fails
	// when anyone listens on the address already.
	ReusePort bool
	// MaxSendBufferSize is each connection's send buffer limit (default 1 MiB).
	MaxSendBufferSize int
	// MaxPackageSize is the largest message accepted (default 10 MiB).
	MaxPackageSize int
	// StopTimeout bounds how long Stop lets connections finish (default 2 s).
	StopTimeout time.Duration
	// MaxConnections bounds the worker's open connections; one over it is
	// closed as soon as it is accepted, before OnConnect. Whatever it is
	// set to, the process never holds more accepted sockets, spooled
	// request bodies and files being served than its fd limit
	// (RLIMIT_NOFILE) less a reserve (a sixteenth, at least 64), so
	// accepting never fails for want of descriptors. 0: no bound of the
	// worker's own.
	MaxConnections int
	// Transport is what carries the protocol's bytes, as workerman's
	// transport: "tcp" (plain; the default) or "ssl" (TLS, with
	// TLSConfig). The schemes https:// and wss:// set "ssl". Any protocol
	// runs over either unchanged.
	Transport string
	// TLSConfig configures "ssl": the certificates (Certificates, or
	// GetCertificate for SNI and reloading them; see package certfile),
	// client certificates (ClientAuth, ClientCAs), versions. Start fails
	// without one. HTTP and WebSocket workers offer ALPN "http/1.1" unless
	// NextProtos says otherwise; "h2" is never offered.
	TLSConfig *tls.Config
	// TLSHandshakeTimeout closes a connection whose TLS handshake has not
	// completed this long after it was accepted (default 10 s).
	TLSHandshakeTimeout time.Duration
	// Protocol speaks the scheme's protocol. New sets it; configure it (for
	// example *http.Protocol's timeouts) or replace it before Start.
	Protocol protocols.Protocol
	// Logger receives panics and errors; slog.Default() when nil.
	Logger *slog.Logger

	// OnWorkerStart runs once the address is bound, before the first
	// connection is accepted.
	OnWorkerStart func(w *Worker)
	// OnWorkerStop runs after the last connection has closed.
	OnWorkerStop func(w *Worker)
	// OnWorkerReload runs in the old process when a reload begins (see
	// the reload command), before the new process starts.
	OnWorkerReload func(w *Worker)
	// OnConnect runs when a connection is accepted.
	OnConnect func(c *connection.TcpConnection)
	// OnMessage receives each decoded message; see the package doc for the
	// forms it may take.
	OnMessage any
	// OnClose runs when a connection has closed.
	OnClose func(c *connection.TcpConnection)
	// OnError reports send failures, protocol errors and recovered panics,
	// with a connection.Code* value. Like every callback it runs on the
	// connection's event loop; for a send failure that is just after the
	// failed Send returned (which also returned the error).
	OnError func(c *connection.TcpConnection, code int, err error)
	// OnBufferFull runs when a connection's send buffer reaches its limit,
	// on the connection's event loop just after the Send that filled it.
	OnBufferFull func(c *connection.TcpConnection)
	// OnBufferDrain runs when a full send buffer has been written out.
	OnBufferDrain func(c *connection.TcpConnection)

	socketName string
	schemeName string // as given: "https" for https://
	scheme     scheme
	startedAt  time.Time
	listen     listenAddr

	started  atomic.Bool
	stopping atomic.Bool
	// handedOver: a reload's new process serves the address now; the
	// old one drains, and leaves a unix socket's path alone.
	handedOver atomic.Bool
	group      any // the connections' shared group (glue.Connections.NewGroup)
	engine     gnet.Engine
	addr       net.Addr
	runDone    chan struct{}
	runErr     error
	died       error        // set before runDone closes when the engine stopped unasked
	heldFDs    int          // descriptors the loops hold, counted in the budget
	open       atomic.Int64 // accepted connections not yet closed
	refused    atomic.Int64 // connections closed at accept, over a limit
	lastWarn   atomic.Int64 // when a refusal was last logged, Unix seconds
	stopOnce   sync.Once

	mu      sync.Mutex
	conns   map[*connection.TcpConnection]struct{} // a set: 8 bytes a slot, not 16
	drained chan struct{}                          // closed when conns empties during Stop
	loops   map[gnet.EventLoop]int
	probes  []*loopProbe

	loopExecs []*loopExec   // Loop(i); made by prepare
	nextLoop  atomic.Uint64 // the loop of the next AsyncTcpConnection
}

var (
	allMu      sync.Mutex
	allWorkers []*Worker
)

// New creates a worker for socketName, "scheme://host:port": the scheme
// names a registered protocol (tcp, text, frame, http, or one registered
// with RegisterProtocol). Port 0 picks a free port; Addr tells which.
func New(socketName string) (*Worker, error) {
	schemeName, la, err := parseSocketName(socketName)
	if err != nil {
		return nil, err
	}
	name0, transport := schemeName, "tcp"
	if base, ok := tlsSchemes[schemeName]; ok {
		schemeName, transport = base, "ssl"
	}
	s, ok := lookupScheme(schemeName)
	if !ok {
		return nil, fmt.Errorf("%w %q in %q", ErrUnknownScheme, schemeName, socketName)
	}
	w := &Worker{
		schemeName: name0,
		Transport:  transport,
		Name:       "none",
		socketName: socketName,
		scheme:     s,
		listen:     la,
		Protocol:   s.newProtocol(),
		runDone:    make(chan struct{}),
		conns:      make(map[*connection.TcpConnection]struct{}),
		loops:      make(map[gnet.EventLoop]int),
	}
	allMu.Lock()
	allWorkers = append(allWorkers, w)
	allMu.Unlock()
	return w, nil
}

// SocketName is the address the worker was created with.
func (w *Worker) SocketName() string { return w.socketName }

// WorkerName is Name (connection.Owner).
func (w *Worker) WorkerName() string { return w.Name }

// Addr is the address the worker listens on once started (with the real
// port when port 0 was asked for), or nil.
func (w *Worker) Addr() net.Addr { return w.addr }

// Connections returns a snapshot of the worker's open connections, by id:
// a new map on every call, which later opens and closes do not change.
// Call it for occasional inspection, not per message; ConnectionCount is
// cheaper when the number is all that is needed.
func (w *Worker) Connections() map[uint64]*connection.TcpConnection {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := make(map[uint64]*connection.TcpConnection, len(w.conns))
	for c := range w.conns {
		m[c.ID()] = c
	}
	return m
}

// ConnectionCount is the number of open connections.
func (w *Worker) ConnectionCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.conns)
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}

// prepare fills in defaults and makes the group of callbacks and limits
// the worker's connections share.
func (w *Worker) prepare() error {
	if w.Protocol == nil {
		return errors.New("worker: Protocol is nil")
	}
	onMessage, err := w.scheme.adaptHandler(w.Protocol, w.OnMessage)
	if err != nil {
		return fmt.Errorf("worker %q: %w", w.Name, err)
	}
	if r, ok := w.Protocol.(protocols.HandlerRequired); ok && r.RequiresHandler() && onMessage == nil {
		return fmt.Errorf("worker %q (%s): OnMessage is nil, and every %s message needs an answer from it",
			w.Name, w.socketName, w.Protocol.Name())
	}
	if w.Count <= 0 {
		w.Count = runtime.NumCPU()
	}
	if w.StopTimeout <= 0 {
		w.StopTimeout = DefaultStopTimeout
	}
	w.loopExecs = make([]*loopExec, w.Count)
	for i := range w.loopExecs {
		w.loopExecs[i] = &loopExec{w: w}
	}
	newTransport, err := w.transportFactory()
	if err != nil {
		return fmt.Errorf("worker %q (%s): %w", w.Name, w.socketName, err)
	}
	g, err := glue.Connections.NewGroup(w, glue.Config{
		MaxSendBufferSize: w.MaxSendBufferSize,
		MaxPackageSize:    w.MaxPackageSize,
		NewTransport:      newTransport,
	}, glue.Callbacks{
		OnMessage:     onMessage,
		OnClose:       w.OnClose,
		OnError:       w.OnError,
		OnBufferFull:  w.OnBufferFull,
		OnBufferDrain: w.OnBufferDrain,
		OnPanic: func(c *connection.TcpConnection, where string, v any, stack []byte) {
			w.logger().Error("worker: recovered panic", "worker", w.Name, "callback", where,
				"conn", c.ID(), "panic", fmt.Sprint(v), "stack", string(stack))
		},
	})
	if err != nil {
		return err
	}
	w.group = g
	return nil
}

// callLifecycle runs OnWorkerStart or OnWorkerStop, recovering a panic.
func (w *Worker) callLifecycle(where string, fn func(*Worker)) {
	if fn == nil {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			w.logger().Error("worker: recovered panic", "worker", w.Name, "callback", where,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	fn(w)
}

// loopID numbers event loops 0..Count-1 in the order they are first seen.
func (w *Worker) loopID(el gnet.EventLoop) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	id, ok := w.loops[el]
	if !ok {
		id = len(w.loops)
		w.loops[el] = id
	}
	return id
}

// takeSlot counts one more open connection, or reports false when the
// worker has MaxConnections open already.
func (w *Worker) takeSlot() bool {
	for {
		n := w.open.Load()
		if w.MaxConnections > 0 && n >= int64(w.MaxConnections) {
			return false
		}
		if w.open.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (w *Worker) addConn(c *connection.TcpConnection) {
	w.mu.Lock()
	w.conns[c] = struct{}{}
	w.mu.Unlock()
}

// refuse counts a connection closed at accept and logs it, at most once
// every ten seconds.
func (w *Worker) refuse(why string) {
	n := w.refused.Add(1)
	now := time.Now().Unix()
	last := w.lastWarn.Load()
	if now-last >= 10 && w.lastWarn.CompareAndSwap(last, now) {
		w.logger().Warn("worker: refusing connections", "worker", w.Name, "reason", why, "refused so far", n)
	}
}

func (w *Worker) removeConn(c *connection.TcpConnection) {
	w.mu.Lock()
	delete(w.conns, c)
	if len(w.conns) == 0 && w.drained != nil {
		close(w.drained)
		w.drained = nil
	}
	w.mu.Unlock()
}

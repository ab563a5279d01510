// Package glue is the seam between package worker, which runs the gnet
// engine, and package connection, whose TcpConnection the engine's events
// drive. It keeps gnet and the loop's machinery out of the public API:
// applications see TcpConnection's methods, and nothing here.
//
// Package connection fills in Connections when it is initialized; package
// worker, which imports connection, calls it. The handles are opaque (any)
// so that this package need not import connection.
package glue

import (
	"errors"
	"net"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/protocols"
)

// Config holds the limits a worker's connections start with; zero fields
// take connection's defaults.
type Config struct {
	MaxSendBufferSize int
	MaxPackageSize    int
	CloseTimeout      time.Duration
	// NewTransport gives each new connection its transport; nil: plain.
	// host is the connection, for a transport that works off the loop
	// too (a TLS handshake).
	NewTransport func(host TransportHost) Transport
}

// TransportHost is what a transport may ask of its connection from any
// goroutine.
type TransportHost interface {
	// Wake has the loop call Receive soon, with no new bytes if none came:
	// the transport has something to reply or to deliver.
	Wake()
	// Destroy closes the connection at once.
	Destroy()
	// LocalAddr and RemoteAddr are the socket's addresses (nil when
	// unknown).
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
	// MaxPackageSize is the largest message the connection accepts: the
	// measure of input a transport may hold for it.
	MaxPackageSize() int
}

// Transport carries a connection's bytes between the socket and its
// codec: Receive turns what was read into what the codec reads, Send turns
// what the codec encoded into what is written. The plain transport is none
// at all (a nil Transport): bytes pass as they are, at no cost. TLS is a
// transport. Backpressure is counted on the socket's side: what the
// connection staged plus what gnet holds for the socket.
//
// Every method runs on the connection's event loop, one at a time.
type Transport interface {
	// Receive appends to plain what the codec is to read from wire, bytes
	// read from the socket (valid only during the call), and to reply any
	// bytes the transport must send back at once (a handshake's). An
	// error closes the connection.
	Receive(plain, reply, wire []byte) (plainOut, replyOut []byte, err error)
	// Send appends to wire the socket's form of plain, bytes the codec
	// encoded. An error closes the connection.
	Send(wire, plain []byte) ([]byte, error)
	// Close releases what the transport holds; the connection has closed.
	// It is called once, on the loop, and may be followed by nothing.
	Close()
}

// ErrPeerClosed is returned by Receive when the peer ended the
// conversation in the transport's own way (a TLS close_notify): the
// connection closes as on a TCP end of stream, without an error report.
var ErrPeerClosed = errors.New("transport: the peer closed the connection")

// Callbacks are a worker's callbacks, each nil or of the type package
// connection expects:
//
//	OnMessage     func(*connection.TcpConnection, any)
//	OnClose       func(*connection.TcpConnection)
//	OnError       func(*connection.TcpConnection, int, error)
//	OnBufferFull  func(*connection.TcpConnection)
//	OnBufferDrain func(*connection.TcpConnection)
//	OnPanic       func(*connection.TcpConnection, string, any, []byte)
//
// NewGroup checks them once.
type Callbacks struct {
	OnMessage, OnClose, OnError, OnBufferFull, OnBufferDrain, OnPanic any
}

// Connections is package connection's side of the seam.
var Connections struct {
	// NewGroup returns what every connection of one worker shares: its
	// owner (a connection.Owner), its limits and its callbacks.
	NewGroup func(owner any, cfg Config, cb Callbacks) (group any, err error)
	// Accept wraps a gnet connection accepted on event loop loopID; it
	// returns the *connection.TcpConnection. Called from gnet's OnOpen.
	Accept func(gc gnet.Conn, loopID int, proto protocols.Protocol, group any) (conn any)
	// Open runs the connection's OnConnect (a func(*connection.TcpConnection)
	// or nil) and writes what it sent. Called from gnet's OnOpen.
	Open func(conn any, onConnect any) gnet.Action
	// Traffic reads what gnet received, dispatches it and writes what was
	// sent. Called from gnet's OnTraffic, which also runs after a Wake.
	Traffic func(conn any) gnet.Action
	// Close marks the connection closed, frees what it holds and runs its
	// OnClose. Called from gnet's OnClose.
	Close func(conn any)
	// Stats returns a group's counters: messages dispatched to OnMessage
	// and sends that failed.
	Stats func(group any) (messages, sendFailures uint64)

	// NewOutbound makes a *connection.AsyncTcpConnection (not connected)
	// for the worker whose group is group.
	NewOutbound func(group any, spec Outbound) (conn any)
	// OpenOutbound attaches an outbound connection's gnet connection,
	// once gnet opened it on loop loopID (its context is an
	// OutboundAttempt), and runs its OnConnect. It returns the
	// *connection.TcpConnection, or nil when the attempt was given up
	// meanwhile (timed out, cancelled): the worker then closes gc. Called
	// from gnet's OnOpen.
	OpenOutbound func(gc gnet.Conn, loopID int, attempt OutboundAttempt) (conn any, action gnet.Action)
	// StopOutbound ends a worker's outbound connections that connect or
	// wait to reconnect (the worker stops).
	StopOutbound func(group any)
}

// OutboundAttempt is the gnet context of an outbound connection until
// its OnOpen: one connect attempt of a connection.AsyncTcpConnection.
type OutboundAttempt interface {
	OutboundAttempt()
}

// Outbound is what package worker tells package connection of a new
// outbound connection.
type Outbound struct {
	// Loops runs the connection's work on the worker's event loops.
	Loops LoopHost
	// Loop is the index of the event loop the connection runs on.
	Loop int
	// Network ("tcp" or "unix") and Address ("host:port" or a path) are
	// where to connect; Host is the host name as given (TLS's server
	// name); URI is the remote address as given ("ws://host:port/path").
	Network, Address, Host, URI string
	// Protocol makes the connection's codec.
	Protocol protocols.Protocol
	// TLS: the scheme asks for the ssl transport (wss://).
	TLS bool
	// Adapt checks and adapts an OnMessage of the user's to the message
	// type of p (Protocol, or the one the user replaced it with); it
	// returns a func(*connection.TcpConnection, any).
	Adapt func(p protocols.Protocol, onMessage any) (handler any, err error)
}

// LoopHost is the worker's side of its outbound connections.
type LoopHost interface {
	// Execute runs fn on event loop i, after the loop is known.
	Execute(i int, fn func()) error
	// EventLoop is gnet's event loop i, nil while it is not known yet.
	EventLoop(i int) gnet.EventLoop
	// Loops is the number of event loops.
	Loops() int
	// Stopping reports that the worker stops: no new connect starts.
	Stopping() bool
}

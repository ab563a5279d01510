// Package protocols defines the contract between a connection and the
// application protocol spoken on it, after workerman's ProtocolInterface
// (input, decode, encode).
//
// A Protocol is stateless and shared by every connection of a worker; it
// creates one Codec per connection, and the codec keeps whatever state the
// protocol needs between reads (how far it has scanned, a parser's state).
//
// # How a connection drives a codec
//
// The connection keeps the bytes it has received but not yet consumed in one
// buffer. While that buffer is not empty it calls Input with all of it:
//
//   - Input returns 0 when the next package is not complete yet. The
//     connection waits for more bytes and calls Input again with the same
//     buffer grown at its end, so a codec may remember how much it has already
//     scanned: input arriving in pieces must cost O(n) overall.
//   - Input returns n > 0 when buf[:n] is one whole package. The connection
//     calls Decode(buf[:n]), dispatches the message, drops those n bytes and
//     goes on with the rest (pipelined packages).
//   - Input returns an error when the input can never become a valid package.
//     If the error implements Replier, its reply is written; then the
//     connection is closed.
//
// Slices passed to Input and Decode point into buffers that are reused as
// soon as the call returns: a codec or a decoded message must copy whatever
// it keeps.
//
// # Switching protocols
//
// A connection may change its protocol between two messages, as an HTTP
// connection upgrading to WebSocket does: TcpConnection.SwitchProtocol
// replaces the codec with a new one from another Protocol, and releases
// the old one (Releaser). The bytes the old codec had not taken (anything
// after the last package it measured, even from the same read) are the
// new codec's first input; sends from then on are encoded by the new
// codec. The answer that announces the switch (HTTP's 101) must be sent
// before it, so that the old codec encodes it. Called from the callback of
// the last message of the old protocol, the switch falls exactly after that
// message.
//
// # Transports
//
// Between the socket and the codec sits the connection's transport: the
// plain one passes bytes as they are; TLS decrypts what Input sees and
// encrypts what Encode wrote. A codec never knows which it runs over.
//
// # Locking
//
// Every codec method is called with the connection's codec lock held, so a
// codec needs no locking of its own, but it must not call back into the
// connection's Send or Close from inside a codec method (that would deadlock).
// Input and Decode run on the connection's event loop; Encode runs on
// whichever goroutine sends.
package protocols

import "errors"

// Protocol is a stateless description of a wire protocol. Implementations are
// registered with the worker package under a URL scheme ("text", "frame",
// "http").
type Protocol interface {
	// Name is the scheme the protocol is known by, such as "text".
	Name() string
	// NewCodec returns the per-connection state for one new connection.
	NewCodec(c Conn) Codec
}

// Codec is one connection's encoder and decoder.
type Codec interface {
	// Input reports the length of the package at the start of buf: 0 when
	// more bytes are needed, n > 0 when buf[:n] is complete, or an error when
	// the connection must be closed.
	Input(buf []byte) (int, error)
	// Decode turns one complete package into a message. pkg is only valid
	// during the call. A nil message (untyped) means the package was a
	// piece the codec absorbed into its own state, and nothing is
	// dispatched: HTTP writes a large request body to a file piece by piece
	// as it arrives, then delivers the request with the last piece.
	Decode(pkg []byte) (any, error)
	// Encode appends the wire form of msg to dst and returns the result.
	Encode(dst []byte, msg any) ([]byte, error)
}

// Conn is what a codec may know of its connection. It is implemented by
// *connection.TcpConnection; codecs receive it in NewCodec.
type Conn interface {
	// ID is the connection's unique, increasing id.
	ID() uint64
	// MaxPackageSize is the largest package the codec may accept.
	MaxPackageSize() int
	// CloseAsync asks for the connection to be closed once its pending
	// output is written. Unlike Close it never blocks on the codec lock, so a
	// codec may call it from a timer callback or from a codec method.
	CloseAsync()
}

// Replier is implemented by errors that carry bytes to send to the peer
// before the connection is closed, such as an HTTP 400 response.
type Replier interface {
	error
	Reply() []byte
}

// Sequencer is implemented by request/response codecs (HTTP) that must answer
// messages strictly in order and tell the connection when to stop.
type Sequencer interface {
	// Ready reports whether the connection may dispatch the next decoded
	// message now. It is false while a reply to the previous one is owed; the
	// connection tries again after each Encode.
	Ready() bool
	// Interim returns bytes to write at once, before the next package is
	// complete (HTTP's "100 Continue"), or nil. The connection calls it after
	// every Input that returned 0.
	Interim() []byte
	// CloseAfterWrite reports that the output encoded so far ends the
	// conversation: the connection closes once it is written.
	CloseAfterWrite() bool
}

// Releaser is implemented by codecs that hold resources (timers, pooled
// buffers) to free when their connection closes. Release is called once,
// with the codec lock held, after the connection's OnClose.
type Releaser interface {
	Release()
}

// FailureReplier is implemented by codecs that owe the peer an answer when
// the handler of a message panics (HTTP answers 500). FailureReply returns
// nil when nothing is owed. It is called with the codec lock held.
type FailureReplier interface {
	FailureReply() []byte
}

// Drainer is implemented by codecs whose conversations have boundaries
// (HTTP's requests), so that a graceful stop ends a connection at the next
// one rather than in the middle of a message.
type Drainer interface {
	// Drain asks the codec to end the conversation at its next boundary:
	// the message being received, and its answer, complete, and the answer
	// tells the peer that the connection closes (CloseAfterWrite then
	// reports true). It returns bytes to write first (a stream's
	// terminator) and whether the connection is at a boundary now, and
	// may close as soon as they are written. It is called with the codec
	// lock held, from any goroutine.
	Drain() (final []byte, idle bool)
}

// IdleReporter is implemented by Drainers that can tell a conversation
// waiting for the peer's next message, with nothing owed and no stream
// open, from one in the middle of something. It is called with the codec
// lock held.
type IdleReporter interface {
	Idle() bool
}

// Responder is implemented by codecs that answer some packages themselves
// (WebSocket answers a ping with a pong and a close with a close). After
// every Decode the connection writes the bytes Reply returns, ahead of
// anything sent later; the codec may reuse them after the call.
type Responder interface {
	Reply() []byte
}

// PerCodec is a message prepared once in more than one wire form, for
// connections whose codecs need different bytes (a WebSocket broadcast,
// compressed for the connections that negotiated compression). SendRaw
// sends what For returns for the connection's codec: a []byte, a string,
// or a *connection.Shared. For is called with the codec lock held, from
// any goroutine.
type PerCodec interface {
	For(codec Codec) any
}

// Adapter is a message that takes its form from the codec of the
// connection it is sent on, before being encoded: a group message is a
// server-sent event on a connection streaming text/event-stream and plain
// text on a WebSocket. Send calls Adapt once, with the codec lock held,
// from the sender's goroutine, and encodes what it returns; SendRaw does
// not call it. Adapt must not call back into the connection.
type Adapter interface {
	Adapt(codec Codec) any
}

// EventStreamer is implemented by codecs that can stream server-sent
// events (HTTP): EventStream reports whether the connection is streaming
// a text/event-stream response now, so that a message sent to it should
// be an event. It is called with the codec lock held (from an Adapter).
type EventStreamer interface {
	EventStream() bool
}

// HandlerRequired is implemented by protocols whose every message needs an
// answer from the application (HTTP): a worker of such a protocol refuses
// to start without OnMessage, rather than accept requests it would never
// answer.
type HandlerRequired interface {
	RequiresHandler() bool
}

// ErrPackageTooLarge is returned by Input when a package would exceed the
// connection's MaxPackageSize.
var ErrPackageTooLarge = errors.New("protocols: package exceeds MaxPackageSize")

// ErrUnsupportedMessage is returned by Encode for a message type the
// protocol cannot encode.
var ErrUnsupportedMessage = errors.New("protocols: unsupported message type")

// Greeter is implemented by codecs that speak first on a connection they
// open (a WebSocket client's handshake request). When an outbound
// connection is established, the connection writes what Greeting returns
// before anything the application sent, including sends made while it
// was still connecting. It is called once per connection, with the codec
// lock held, on the connection's event loop.
type Greeter interface {
	Greeting() []byte
}

// ConnectFailure is implemented by errors from a codec's Input that mean
// the connection never became what was asked for (a WebSocket handshake
// the server refused): the connection reports them to OnError with
// connection.CodeConnectFail rather than CodeProtocol.
type ConnectFailure interface {
	error
	ConnectFailure() bool
}

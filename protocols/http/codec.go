package http

import (
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols"
)

// Default timeouts and limits of the http scheme. Each is a field of
// Protocol, set per worker; the model is nginx's and Apache
// mod_reqtimeout's.
const (
	// DefaultHeaderTimeout bounds how long a request's head may take: on a
	// new connection from the moment it is accepted, so silence and empty
	// lines count; on a keep-alive connection from the first byte of the
	// next request (the wait before it is IdleTimeout's).
	DefaultHeaderTimeout = 10 * time.Second
	// DefaultBodyTimeout and DefaultBodyMinRate bound how long a request
	// body may take, as mod_reqtimeout's body=20,MinRate=500: the body
	// must be complete within BodyTimeout of the end of its head, extended
	// by one second for every BodyMinRate bytes received. A body trickled
	// at 1 byte/s is cut after about 20 s.
	DefaultBodyTimeout = 20 * time.Second
	DefaultBodyMinRate = 500
	// DefaultIdleTimeout bounds how long a keep-alive connection may wait
	// for its next request, and each silence while a request body arrives.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultMaxBodyInMemory is the largest request body held in memory;
	// larger bodies are spooled to a temporary file as they arrive.
	DefaultMaxBodyInMemory = 1 << 20
	// DefaultMaxBodyMemory bounds the bytes of request bodies held in
	// memory by all connections of a worker together. A body that does not
	// fit is spooled to a temporary file instead.
	DefaultMaxBodyMemory = 64 << 20
	// DefaultMaxSpoolFiles bounds the temporary files a worker's requests
	// hold at once; a request that would need one more is answered 503
	// with Retry-After.
	DefaultMaxSpoolFiles = 1024
)

// ErrNoRequest is returned by Send when an HTTP connection has no request
// waiting for a response (it was answered already).
var ErrNoRequest = errors.New("http: no request awaits a response")

// Protocol is the "http" scheme's protocol. Each worker has its own; set
// its fields before the worker starts:
//
//	w, _ := worker.New("http://0.0.0.0:8080")
//	w.Protocol.(*http.Protocol).IdleTimeout = 30 * time.Second
type Protocol struct {
	// Limits bounds request heads; MaxBodyBytes is taken from each
	// connection's MaxPackageSize.
	Limits Limits
	// HeaderTimeout: see DefaultHeaderTimeout. Negative disables it.
	HeaderTimeout time.Duration
	// IdleTimeout: see DefaultIdleTimeout. Negative disables it.
	IdleTimeout time.Duration
	// BodyTimeout: see DefaultBodyTimeout. Negative disables it.
	BodyTimeout time.Duration
	// BodyMinRate in bytes per second: see DefaultBodyMinRate. Negative:
	// the body deadline is not extended by what arrives.
	BodyMinRate int
	// MaxBodyInMemory: see DefaultMaxBodyInMemory. Negative: every body
	// is spooled.
	MaxBodyInMemory int
	// MaxBodyMemory: see DefaultMaxBodyMemory.
	MaxBodyMemory int64
	// MaxSpoolFiles: see DefaultMaxSpoolFiles.
	MaxSpoolFiles int
	// TempDir is where spooled bodies and uploaded files are written;
	// os.TempDir() when empty.
	TempDir string
	// AllowConnect passes CONNECT requests to OnMessage. By default they
	// are answered 501: a server that is no proxy must not answer one 200.
	AllowConnect bool
	// AccessLog, when set, receives a record per response the application
	// sends ("http access": remote, method, target, proto, status, body
	// bytes with -1 for a stream, conn). Refusals the parser answers
	// itself (400, 413, ...) are not in it.
	AccessLog *slog.Logger
	// Sessions, when set, gives requests their Session (see
	// SessionManager); nil: Request.Session fails with
	// ErrSessionsDisabled.
	Sessions *SessionManager

	parsers sync.Pool
	budget  bodyBudget
}

// NewProtocol returns a Protocol with the default limits and timeouts.
func NewProtocol() *Protocol { return &Protocol{} }

// RequiresHandler reports true: every request needs an answer
// (protocols.HandlerRequired).
func (p *Protocol) RequiresHandler() bool { return true }

// Name returns "http".
func (p *Protocol) Name() string { return "http" }

// NewCodec returns the codec of one connection, whose header timeout
// runs from now: a connection that never sends is closed like one that
// sends half a head.
func (p *Protocol) NewCodec(c protocols.Conn) protocols.Codec {
	cd := &codec{proto: p, conn: c}
	cd.armFor(timeoutHeader, p.headerTimeout())
	return cd
}

func (p *Protocol) headerTimeout() time.Duration {
	if p.HeaderTimeout == 0 {
		return DefaultHeaderTimeout
	}
	return p.HeaderTimeout
}

func (p *Protocol) idleTimeout() time.Duration {
	if p.IdleTimeout == 0 {
		return DefaultIdleTimeout
	}
	return p.IdleTimeout
}

func (p *Protocol) bodyTimeout() time.Duration {
	if p.BodyTimeout == 0 {
		return DefaultBodyTimeout
	}
	return p.BodyTimeout
}

func (p *Protocol) bodyMinRate() int64 {
	if p.BodyMinRate == 0 {
		return DefaultBodyMinRate
	}
	return int64(p.BodyMinRate)
}

// getParser takes a parser from the pool: connections hold one only while a
// request is arriving, so idle connections (SSE streams) hold none.
func (p *Protocol) getParser(maxBody int) *Parser {
	if v, ok := p.parsers.Get().(*Parser); ok {
		v.lim.MaxBodyBytes = int64(maxBody)
		v.lim = v.lim.withDefaults()
		return v
	}
	l := p.Limits
	l.MaxBodyBytes = int64(maxBody)
	return NewParser(l)
}

func (p *Protocol) putParser(ps *Parser) {
	ps.Reset()
	if cap(ps.chunks) > maxPooledChunks {
		ps.chunks = nil // a body of many small chunks must not pin its spans
	}
	p.parsers.Put(ps)
}

// maxPooledChunks bounds the chunk spans a pooled parser keeps room for.
const maxPooledChunks = 256

// codec is one HTTP connection's state. Its methods run under the
// connection's codec lock (see package protocols), so it needs no locking;
// only the timeout is touched from the timer goroutine.
//
// Every connection holds one for its whole life, idle SSE streams
// included, so it is kept small (96 bytes): the flags are packed after the
// pointers, and the deadline shares the codec's conn.
type codec struct {
	proto  *Protocol
	conn   protocols.Conn
	parser *Parser // nil between requests

	// The request being answered.
	req   *Request  // until its response starts streaming or ends
	spare *Request  // the last answered request, reused by the next Decode
	file  *filePump // a file body being sent

	timeout deadline

	ec           encodeContext
	streaming    responseKind // kindChunked, kindUnframed or kindEventStream while streaming; kindComplete otherwise
	owed         bool         // a request was dispatched and its response is not complete
	closeAfter   bool
	continueSent bool
	draining     bool // the worker stops: the request in progress is the last
}

// Input measures the next request and keeps the connection's deadline:
// the header timeout while a head arrives, the body deadline while a body
// does (see Protocol's fields).
func (c *codec) Input(buf []byte) (int, error) {
	if c.parser == nil {
		c.parser = c.proto.getParser(c.conn.MaxPackageSize())
	}
	n, err := c.parser.Input(buf)
	if err != nil {
		return 0, err
	}
	switch {
	case n > 0:
		c.timeout.disarm() // complete: Decode follows
	case c.parser.HeaderComplete():
		c.armBody(c.parser.bodyReceived(buf))
		return c.holdOrSpool(buf)
	case c.parser.Started():
		// The first byte of a request line: on a keep-alive connection
		// the idle wait ends and the head's own deadline starts. (On a
		// new connection it runs from accept already.)
		if !c.timeout.armedFor(timeoutHeader) {
			c.armFor(timeoutHeader, c.proto.headerTimeout())
		}
	default:
		// Nothing but empty lines: they are silence, and whatever
		// deadline runs keeps running.
	}
	return n, nil
}

// Decode builds the Request of the package Input measured, or takes a
// piece of a body being spooled (and then returns no message).
func (c *codec) Decode(pkg []byte) (any, error) {
	if c.parser.spool != nil {
		return c.decodeSpooled(pkg)
	}
	if c.parser.headEnd < int32(len(pkg)) && !c.fitsInMemory(pkg) {
		// The whole request arrived at once (it had waited behind a
		// pipelined one), but its body is still too large to keep.
		if err := c.startSpool(); err != nil {
			return nil, err
		}
		return c.decodeSpooled(pkg)
	}
	req := c.takeRequest()
	reserved := c.parser.reserved
	if err := c.parser.Decode(pkg, req); err != nil {
		return nil, err
	}
	req.reserved = reserved
	c.dropParser()
	return c.dispatchable(req)
}

// takeRequest returns the previous request for reuse, or a new one: the
// previous one's response is complete and its handler has returned
// (dispatch is sequential), so nothing may use it now.
func (c *codec) takeRequest() *Request {
	req := c.spare
	c.spare = nil
	if req == nil {
		req = new(Request)
	}
	return req
}

// dropParser gives the parser back, with whatever it still holds.
func (c *codec) dropParser() {
	p := c.parser
	if p == nil {
		return
	}
	c.parser = nil
	c.proto.unreserve(p.reserved)
	p.reserved = 0
	if p.pending != nil {
		p.pending.endBody(c.proto)
	}
	c.proto.putParser(p) // closes a spool file still held
}

// dispatchable makes a decoded request the one being answered.
func (c *codec) dispatchable(req *Request) (any, error) {
	if req.Method() == "CONNECT" && !c.proto.AllowConnect {
		req.endBody(c.proto)
		c.spare = req
		return nil, errConnectUnsupported
	}
	req.setConn(c.conn)
	req.setTempDir(c.proto.TempDir)
	req.enableSessions(c.proto.Sessions)
	c.req = req
	c.owed = true
	c.continueSent = false
	c.streaming = kindComplete
	c.ec = encodeContext{head: req.Method() == "HEAD", http10: req.version == 10, keepAlive: req.KeepAlive() && !c.draining}
	c.timeout.disarm()
	return req, nil
}

// Ready: the next request is dispatched only once this one is answered,
// so responses go out strictly in order even when a handler answers later
// from another goroutine.
func (c *codec) Ready() bool { return !c.owed }

// Interim sends "100 Continue" once, when a client that asked for it waits
// for its body to be accepted (a body over the limit got 413 already).
func (c *codec) Interim() []byte {
	if c.parser != nil && !c.continueSent && c.parser.ExpectContinue() {
		c.continueSent = true
		return continueReply
	}
	return nil
}

var continueReply = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// CloseAfterWrite reports that the last response ends the connection.
func (c *codec) CloseAfterWrite() bool { return c.closeAfter }

// Drain ends the connection after the request in progress, if any
// (protocols.Drainer): a graceful stop lets a request whose body is still
// arriving finish and get its answer, with "Connection: close".
func (c *codec) Drain() ([]byte, bool) {
	c.draining = true
	switch {
	case c.streaming != kindComplete:
		// A stream ends cleanly: a chunked one with its last chunk, an
		// event stream (delimited by the close) as it is.
		var final []byte
		if c.streaming == kindChunked && !c.ec.head {
			final = lastChunk
		}
		c.ec.keepAlive = false
		c.finish(c.streaming)
		return final, true
	case c.owed || c.file != nil:
		c.ec.keepAlive = false // finish closes after the answer
		return nil, false
	case c.parser != nil && c.parser.Started():
		return nil, false // Decode sees draining
	}
	return nil, true
}

// Idle: waiting for the next request, with no answer owed, no stream
// and no request begun (protocols.IdleReporter).
func (c *codec) Idle() bool {
	return c.streaming == kindComplete && !c.owed && c.file == nil && (c.parser == nil || !c.parser.Started())
}

// EventStream: a text/event-stream response's header was sent and the
// stream goes on, so messages sent now are its events
// (protocols.EventStreamer). A HEAD request's stream ended with its
// header; a stream sent with "Transfer-Encoding: chunked" is a chunked
// response, which this does not report.
func (c *codec) EventStream() bool { return c.streaming == kindEventStream }

var lastChunk = []byte("0\r\n\r\n")

// FailureReply answers 500 when the handler panicked before answering.
func (c *codec) FailureReply() []byte {
	if !c.owed || c.streaming != kindComplete || c.file != nil {
		return nil
	}
	c.owed = false
	c.closeAfter = true
	return internalErrorReply
}

var internalErrorReply = []byte("HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n\r\nInternal Server Error")

// Release frees the parser and the timeout and stops a file being sent.
func (c *codec) Release() {
	c.timeout.release()
	if c.req != nil {
		c.endSession(nil, 0) // closed before its answer: saved all the same
		// Its handler may still read it (an upgrade's, after the switch):
		// free what the body holds, keep the head.
		c.req.releaseBody(c.proto)
	}
	c.req, c.spare = nil, nil
	c.dropParser()
	if c.file != nil {
		c.file.stop()
		c.file = nil
	}
}

// Encode writes a response (a *Response, or a string or []byte for a 200)
// or, after a streaming response's header, a body piece (Chunk,
// ServerSentEvents, string, []byte).
func (c *codec) Encode(dst []byte, msg any) ([]byte, error) {
	if c.file != nil {
		fp, ok := msg.(fileSection)
		if !ok {
			return dst, ErrNoRequest
		}
		dst = append(dst, fp...)
		if c.file.sent(len(fp)) {
			c.file = nil
			c.finish(kindComplete)
		}
		return dst, nil
	}
	if c.streaming != kindComplete {
		out, last, err := appendStreamMessage(dst, msg, c.streaming, c.ec.head)
		if err != nil {
			return dst, err
		}
		if last {
			c.finish(c.streaming)
		}
		return out, nil
	}
	if !c.owed {
		return dst, ErrNoRequest
	}
	start := len(dst)
	switch m := msg.(type) {
	case string:
		c.ec.keepAlive = c.ec.keepAlive && !c.closeAfter
		c.logAccess(200, int64(len(m)))
		dst = appendTextResponse(dst, m, c.ec)
		dst = c.endSession(dst, start)
		c.finish(kindComplete)
		return dst, nil
	case []byte:
		c.ec.keepAlive = c.ec.keepAlive && !c.closeAfter
		c.logAccess(200, int64(len(m)))
		dst = appendTextResponse(dst, m, c.ec)
		dst = c.endSession(dst, start)
		c.finish(kindComplete)
		return dst, nil
	case *Response:
		return c.encodeResponse(dst, m)
	}
	return dst, protocols.ErrUnsupportedMessage
}

func (c *codec) encodeResponse(dst []byte, r *Response) ([]byte, error) {
	var f *os.File
	var off, n int64
	if r != nil && r.hasFile() {
		r, f, off, n, _ = prepareFileFor(r, fileConditionsOf(c.req))
	}
	ec := c.ec
	if r != nil && responseCloses(r) {
		ec.keepAlive = false
	}
	out, kind, err := appendResponse(dst, r, ec)
	if err != nil {
		if f != nil {
			closeServed(f)
		}
		return dst, err
	}
	c.ec = ec
	if f != nil && (kind == kindInformational || kind.streams() || r.Status() == 204 || r.Status() == 304) {
		// A file does not go with a 1xx, a stream, 204 or 304: the head
		// says the body is something else, or that there is none.
		closeServed(f)
		f = nil
	}
	if c.proto.AccessLog != nil && kind != kindInformational {
		status, size := 200, int64(0)
		if r != nil {
			status, size = r.Status(), int64(r.bodyLen())
		}
		switch {
		case kind.streams():
			size = -1
		case f != nil:
			size = n
		}
		c.logAccess(status, size)
	}
	if kind != kindInformational {
		out = c.endSession(out, len(dst))
	}
	switch {
	case kind == kindInformational:
		// The final response is still owed.
	case kind.streams():
		c.streaming = kind
		// A stream may last long: its request's body and temporary files
		// are freed now, and the request is not kept for reuse.
		if c.req != nil {
			c.req.endBody(c.proto)
			c.req = nil
		}
		// It has no deadline either: take the header timer scheduled at
		// accept off the wheel, so that an idle stream holds no timer.
		c.timeout.cancel()
		if c.ec.head {
			// A HEAD response has no body: it ends with its header.
			c.finish(kind)
		}
	case f != nil && !c.ec.head && n > 0:
		c.file = startFilePump(c.conn, f, off, n, c.proto.idleTimeout())
	default:
		if f != nil {
			closeServed(f)
		}
		c.finish(kindComplete)
	}
	return out, nil
}

// finish ends the current response: the connection closes after it, or
// waits for the next request with the idle timeout running.
func (c *codec) finish(kind responseKind) {
	c.owed = false
	if c.req != nil {
		c.req.endBody(c.proto)
		c.spare, c.req = c.req, nil
	}
	c.streaming = kindComplete
	if kind.closesConnection() || !c.ec.keepAlive {
		c.closeAfter = true
		return
	}
	c.armFor(timeoutIdle, c.proto.idleTimeout())
}

// Connection is the connection the request arrived on (workerman's
// $request->connection).
func (r *Request) Connection() *connection.TcpConnection {
	c, _ := r.conn.(*connection.TcpConnection)
	return c
}

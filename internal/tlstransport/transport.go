package tlstransport

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/timer"
)

// DefaultHandshakeTimeout bounds a handshake, from the connection's
// accept (a client's: from NewTransport).
const DefaultHandshakeTimeout = 10 * time.Second

// Errors that close a connection.
var (
	// ErrPlainHTTP: the peer spoke plain HTTP to the TLS port. It was
	// answered with a 400, as nginx answers it.
	ErrPlainHTTP = errors.New("tlstransport: a plain HTTP request was sent to a TLS port")
	// ErrNotTLS: the first bytes are not a TLS handshake.
	ErrNotTLS = errors.New("tlstransport: the first record is not a TLS handshake")
	// ErrHandshakeInput: the peer sent more during the handshake than
	// the transport holds for it (see MaxHandshakeInput).
	ErrHandshakeInput = errors.New("tlstransport: too much input during the handshake")
	// ErrHandshakeTimeout: a client's handshake did not complete within
	// its HandshakeTimeout. (A server's connection is closed without an
	// error: nobody waits for it.)
	ErrHandshakeTimeout = errors.New("tlstransport: the TLS handshake timed out")
)

// HandshakeError is how a client's Receive fails while the handshake has
// not completed: the server's certificate did not verify (Err is then a
// *tls.CertificateVerificationError), the server is not a TLS server
// (tls.RecordHeaderError), it refused the handshake (a *net.OpError
// whose Op is "remote error", the alert it sent), ErrHandshakeTimeout or
// ErrHandshakeInput. The connection never became
// what was asked for, so it reports the error as a failure to connect
// (see ConnectFailure). A server's errors are not wrapped.
type HandshakeError struct{ Err error }

func (e *HandshakeError) Error() string {
	return "tlstransport: TLS handshake with the server failed: " + e.Err.Error()
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// ConnectFailure is true: the connection reports a HandshakeError with
// connection.CodeConnectFail (it implements protocols.ConnectFailure).
func (e *HandshakeError) ConnectFailure() bool { return true }

// MaxHandshakeInput bounds the handshake's own flights (a ClientHello, a
// client certificate chain) that the handshake has not read yet. A client
// may also send its first request right after its Finished, before the
// handshake's goroutine has seen the Finished (on a busy single-core
// server that takes a while, and a 10 MiB upload is under way), so what
// the transport holds unread is bounded by this plus the connection's
// MaxPackageSize, as the codec bounds a message. Past it the connection
// is closed: a peer cannot grow the process while the handshake waits (on
// a slow GetCertificate, say).
const MaxHandshakeInput = 1 << 20

// testHookHandshakeDone, when set by a test, runs as the handshake's
// goroutine returns from the handshake, before the loop hears of it.
var testHookHandshakeDone atomic.Pointer[func()]

// inputLimit is what the transport holds unread during the handshake.
func (t *Transport) inputLimit() int { return MaxHandshakeInput + max(t.host.MaxPackageSize(), 0) }

// plainHTTPReply is the answer to plain HTTP on a TLS port.
var plainHTTPReply = func() string {
	const body = "The plain HTTP request was sent to a TLS (HTTPS) port\n"
	return "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n" + body
}()

// The phases of a connection.
const (
	phaseNew         = iota // nothing received yet
	phaseHandshaking        // the handshake's goroutine runs
	phaseEstablished        // the data phase, on the loop
	phaseFailed
)

// recordTypeHandshake starts every TLS client's first record.
const recordTypeHandshake = 0x16

// Config is what a worker's TLS connections share, or an outbound
// connection's.
type Config struct {
	TLS              *tls.Config // as ServerConfig made it (ClientConfig when Client)
	HandshakeTimeout time.Duration
	// Client makes the transports clients of the peer: they start the
	// handshake themselves, in NewTransport, and their handshake's
	// failures are HandshakeErrors.
	Client bool
}

// NewTransport returns a new connection's transport (glue.Config's
// NewTransport), to be used on the connection's loop from then on and
// closed with it.
//
// A server's transport waits for the client's first bytes. A client's
// (cfg.Client) starts its handshake at once, on its own goroutine: call
// NewTransport when the TCP connection is established. Its ClientHello is
// ready a moment later and handed over as Receive's reply, as every
// flight of the handshake is: the transport wakes the loop (host.Wake)
// for each flight once the handshake waits for the peer's answer, or
// ends. So the Receive that takes a client's last flight (TLS 1.3's
// Finished, or an alert) also ends the handshake: it sends what was held,
// or fails.
//
// A wake asked before the connection installed the transport may be
// lost, so the connection calls Receive once, without bytes, after
// installing it (or marks the transport woken); a Receive before the
// ClientHello is ready returns nothing, and the wake for it follows. A
// client's handshake that has not completed after HandshakeTimeout
// fails: the transport wakes the loop, and Receive returns
// ErrHandshakeTimeout in a HandshakeError. (A server's connection is
// destroyed instead.)
func (cfg *Config) NewTransport(host glue.TransportHost) glue.Transport {
	t := &Transport{host: host, client: cfg.Client}
	t.feed.host = host
	t.feed.cond.L = &t.feed.mu
	d := cfg.HandshakeTimeout
	if d <= 0 {
		d = DefaultHandshakeTimeout
	}
	if !cfg.Client {
		t.conn = tls.Server(&t.feed, cfg.TLS)
		t.timer, _ = systimer.Once(d, func(timer.ID) {
			if !t.done.Load() {
				host.Destroy()
			}
		})
		inProgress.Add(1)
		return t
	}
	t.conn = tls.Client(&t.feed, cfg.TLS)
	t.feed.client = true
	t.timer, _ = systimer.Once(d, func(timer.ID) {
		if !t.done.Load() {
			t.expired.Store(true)
			host.Wake() // Receive fails with ErrHandshakeTimeout
		}
	})
	inProgress.Add(1)
	t.phase, t.started = phaseHandshaking, true
	t.feed.blocking = true
	go t.handshake() // the client speaks first
	return t
}

// inProgress counts handshakes begun and not ended (by success, failure
// or the connection's close).
var inProgress atomic.Int64

// Handshakes is the number of handshakes in progress in the process.
func Handshakes() int64 { return inProgress.Load() }

// Transport is one connection's TLS (glue.Transport). Receive, Send and
// Close run on the connection's loop; the handshake's goroutine shares
// only the feed with them, and the tls.Conn until it ends.
type Transport struct {
	host   glue.TransportHost
	feed   feed
	conn   *tls.Conn
	timer  timer.ID
	phase  uint8
	client bool
	// started: the handshake's goroutine was started (loop-only).
	started bool
	// done is set by the handshake's goroutine as it ends; hsErr, under
	// feed.mu, is its error.
	done    atomic.Bool
	counted atomic.Bool // inProgress was decremented for this handshake
	expired atomic.Bool // a client's handshake timed out
	hsErr   error
	pending []byte // plaintext sent before the handshake ended
	state   atomic.Pointer[tls.ConnectionState]
}

// Pending is the plaintext sent before the handshake ended, held until it
// does: the connection counts it as output not yet written.
func (t *Transport) Pending() int { return len(t.pending) }

// ConnectionState is the TLS state once the handshake completed, else
// nil. It is safe to call from any goroutine.
func (t *Transport) ConnectionState() *tls.ConnectionState { return t.state.Load() }

// Receive hands received bytes to TLS and returns the plaintext they
// complete, with the records TLS has to send back (a client's first
// Receive: its ClientHello, once it is ready).
func (t *Transport) Receive(plain, reply, wire []byte) ([]byte, []byte, error) {
	switch t.phase {
	case phaseNew:
		if len(wire) == 0 {
			return plain, reply, nil
		}
		if wire[0] != recordTypeHandshake {
			t.fail()
			if wire[0] >= 'A' && wire[0] <= 'Z' {
				return plain, append(reply, plainHTTPReply...), ErrPlainHTTP
			}
			return plain, reply, ErrNotTLS
		}
		if !t.feed.push(wire, t.inputLimit()) {
			t.fail()
			return plain, reply, ErrHandshakeInput
		}
		t.phase, t.started = phaseHandshaking, true
		t.feed.blocking = true
		go t.handshake()
		return plain, reply, nil
	case phaseHandshaking:
		if len(wire) > 0 && !t.feed.push(wire, t.inputLimit()) {
			t.phase = phaseFailed
			if t.client {
				return plain, reply, &HandshakeError{Err: ErrHandshakeInput}
			}
			return plain, reply, ErrHandshakeInput
		}
		reply = t.feed.take(reply)
		if !t.done.Load() {
			if t.client && t.expired.Load() {
				t.phase = phaseFailed
				return plain, reply, &HandshakeError{Err: ErrHandshakeTimeout}
			}
			return plain, reply, nil
		}
		t.feed.mu.Lock()
		err := t.hsErr
		t.feed.blocking = false
		t.feed.mu.Unlock()
		if err != nil {
			t.phase = phaseFailed
			return plain, reply, err
		}
		t.phase = phaseEstablished
		if len(t.pending) > 0 {
			var werr error
			if reply, werr = t.Send(reply, t.pending); werr != nil {
				return plain, reply, werr
			}
			t.pending = nil
		}
		// Bytes that came with the client's last flight (a request
		// right after Finished) are read below.
		return t.read(plain, reply, nil)
	case phaseEstablished:
		return t.read(plain, reply, wire)
	}
	return plain, reply, net.ErrClosed
}

// read hands wire to TLS and reads every complete record's plaintext.
func (t *Transport) read(plain, reply, wire []byte) ([]byte, []byte, error) {
	f := &t.feed
	f.mu.Lock()
	f.src = wire
	f.mu.Unlock()
	var err error
	for {
		if cap(plain)-len(plain) < 1024 {
			plain = slices.Grow(plain, 16<<10)
		}
		var n int
		n, err = t.conn.Read(plain[len(plain):cap(plain)])
		plain = plain[:len(plain)+n]
		if err != nil {
			break
		}
	}
	f.mu.Lock()
	if len(f.src) > 0 {
		f.in = append(f.in, f.src...) // a record's first part
	}
	f.src = nil
	reply = append(reply, f.out...) // alerts, key updates
	f.out = f.out[:0]
	f.mu.Unlock()
	switch {
	case err == errWouldBlock:
		return plain, reply, nil
	case err == io.EOF:
		return plain, reply, glue.ErrPeerClosed // close_notify
	}
	t.phase = phaseFailed
	return plain, reply, err
}

// Send encrypts plaintext the codec encoded into records appended to
// wire. Before the handshake ends it is kept, and sent right after.
func (t *Transport) Send(wire, plain []byte) ([]byte, error) {
	switch t.phase {
	case phaseEstablished:
	case phaseNew, phaseHandshaking:
		t.pending = append(t.pending, plain...)
		return wire, nil
	default:
		return wire, net.ErrClosed
	}
	f := &t.feed
	f.mu.Lock()
	f.out = wire // TLS writes its records straight after what wire holds
	f.mu.Unlock()
	_, err := t.conn.Write(plain)
	f.mu.Lock()
	wire, f.out = f.out, nil
	f.mu.Unlock()
	if err != nil {
		t.phase = phaseFailed
	}
	return wire, err
}

// Goodbye appends a close_notify alert to wire, for a graceful close of
// an established connection: the peer can tell the end of the stream
// from a truncation.
func (t *Transport) Goodbye(wire []byte) []byte {
	if t.phase != phaseEstablished {
		return wire
	}
	f := &t.feed
	f.mu.Lock()
	f.out = wire
	f.mu.Unlock()
	_ = t.conn.CloseWrite()
	f.mu.Lock()
	wire, f.out = f.out, nil
	f.mu.Unlock()
	t.phase = phaseFailed // nothing is sent after it
	return wire
}

// Close ends the feed, which ends a handshake in progress, and cancels
// the handshake timeout.
func (t *Transport) Close() {
	systimer.Del(t.timer)
	t.phase = phaseFailed
	_ = t.feed.Close()
	t.uncount() // a handshake's goroutine ends at once, on the closed feed
}

// fail ends a handshake that never began.
func (t *Transport) fail() {
	t.phase = phaseFailed
	systimer.Del(t.timer)
	t.uncount()
}

func (t *Transport) uncount() {
	if t.counted.CompareAndSwap(false, true) {
		inProgress.Add(-1)
	}
}

// handshake runs the handshake on its own goroutine, then wakes the loop
// to take over.
func (t *Transport) handshake() {
	err := t.conn.Handshake()
	if hook := testHookHandshakeDone.Load(); hook != nil {
		(*hook)()
	}
	if err == nil {
		st := t.conn.ConnectionState()
		t.state.Store(&st)
	} else if t.client {
		err = &HandshakeError{Err: err}
	}
	t.feed.mu.Lock()
	t.hsErr = err
	t.feed.mu.Unlock()
	t.done.Store(true)
	systimer.Del(t.timer)
	t.uncount()
	t.host.Wake()
}

package tlstransport

import (
	"io"
	"net"
	"sync"
	"time"

	"github.com/gnetworker/gnetworker/internal/glue"
)

// feed is the net.Conn a tls.Conn reads its records from and writes them
// to. While the handshake runs on its goroutine a Read waits for bytes;
// afterwards, on the loop, a Read of nothing fails with errWouldBlock.
type feed struct {
	host glue.TransportHost

	mu       sync.Mutex
	cond     sync.Cond // signalled when bytes arrive or the feed closes
	in       []byte    // received bytes that TLS has not read
	src      []byte    // the data phase: the bytes of the Receive under way, read after in
	out      []byte    // records TLS wrote that the loop has not taken
	blocking bool      // the handshake phase: Read waits, Write wakes the loop
	closed   bool
	// client: a client's handshake wakes the loop for its flights only
	// when it waits for the peer's (or ends), so that the loop takes its
	// last flight together with the handshake's end. unannounced: what
	// it wrote since it last did.
	client      bool
	unannounced bool
}

// errWouldBlock is a temporary net.Error, which crypto/tls retries
// rather than remembers: the data phase's "no more bytes for now".
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "tlstransport: no bytes for now" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

func (f *feed) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.blocking && len(f.in) == 0 && !f.closed {
		if f.unannounced { // a client's flight is complete: the loop sends it
			f.unannounced = false
			f.mu.Unlock()
			f.host.Wake()
			f.mu.Lock()
			continue
		}
		f.cond.Wait()
	}
	switch {
	case len(f.in) > 0:
		n := copy(p, f.in)
		f.in = f.in[n:]
		if len(f.in) == 0 {
			f.in = f.in[:0:0] // let the buffer go: it held a burst
		}
		return n, nil
	case len(f.src) > 0:
		n := copy(p, f.src)
		f.src = f.src[n:]
		return n, nil
	case f.closed:
		return 0, io.EOF
	}
	return 0, errWouldBlock
}

func (f *feed) Write(p []byte) (int, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return 0, net.ErrClosed
	}
	f.out = append(f.out, p...)
	wake := f.blocking
	if wake && f.client {
		f.unannounced, wake = true, false
	}
	f.mu.Unlock()
	if wake {
		f.host.Wake() // a flight of the handshake's: the loop sends it
	}
	return len(p), nil
}

// push adds received bytes for the handshake's goroutine, unless that
// would make more than limit bytes unread.
func (f *feed) push(b []byte, limit int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.in)+len(b) > limit {
		return false
	}
	f.in = append(f.in, b...)
	f.cond.Signal()
	return true
}

// take appends what TLS wrote to dst.
func (f *feed) take(dst []byte) []byte {
	f.mu.Lock()
	dst = append(dst, f.out...)
	f.out = nil // a handshake's flights: not kept for the connection's life
	f.mu.Unlock()
	return dst
}

// Close ends the feed: a waiting Read returns io.EOF, and nothing more
// is written.
func (f *feed) Close() error {
	f.mu.Lock()
	f.closed = true
	f.in, f.src, f.out = nil, nil, nil
	f.cond.Broadcast()
	f.mu.Unlock()
	return nil
}

func (f *feed) LocalAddr() net.Addr {
	if a := f.host.LocalAddr(); a != nil {
		return a
	}
	return &net.TCPAddr{}
}

func (f *feed) RemoteAddr() net.Addr {
	if a := f.host.RemoteAddr(); a != nil {
		return a
	}
	return &net.TCPAddr{}
}

// Deadlines are the transport's (HandshakeTimeout) and the protocol's.
func (f *feed) SetDeadline(time.Time) error      { return nil }
func (f *feed) SetReadDeadline(time.Time) error  { return nil }
func (f *feed) SetWriteDeadline(time.Time) error { return nil }

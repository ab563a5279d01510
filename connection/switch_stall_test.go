package connection

// Regression tests from a second reader's review: protocol switching
// against a stalled, overflowing connection.

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/protocols"
)

// lockedConn is a gnet.Conn fake that may be used from two goroutines.
type lockedConn struct {
	gnet.Conn
	mu   sync.Mutex
	loop *lockedLoop
	in   []byte
}

func (f *lockedConn) Write(b []byte) (int, error)   { return len(b), nil }
func (f *lockedConn) OutboundBuffered() int         { return 0 }
func (f *lockedConn) Wake(gnet.AsyncCallback) error { return nil }
func (f *lockedConn) Close() error                  { return nil }
func (f *lockedConn) Fd() int                       { return -1 }
func (f *lockedConn) RemoteAddr() net.Addr          { return nil }
func (f *lockedConn) EventLoop() gnet.EventLoop     { return f.loop }
func (f *lockedConn) Next(int) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.in
	f.in = nil
	return b, nil
}
func (f *lockedConn) setIn(b []byte) { f.mu.Lock(); f.in = b; f.mu.Unlock() }

type lockedLoop struct {
	gnet.EventLoop
	mu sync.Mutex
	n  int
}

func (l *lockedLoop) Execute(context.Context, gnet.Runnable) error {
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
	return nil
}

// owedCodec is a request/response codec that always owes an answer: it
// never takes input, so the connection stalls.
type owedCodec struct{}

func (owedCodec) Input([]byte) (int, error)              { return 0, nil }
func (owedCodec) Decode([]byte) (any, error)             { return nil, nil }
func (owedCodec) Encode(d []byte, _ any) ([]byte, error) { return d, nil }
func (owedCodec) Ready() bool                            { return false }
func (owedCodec) Interim() []byte                        { return nil }
func (owedCodec) CloseAfterWrite() bool                  { return false }

type owedProto struct{}

func (owedProto) Name() string                            { return "owed" }
func (owedProto) NewCodec(protocols.Conn) protocols.Codec { return owedCodec{} }

// readInput reads c.stalled without c.mu (the MaxStalledInput check),
// while SwitchProtocol, from any goroutine, writes it under c.mu: a data
// race the race detector reports.
func TestStalledReadRacesNoSwitchProtocol(t *testing.T) {
	loop := &lockedLoop{}
	fc := &lockedConn{loop: loop}
	c := newConn(fc, 0, owedProto{}, &group{})
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		for time.Since(start) < 5*time.Second {
			_ = c.SwitchProtocol(owedProto{}, nil)
		}
	}()
	chunk := make([]byte, 16)
	for {
		select {
		case <-done:
			return
		default:
		}
		fc.setIn(chunk)
		c.handleTraffic()
		// Keep the stalled input small so that the connection stays open.
		if c.in != nil {
			putBuffer(c.in)
			c.in = nil
		}
	}
}

// owedDrainer is owedCodec that also has boundaries (as HTTP does).
type owedDrainer struct{ owedCodec }

func (owedDrainer) Drain() ([]byte, bool) { return nil, false }

type owedDrainerProto struct{}

func (owedDrainerProto) Name() string                            { return "owed" }
func (owedDrainerProto) NewCodec(protocols.Conn) protocols.Codec { return owedDrainer{} }

// A connection whose peer overflowed the input kept while an answer was
// owed is ending: a protocol switch is refused rather than leaving it deaf
// (its input is dropped from then on).
func TestSwitchAfterOverflowStallIsRefused(t *testing.T) {
	g := &group{}
	fc := &fakeConn{loop: &fakeLoop{}}
	c := newConn(fc, 0, owedDrainerProto{}, g)
	fc.in = make([]byte, MaxStalledInput+1)
	c.handleTraffic() // the stall overflows: what is owed is still to come
	if err := c.SwitchProtocol(protocols.Raw{}, nil); err != ErrClosed {
		t.Fatalf("SwitchProtocol after an overflow: %v, want ErrClosed", err)
	}
}

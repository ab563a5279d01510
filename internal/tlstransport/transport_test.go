package tlstransport

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/internal/leaktest"
	"github.com/gnetworker/gnetworker/internal/testcert"
)

var (
	pkiOnce  sync.Once
	ca       *testcert.CA
	srvCert  tls.Certificate
	errSetup error
)

func configs(t testing.TB) (server *tls.Config, client *tls.Config) {
	t.Helper()
	pkiOnce.Do(func() {
		if ca, errSetup = testcert.NewCA("test CA"); errSetup == nil {
			srvCert, errSetup = ca.Leaf("server")
		}
	})
	require.NoError(t, errSetup)
	server, err := ServerConfig(&tls.Config{Certificates: []tls.Certificate{srvCert}}, []string{"http/1.1"})
	require.NoError(t, err)
	return server, &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"}
}

// fakeHost is a connection as the transport sees it.
type fakeHost struct {
	wake       chan struct{}
	destroyed  atomic.Bool
	maxPackage int
}

func newHost() *fakeHost { return &fakeHost{wake: make(chan struct{}, 1), maxPackage: 1 << 20} }

func (h *fakeHost) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}
func (h *fakeHost) Destroy()             { h.destroyed.Store(true); h.Wake() }
func (h *fakeHost) LocalAddr() net.Addr  { return nil }
func (h *fakeHost) RemoteAddr() net.Addr { return nil }
func (h *fakeHost) MaxPackageSize() int  { return h.maxPackage }

// loop plays the event loop for one transport: it hands what the peer
// sends to Receive in pieces of at most piece bytes, collects what a wake
// asks for, echoes the plaintext through Send and writes the records to
// the peer. It returns when the peer closes, or the transport fails.
func loop(tr *Transport, host *fakeHost, conn net.Conn, piece int) error {
	in := make(chan []byte)
	go func() {
		defer close(in)
		for {
			b := make([]byte, 32<<10)
			n, err := conn.Read(b)
			if n > 0 {
				in <- b[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	defer tr.Close()
	handle := func(wire []byte) error {
		plain, reply, err := tr.Receive(nil, nil, wire)
		if len(plain) > 0 {
			var serr error
			if reply, serr = tr.Send(reply, plain); serr != nil {
				return serr
			}
		}
		if len(reply) > 0 {
			if _, werr := conn.Write(reply); werr != nil {
				return werr
			}
		}
		return err
	}
	for {
		select {
		case b, ok := <-in:
			if !ok {
				return io.EOF
			}
			for len(b) > 0 {
				n := min(piece, len(b))
				if err := handle(b[:n]); err != nil {
					return err
				}
				b = b[n:]
			}
		case <-host.wake:
			if host.destroyed.Load() {
				return net.ErrClosed
			}
			if err := handle(nil); err != nil {
				return err
			}
		}
	}
}

// Records delivered a byte at a time, from the first byte of the
// ClientHello on, make the same conversation: the data phase reads
// whatever part of a record came and keeps the rest for the next read.
func TestOneBytePieces(t *testing.T) {
	size := 256 << 10
	if raceEnabled {
		size = 64 << 10
	}
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			scfg, ccfg := configs(t)
			ccfg.MaxVersion = v
			ccfg.NextProtos = []string{"h2", "http/1.1"}
			before := leaktest.Goroutines()
			host := newHost()
			tr := (&Config{TLS: scfg}).NewTransport(host).(*Transport)
			a, b := net.Pipe()
			done := make(chan error, 1)
			go func() { done <- loop(tr, host, a, 1) }()

			client := tls.Client(b, ccfg)
			require.NoError(t, client.SetDeadline(time.Now().Add(60*time.Second)))
			data := make([]byte, size)
			_, _ = rand.Read(data)
			go func() { _, _ = client.Write(data) }()
			got := make([]byte, size)
			_, err := io.ReadFull(client, got)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, got), "echoed intact")
			st := tr.ConnectionState()
			require.NotNil(t, st)
			assert.Equal(t, v, st.Version)
			assert.Equal(t, "http/1.1", st.NegotiatedProtocol)

			require.NoError(t, client.Close()) // close_notify
			err = <-done
			assert.True(t, errors.Is(err, glue.ErrPeerClosed) || err == io.EOF, "ended by the close_notify: %v", err)
			a.Close()
			leaktest.WaitGoroutines(t, before, 5*time.Second)
			assert.Zero(t, Handshakes())
		})
	}
}

// A handshake left half way ends, goroutine and all, when the connection
// closes.
func TestHalfHandshakeEndsOnClose(t *testing.T) {
	scfg, ccfg := configs(t)
	before := leaktest.Goroutines()
	host := newHost()
	tr := (&Config{TLS: scfg}).NewTransport(host).(*Transport)
	hello := firstFlight(t, ccfg)
	_, _, err := tr.Receive(nil, nil, hello[:len(hello)-10])
	require.NoError(t, err)
	assert.Equal(t, int64(1), Handshakes())
	tr.Close()
	leaktest.WaitGoroutines(t, before, 5*time.Second)
	assert.Zero(t, Handshakes())
}

// The handshake timeout destroys a connection that has not finished.
func TestHandshakeTimeoutDestroys(t *testing.T) {
	scfg, _ := configs(t)
	host := newHost()
	tr := (&Config{TLS: scfg, HandshakeTimeout: 50 * time.Millisecond}).NewTransport(host).(*Transport)
	defer tr.Close()
	select {
	case <-host.wake:
	case <-time.After(10 * time.Second):
		t.Fatal("no destroy after the handshake timeout")
	}
	assert.True(t, host.destroyed.Load())
}

// firstFlight is a client's ClientHello.
func firstFlight(t testing.TB, cfg *tls.Config) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _ = tls.Client(a, cfg).Handshake() }()
	buf := make([]byte, 4096)
	require.NoError(t, b.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := b.Read(buf)
	require.NoError(t, err)
	return buf[:n]
}

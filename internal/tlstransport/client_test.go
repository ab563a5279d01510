package tlstransport

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/internal/leaktest"
	"github.com/gnetworker/gnetworker/internal/testcert"
)

// clientConfig is an outbound connection's configuration for a server
// whose certificate the test CA signed for localhost.
func clientConfig(t testing.TB, host string) *tls.Config {
	t.Helper()
	_, _ = configs(t)
	cfg, err := ClientConfig(&tls.Config{RootCAs: ca.Pool}, host, []string{"http/1.1"})
	require.NoError(t, err)
	return cfg
}

// listen runs serve on the one connection a loopback listener accepts,
// and returns the address to dial; cleanup waits for serve to return.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(60 * time.Second))
		serve(c)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// tlsServer is listen's serve for a crypto/tls server: serve gets the
// tls.Conn after its handshake, or the handshake's error.
func tlsServer(t *testing.T, cfg *tls.Config, serve func(*tls.Conn, error)) string {
	return listen(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		serve(tc, tc.Handshake())
	})
}

// clientLoop plays the event loop for a client transport over a TCP
// connection, as package connection does: Receive once when the
// transport is installed, then whenever bytes arrive or the transport
// wakes it, writing every reply; plaintext is collected. run ends on
// the first error, which it returns, and closes the transport.
type clientLoop struct {
	tr       *Transport
	host     *fakeHost
	conn     net.Conn
	jobs     chan func() ([]byte, error) // run on the loop, their bytes written
	consumed int                         // bytes handed to Receive

	mu  sync.Mutex
	got []byte
}

func dialClient(t *testing.T, addr string, cfg *Config) *clientLoop {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	host := newHost()
	cfg.Client = true
	return &clientLoop{
		tr:   cfg.NewTransport(host).(*Transport),
		host: host,
		conn: conn,
		jobs: make(chan func() ([]byte, error)),
	}
}

func (l *clientLoop) run() error {
	in := make(chan []byte)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(in)
		for {
			b := make([]byte, 32<<10)
			n, err := l.conn.Read(b)
			if n > 0 {
				select {
				case in <- b[:n]:
				case <-stop:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	defer l.tr.Close()
	handle := func(wire []byte) error {
		l.consumed += len(wire)
		plain, reply, err := l.tr.Receive(nil, nil, wire)
		l.mu.Lock()
		l.got = append(l.got, plain...)
		l.mu.Unlock()
		if len(reply) > 0 {
			if _, werr := l.conn.Write(reply); werr != nil && err == nil {
				err = werr
			}
		}
		return err
	}
	if err := handle(nil); err != nil { // the transport was installed
		return err
	}
	for {
		select {
		case b, ok := <-in:
			if !ok {
				return io.EOF
			}
			if err := handle(b); err != nil {
				return err
			}
		case <-l.host.wake:
			if l.host.destroyed.Load() {
				return net.ErrClosed
			}
			if err := handle(nil); err != nil {
				return err
			}
		case job := <-l.jobs:
			wire, err := job()
			if len(wire) > 0 {
				if _, werr := l.conn.Write(wire); werr != nil && err == nil {
					err = werr
				}
			}
			if err != nil {
				return err
			}
		}
	}
}

// start runs the loop on a goroutine of its own; the channel has its
// result.
func (l *clientLoop) start() <-chan error {
	done := make(chan error, 1)
	go func() { done <- l.run() }()
	return done
}

// do runs job on the running loop and writes the bytes it returns.
func (l *clientLoop) do(t *testing.T, job func(tr *Transport) ([]byte, error)) {
	t.Helper()
	select {
	case l.jobs <- func() ([]byte, error) { return job(l.tr) }:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop does not run")
	}
}

// waitGot waits for n bytes of plaintext and returns them.
func (l *clientLoop) waitGot(t *testing.T, n int) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		l.mu.Lock()
		got := l.got
		l.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes of plaintext, want %d", len(got), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// isConnectFailure is how package connection tells a failure to connect
// (protocols.ConnectFailure).
func isConnectFailure(err error) bool {
	var cf interface {
		error
		ConnectFailure() bool
	}
	return errors.As(err, &cf) && cf.ConnectFailure()
}

// A client completes its handshake against crypto/tls's server without
// being given a byte first, then carries data both ways: what it sent
// before the handshake completed goes first and in order, the server's
// greeting and echo arrive intact, the state tells version, ALPN and the
// server's certificate, and the server's close_notify ends it as a peer
// close. Nothing outlives it.
func TestClientEcho(t *testing.T) {
	size := 256 << 10
	if raceEnabled {
		size = 64 << 10
	}
	early := []string{"first;", "second;", "third;"}
	earlyLen := len("first;second;third;")
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			scfg, _ := configs(t)
			scfg = scfg.Clone()
			scfg.MaxVersion = v
			before := leaktest.Goroutines()
			const greeting = "hello from the server\n"
			serverErr := make(chan error, 1)
			addr := tlsServer(t, scfg, func(c *tls.Conn, err error) {
				if err == nil {
					_, err = c.Write([]byte(greeting))
				}
				buf := make([]byte, earlyLen+size)
				if err == nil {
					_, err = io.ReadFull(c, buf)
				}
				if err == nil {
					_, err = c.Write(buf)
				}
				if err == nil {
					err = c.Close() // close_notify
				}
				serverErr <- err
			})
			l := dialClient(t, addr, &Config{TLS: clientConfig(t, "localhost")})
			for _, s := range early {
				wire, err := l.tr.Send(nil, []byte(s))
				require.NoError(t, err)
				assert.Empty(t, wire, "held until the handshake completes")
			}
			assert.Equal(t, earlyLen, l.tr.Pending())
			assert.Nil(t, l.tr.ConnectionState(), "no state before the handshake")
			done := l.start()

			data := make([]byte, size)
			_, _ = rand.Read(data)
			for i := 0; i < len(data); i += 10000 {
				p := data[i:min(i+10000, len(data))]
				l.do(t, func(tr *Transport) ([]byte, error) { return tr.Send(nil, p) })
			}
			got := l.waitGot(t, len(greeting)+earlyLen+size)
			assert.Equal(t, greeting+"first;second;third;", string(got[:len(greeting)+earlyLen]))
			assert.True(t, bytes.Equal(data, got[len(greeting)+earlyLen:]), "echoed intact")
			assert.Zero(t, l.tr.Pending())

			err := <-done
			assert.ErrorIs(t, err, glue.ErrPeerClosed, "ended by the server's close_notify")
			require.NoError(t, <-serverErr)
			st := l.tr.ConnectionState()
			require.NotNil(t, st)
			assert.True(t, st.HandshakeComplete)
			assert.Equal(t, v, st.Version)
			assert.Equal(t, "http/1.1", st.NegotiatedProtocol)
			require.NotEmpty(t, st.PeerCertificates)
			assert.Equal(t, "server", st.PeerCertificates[0].Subject.CommonName)
			assert.NotEmpty(t, st.VerifiedChains)

			l.conn.Close()
			leaktest.WaitGoroutines(t, before, 5*time.Second)
			assert.Zero(t, Handshakes())
		})
	}
}

// The ClientHello goes out even if the wake that announced it was lost
// (it came before the connection installed the transport): the first
// Receive, with no bytes, returns it. A Receive before it is ready
// returns nothing, without waiting.
func TestClientHelloOnFirstReceive(t *testing.T) {
	before := leaktest.Goroutines()
	host := newHost()
	tr := (&Config{TLS: clientConfig(t, "localhost"), Client: true}).NewTransport(host).(*Transport)
	defer func() {
		tr.Close()
		leaktest.WaitGoroutines(t, before, 5*time.Second)
		assert.Zero(t, Handshakes())
	}()
	var hello []byte
	deadline := time.Now().Add(10 * time.Second)
	for len(hello) == 0 && time.Now().Before(deadline) {
		plain, reply, err := tr.Receive(nil, nil, nil)
		require.NoError(t, err)
		require.Empty(t, plain)
		hello = reply
		if len(hello) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	require.NotEmpty(t, hello, "the ClientHello")
	assert.Equal(t, byte(recordTypeHandshake), hello[0])
	// It is what a crypto/tls server takes for a ClientHello.
	var sni string
	scfg, _ := configs(t)
	scfg = scfg.Clone()
	scfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		sni = h.ServerName
		return nil, errors.New("seen")
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		_, _ = b.Write(hello)
		_, _ = io.Copy(io.Discard, b)
	}()
	require.Error(t, tls.Server(a, scfg).Handshake())
	assert.Equal(t, "localhost", sni)
	assert.Equal(t, int64(1), Handshakes(), "still waiting for the server")
}

// failedHandshake runs a client against addr until its loop ends, and
// returns how.
func failedHandshake(t *testing.T, addr string, cfg *Config) (*clientLoop, error) {
	t.Helper()
	l := dialClient(t, addr, cfg)
	select {
	case err := <-l.start():
		return l, err
	case <-time.After(30 * time.Second):
		t.Fatal("the handshake did not fail")
	}
	return nil, nil
}

// A server whose certificate no root the client trusts signed fails the
// handshake: a HandshakeError, a failure to connect, whose cause is the
// verification's; the server hears why.
func TestClientUnknownCA(t *testing.T) {
	other, err := testcert.NewCA("another CA")
	require.NoError(t, err)
	cert, err := other.Leaf("impostor")
	require.NoError(t, err)
	before := leaktest.Goroutines()
	serverErr := make(chan error, 1)
	addr := tlsServer(t, &tls.Config{Certificates: []tls.Certificate{cert}}, func(_ *tls.Conn, err error) { serverErr <- err })
	l, err := failedHandshake(t, addr, &Config{TLS: clientConfig(t, "localhost")})
	var he *HandshakeError
	require.ErrorAs(t, err, &he)
	assert.True(t, isConnectFailure(err))
	var ve *tls.CertificateVerificationError
	assert.ErrorAs(t, err, &ve)
	var ua x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &ua)
	assert.ErrorContains(t, <-serverErr, "remote error: tls: ", "the client's alert")
	assert.Nil(t, l.tr.ConnectionState())
	l.conn.Close()
	leaktest.WaitGoroutines(t, before, 5*time.Second)
	assert.Zero(t, Handshakes())
}

// A certificate for another name fails the handshake alike.
func TestClientWrongServerName(t *testing.T) {
	scfg, _ := configs(t)
	before := leaktest.Goroutines()
	addr := tlsServer(t, scfg, func(*tls.Conn, error) {})
	l, err := failedHandshake(t, addr, &Config{TLS: clientConfig(t, "example.com")})
	assert.True(t, isConnectFailure(err), "a failure to connect: %v", err)
	var he x509.HostnameError
	assert.ErrorAs(t, err, &he)
	l.conn.Close()
	leaktest.WaitGoroutines(t, before, 5*time.Second)
	assert.Zero(t, Handshakes())
}

// An IP literal is sent as no SNI (RFC 6066 §3 allows no literal) and
// verified against the certificate's IP addresses.
func TestClientIPLiteral(t *testing.T) {
	scfg, _ := configs(t)
	scfg = scfg.Clone()
	sni := make(chan string, 1)
	scfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		sni <- h.ServerName
		return nil, nil
	}
	addr := tlsServer(t, scfg, func(c *tls.Conn, err error) {
		if err == nil {
			_ = c.Close()
		}
	})
	l := dialClient(t, addr, &Config{TLS: clientConfig(t, "127.0.0.1")})
	assert.ErrorIs(t, l.run(), glue.ErrPeerClosed, "verified, and closed by the server")
	assert.Equal(t, "", <-sni)
	require.NotNil(t, l.tr.ConnectionState())
}

// A server that answers with something other than TLS fails the
// handshake at once, however much more it sends: its bytes are read up
// to the handshake's bound at most, then the connection fails.
func TestClientNotTLS(t *testing.T) {
	junk := bytes.Repeat([]byte("garbage! "), 4<<10)
	for _, tc := range []struct {
		name  string
		first []byte
	}{
		{"HTTP", []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")},
		{"oversized record", []byte{recordTypeHandshake, 3, 3, 0xff, 0xff}},
		{"junk handshake", []byte{recordTypeHandshake, 3, 3, 0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
		{"fatal alert", []byte{0x15, 3, 3, 0, 2, 2, 40}}, // handshake_failure
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := leaktest.Goroutines()
			addr := listen(t, func(c net.Conn) {
				go func() { _, _ = io.Copy(io.Discard, c) }()
				if _, err := c.Write(tc.first); err != nil {
					return
				}
				for { // until the client gives up
					if _, err := c.Write(junk); err != nil {
						return
					}
				}
			})
			l, err := failedHandshake(t, addr, &Config{TLS: clientConfig(t, "localhost")})
			var he *HandshakeError
			require.ErrorAs(t, err, &he)
			assert.True(t, isConnectFailure(err))
			var rhe tls.RecordHeaderError
			var oe *net.OpError
			switch tc.name {
			case "HTTP":
				assert.ErrorAs(t, err, &rhe)
			case "fatal alert":
				require.ErrorAs(t, err, &oe)
				assert.Equal(t, "remote error", oe.Op)
			}
			assert.LessOrEqual(t, l.consumed, l.tr.inputLimit()+32<<10, "what the client read before it failed")
			t.Logf("%v after %d bytes", err, l.consumed)
			l.conn.Close()
			leaktest.WaitGoroutines(t, before, 5*time.Second)
			assert.Zero(t, Handshakes())
		})
	}
}

// A server that accepts and says nothing fails the client's handshake
// after HandshakeTimeout, with ErrHandshakeTimeout; the handshake's
// goroutine ends with the connection.
func TestClientHandshakeTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	before := leaktest.Goroutines()
	addr := listen(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	start := time.Now()
	l, err := failedHandshake(t, addr, &Config{TLS: clientConfig(t, "localhost"), HandshakeTimeout: timeout})
	elapsed := time.Since(start)
	assert.ErrorIs(t, err, ErrHandshakeTimeout)
	assert.True(t, isConnectFailure(err))
	assert.GreaterOrEqual(t, elapsed, timeout)
	assert.Less(t, elapsed, 10*timeout, "eventually, within several times the timeout")
	l.conn.Close()
	leaktest.WaitGoroutines(t, before, 5*time.Second)
	assert.Zero(t, Handshakes())
}

// ALPN: the client offers what ClientConfig was given, or what the user's
// configuration names, less h2, which the framework does not speak.
func TestClientALPN(t *testing.T) {
	_, _ = configs(t)
	for _, tc := range []struct {
		name  string
		user  []string
		alpn  []string
		agree string
	}{
		{"given", nil, []string{"http/1.1"}, "http/1.1"},
		{"the user's", []string{"x-custom"}, []string{"http/1.1"}, "x-custom"},
		{"never h2", []string{"h2", "http/1.1"}, nil, "http/1.1"},
		{"none", nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scfg := &tls.Config{Certificates: []tls.Certificate{srvCert}, NextProtos: []string{"h2", "x-custom", "http/1.1"}}
			addr := tlsServer(t, scfg, func(c *tls.Conn, err error) {
				if err == nil {
					_ = c.Close()
				}
			})
			ccfg, err := ClientConfig(&tls.Config{RootCAs: ca.Pool, NextProtos: tc.user}, "localhost", tc.alpn)
			require.NoError(t, err)
			l := dialClient(t, addr, &Config{TLS: ccfg})
			assert.ErrorIs(t, l.run(), glue.ErrPeerClosed)
			st := l.tr.ConnectionState()
			require.NotNil(t, st)
			assert.Equal(t, tc.agree, st.NegotiatedProtocol)
		})
	}
}

// Goodbye sends close_notify: the server reads the end of the stream
// while the TCP connection is still open.
func TestClientGoodbye(t *testing.T) {
	scfg, _ := configs(t)
	serverRead := make(chan error, 1)
	addr := tlsServer(t, scfg, func(c *tls.Conn, err error) {
		if err == nil {
			_, err = c.Write([]byte("hi"))
		}
		if err == nil {
			_, err = c.Read(make([]byte, 16))
		}
		serverRead <- err
	})
	l := dialClient(t, addr, &Config{TLS: clientConfig(t, "localhost")})
	done := l.start()
	l.waitGot(t, 2)
	var late error
	l.do(t, func(tr *Transport) ([]byte, error) {
		wire := tr.Goodbye(nil)
		_, late = tr.Send(nil, []byte("late"))
		return wire, nil
	})
	assert.Equal(t, io.EOF, <-serverRead, "close_notify, not a cut")
	<-done // the server closed the socket
	assert.ErrorIs(t, late, net.ErrClosed, "nothing is sent after goodbye")
}

// A client closed mid-handshake (before its ClientHello went out) ends its
// goroutine at once and drops what it held.
func TestClientCloseMidHandshake(t *testing.T) {
	before := leaktest.Goroutines()
	host := newHost()
	tr := (&Config{TLS: clientConfig(t, "localhost"), Client: true}).NewTransport(host).(*Transport)
	assert.Equal(t, int64(1), Handshakes())
	_, _ = tr.Send(nil, []byte("never sent"))
	tr.Close()
	leaktest.WaitGoroutines(t, before, 5*time.Second)
	assert.Zero(t, Handshakes())
	_, _, err := tr.Receive(nil, nil, []byte{recordTypeHandshake})
	assert.Error(t, err, "closed")
}

// A TLS 1.3 client's Finished goes out with the handshake's end, so a
// server that speaks and closes as soon as its handshake ends is heard,
// and its close is a peer close: the loop never meets the server's
// answer, or the end of the socket, with the handshake still running.
func TestClientLastFlightEndsHandshake(t *testing.T) {
	for range 20 {
		addr := tlsServer(t, mustServerConfig(t), func(c *tls.Conn, err error) {
			if err == nil {
				_, _ = c.Write([]byte("bye"))
				_ = c.Close()
			}
		})
		l := dialClient(t, addr, &Config{TLS: clientConfig(t, "localhost")})
		require.ErrorIs(t, l.run(), glue.ErrPeerClosed)
		assert.Equal(t, "bye", string(l.got))
		assert.Equal(t, uint16(tls.VersionTLS13), l.tr.ConnectionState().Version)
	}
}

func mustServerConfig(t testing.TB) *tls.Config {
	scfg, _ := configs(t)
	return scfg
}

// While the client's handshake is busy (here: a GetClientCertificate
// that takes its time), what the server sends waits unread up to the
// same bound as a server's; past it the handshake fails, as a failure to
// connect.
func TestClientHandshakeInputIsBounded(t *testing.T) {
	scfg, _ := configs(t)
	scfg = scfg.Clone()
	scfg.ClientAuth = tls.RequireAnyClientCert
	ccfg := clientConfig(t, "localhost")
	release := make(chan struct{})
	asked := make(chan struct{})
	ccfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		close(asked)
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		return &srvCert, nil
	}
	before := leaktest.Goroutines()
	host := newHost()
	tr := (&Config{TLS: ccfg, Client: true}).NewTransport(host).(*Transport)

	// The server's first flight, answering the ClientHello.
	var hello []byte
	for len(hello) == 0 {
		<-host.wake
		_, hello, _ = tr.Receive(nil, nil, nil)
	}
	a, b := net.Pipe()
	go func() { _ = tls.Server(a, scfg).Handshake() }()
	go func() { _, _ = b.Write(hello) }()
	var flight []byte
	buf := make([]byte, 16<<10)
	for {
		require.NoError(t, b.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
		n, err := b.Read(buf)
		flight = append(flight, buf[:n]...)
		if err != nil {
			require.NotEmpty(t, flight)
			break
		}
	}
	_, _, err := tr.Receive(nil, nil, flight)
	require.NoError(t, err)
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("no certificate request")
	}

	junk := make([]byte, 64<<10)
	for range 512 { // up to 32 MiB, as reads of the socket
		if _, _, err = tr.Receive(nil, nil, junk); err != nil {
			break
		}
	}
	assert.ErrorIs(t, err, ErrHandshakeInput)
	assert.True(t, isConnectFailure(err))
	tr.feed.mu.Lock()
	held := len(tr.feed.in)
	tr.feed.mu.Unlock()
	assert.LessOrEqual(t, held, tr.inputLimit())
	close(release)
	tr.Close()
	a.Close()
	b.Close()
	leaktest.WaitGoroutines(t, before, 5*time.Second)
	assert.Zero(t, Handshakes())
}

package worker_test

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/testcert"
	"github.com/gnetworker/gnetworker/worker"
)

// startTLSEcho starts a text:// worker over TLS echoing each line with
// its TLS version's name.
func startTLSEcho(t *testing.T) string {
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.Transport = "ssl"
		w.TLSConfig = serverTLS(t)
		w.OnMessage = func(c *connection.TcpConnection, msg string) {
			_ = c.Send(tls.VersionName(c.TLS().Version) + " " + msg)
		}
	})
	_, port, _ := net.SplitHostPort(addr)
	return "localhost:" + port
}

// An outbound connection over TLS (Transport "ssl") verifies the server
// for the remote's host name and talks through the loop's TLS transport;
// what it sent while connecting and handshaking arrives first.
func TestAsyncTcpConnectionOverTLS(t *testing.T) {
	addr := startTLSEcho(t)
	w := client(t)
	ac, err := w.NewAsyncTcpConnection("text://" + addr)
	require.NoError(t, err)
	ac.Transport = "ssl"
	ac.TLSConfig = &tls.Config{RootCAs: certs(t).ca.Pool}
	e := newEvents()
	e.hook(ac)
	require.NoError(t, ac.Send("early"))
	require.NoError(t, ac.Connect())
	assert.Equal(t, "connect", e.wait(t))
	assert.Equal(t, "message TLS 1.3 early", e.wait(t))
	require.NoError(t, ac.Send("late"))
	assert.Equal(t, "message TLS 1.3 late", e.wait(t))
	st := ac.TLS()
	require.NotNil(t, st)
	assert.Equal(t, "server", st.PeerCertificates[0].Subject.CommonName)
	assert.Equal(t, "localhost", st.ServerName)
	require.NoError(t, ac.Close())
	assert.Equal(t, "close", e.wait(t))
}

// ssl:// is raw bytes over TLS.
func TestAsyncTcpConnectionSSLScheme(t *testing.T) {
	addr := startTLSEcho(t)
	w := client(t)
	ac, err := w.NewAsyncTcpConnection("ssl://" + addr)
	require.NoError(t, err)
	ac.TLSConfig = &tls.Config{RootCAs: certs(t).ca.Pool}
	got := make(chan string, 4)
	ac.OnConnect = func(c *connection.TcpConnection) { _ = c.Send([]byte("raw\n")) }
	ac.OnMessage = func(c *connection.TcpConnection, b []byte) { got <- string(b) }
	require.NoError(t, ac.Connect())
	select {
	case s := <-got:
		assert.Equal(t, "TLS 1.3 raw\n", s)
	case <-time.After(10 * time.Second):
		t.Fatal("no answer over ssl://")
	}
	require.NoError(t, ac.Close())
}

// A server whose certificate the client does not trust fails the connect
// (CodeConnectFail), then closes.
func TestAsyncTcpConnectionUntrustedServer(t *testing.T) {
	addr := startTLSEcho(t)
	other, err := testcert.NewCA("another CA")
	require.NoError(t, err)
	w := client(t)
	ac, err := w.NewAsyncTcpConnection("text://" + addr)
	require.NoError(t, err)
	ac.Transport = "ssl"
	ac.TLSConfig = &tls.Config{RootCAs: other.Pool}
	e := newEvents()
	e.hook(ac)
	require.NoError(t, ac.Connect())
	assert.Equal(t, "error 1", e.wait(t), "OnConnect waits for the TLS handshake")
	assert.Equal(t, "close", e.wait(t))
	e.mu.Lock()
	assert.Contains(t, e.errs[0].Error(), "certificate")
	e.mu.Unlock()
}

// A connect nobody answers (a listener whose backlog is full drops the
// SYN, as an unroutable address does) fails at ConnectTimeout.
func TestAsyncTcpConnectionTimesOut(t *testing.T) {
	addr := fullBacklog(t)
	w := client(t)
	ac, err := w.NewAsyncTcpConnection("text://" + addr)
	require.NoError(t, err)
	ac.ConnectTimeout = 300 * time.Millisecond
	e := newEvents()
	e.hook(ac)
	started := time.Now()
	require.NoError(t, ac.Connect())
	assert.Equal(t, "error 1", e.wait(t))
	assert.Equal(t, "close", e.wait(t))
	assert.GreaterOrEqual(t, time.Since(started), 300*time.Millisecond)
	e.mu.Lock()
	defer e.mu.Unlock()
	if errors.Is(e.errs[0], syscall.ECONNREFUSED) {
		t.Skip("this kernel refuses rather than drops a connect to a full backlog")
	}
	assert.True(t, strings.Contains(e.errs[0].Error(), "timed out after 300ms"), "%v", e.errs[0])
}

// A server that hangs up before the TLS handshake completes fails the
// connect too, rather than closing a connection that never opened.
func TestAsyncTcpConnectionHungUpInHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	w := client(t)
	ac, err := w.NewAsyncTcpConnection("ssl://" + ln.Addr().String())
	require.NoError(t, err)
	ac.TLSConfig = &tls.Config{RootCAs: certs(t).ca.Pool, ServerName: "localhost"}
	e := newEvents()
	e.hook(ac)
	ac.OnMessage = nil
	require.NoError(t, ac.Connect())
	assert.Equal(t, "error 1", e.wait(t))
	assert.Equal(t, "close", e.wait(t))
}

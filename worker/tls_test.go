package worker_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/leaktest"
	"github.com/gnetworker/gnetworker/internal/testcert"
	"github.com/gnetworker/gnetworker/internal/tlstransport"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

// testPKI is one CA with a server and a client certificate.
type testPKI struct {
	ca     *testcert.CA
	server tls.Certificate
	client tls.Certificate
}

var (
	pkiOnce sync.Once
	pki     testPKI
)

func certs(t *testing.T) testPKI {
	t.Helper()
	pkiOnce.Do(func() {
		ca, err := testcert.NewCA("gnetworker test CA")
		require.NoError(t, err)
		pki.ca = ca
		pki.server, err = ca.Leaf("server", "example.test")
		require.NoError(t, err)
		pki.client, err = ca.Leaf("client alice")
		require.NoError(t, err)
	})
	return pki
}

func serverTLS(t *testing.T) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{certs(t).server}}
}

func clientTLS(t *testing.T) *tls.Config {
	return &tls.Config{RootCAs: certs(t).ca.Pool, ServerName: "localhost"}
}

// tlsInfo is a handler's view of the connection's TLS state.
func tlsInfo(c *connection.TcpConnection) string {
	st := c.TLS()
	if st == nil {
		return "plain"
	}
	peer := "-"
	if len(st.PeerCertificates) > 0 {
		peer = st.PeerCertificates[0].Subject.CommonName
	}
	return fmt.Sprintf("%s %s sni=%s alpn=%s peer=%s", tls.VersionName(st.Version),
		tls.CipherSuiteName(st.CipherSuite), st.ServerName, st.NegotiatedProtocol, peer)
}

// startHTTPS starts an https:// worker that answers with the connection's
// TLS state, or, for POST, the size and SHA-256 of the body; GET /big
// and GET /file send 10 MiB, from memory and from a file.
func startHTTPS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "big.bin")
	require.NoError(t, os.WriteFile(file, bigBody, 0o600))
	_, addr := start(t, "https", func(w *worker.Worker) {
		w.TLSConfig = cfg
		w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
			switch {
			case req.Method() == "POST":
				h := sha256.New()
				n, _ := io.Copy(h, req.Body())
				_ = c.Send(http.NewResponse(200, nil, fmt.Sprintf("%d %x", n, h.Sum(nil))))
			case req.Path() == "/big":
				_ = c.Send(http.NewResponse(200, nil, string(bigBody)))
			case req.Path() == "/file":
				_ = c.Send(http.NewResponse(200, nil, "").WithFile(file, 0, 0))
			default:
				_ = c.Send(http.NewResponse(200, nil, tlsInfo(c)))
			}
		}
	})
	return addr
}

var bigBody = bytes.Repeat([]byte("0123456789abcdef"), 10<<20/16) // 10 MiB

func httpsClient(cfg *tls.Config) *nethttp.Client {
	return &nethttp.Client{Timeout: 30 * time.Second, Transport: &nethttp.Transport{TLSClientConfig: cfg}}
}

// HTTPS with TLS 1.3 and 1.2, keep-alive, ALPN http/1.1 and the
// handshake's state visible to the handler.
func TestHTTPS(t *testing.T) {
	addr := startHTTPS(t, serverTLS(t))
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		cfg := clientTLS(t)
		cfg.MaxVersion = v
		cfg.NextProtos = []string{"h2", "http/1.1"} // h2 is never chosen
		client := httpsClient(cfg)
		for i := range 3 {
			reused := false
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
			})
			req, err := nethttp.NewRequestWithContext(ctx, "GET", "https://"+addr+"/", nil)
			require.NoError(t, err)
			resp, err := client.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, 200, resp.StatusCode)
			assert.Contains(t, string(body), tls.VersionName(v)+" ")
			assert.Contains(t, string(body), "sni=localhost alpn=http/1.1 peer=-")
			assert.Equal(t, 1, resp.ProtoMajor)
			require.NotNil(t, resp.TLS)
			assert.Equal(t, i > 0, reused, "one connection, kept alive")
		}
		client.CloseIdleConnections()
	}
}

// Pipelined requests over one TLS connection are answered in order, and
// an h2-only client gets no h2.
func TestHTTPSPipeliningAndALPN(t *testing.T) {
	addr := startHTTPS(t, serverTLS(t))
	cfg := clientTLS(t)
	cfg.NextProtos = []string{"h2"}
	conn, err := tls.Dial("tcp", addr, cfg)
	if err == nil {
		assert.NotEqual(t, "h2", conn.ConnectionState().NegotiatedProtocol)
		conn.Close()
	}
	conn, err = tls.Dial("tcp", addr, clientTLS(t))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn, strings.Repeat("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 3)+
		"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
	require.NoError(t, err)
	r := bufio.NewReader(conn)
	for i := range 4 {
		resp, err := nethttp.ReadResponse(r, nil)
		require.NoError(t, err, "response %d", i)
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, 200, resp.StatusCode)
		if i == 3 {
			assert.True(t, strings.HasPrefix(string(body), "5 2cf24dba"), string(body))
		}
	}
}

// A 10 MiB upload and a 10 MiB download over TLS arrive intact.
func TestHTTPSLargeBodies(t *testing.T) {
	addr := startHTTPS(t, serverTLS(t))
	client := httpsClient(clientTLS(t))
	defer client.CloseIdleConnections()
	resp, err := client.Post("https://"+addr+"/up", "application/octet-stream", bytes.NewReader(bigBody))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, fmt.Sprintf("%d %x", len(bigBody), sha256.Sum256(bigBody)), string(body))

	resp, err = client.Get("https://" + addr + "/big")
	require.NoError(t, err)
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.True(t, bytes.Equal(bigBody, body), "10 MiB download intact (%d bytes)", len(body))

	// A file is pumped through TLS too, never around it.
	resp, err = client.Get("https://" + addr + "/file")
	require.NoError(t, err)
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.True(t, bytes.Equal(bigBody, body), "10 MiB file intact (%d bytes)", len(body))
}

// Client certificates, when the config asks for them, reach the handler.
func TestHTTPSClientCertificates(t *testing.T) {
	cfg := serverTLS(t)
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = certs(t).ca.Pool
	addr := startHTTPS(t, cfg)

	ccfg := clientTLS(t)
	ccfg.Certificates = []tls.Certificate{certs(t).client}
	resp, err := httpsClient(ccfg).Get("https://" + addr + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "peer=client alice")

	_, err = httpsClient(clientTLS(t)).Get("https://" + addr + "/")
	assert.Error(t, err, "no client certificate: refused")
}

// Plain HTTP on the TLS port gets nginx's answer, a 400, then the close;
// bytes that are neither get the close.
func TestHTTPSRefusesPlainHTTPAndGarbage(t *testing.T) {
	addr := startHTTPS(t, serverTLS(t))
	conn := dial(t, addr)
	_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, err := nethttp.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, string(body), "plain HTTP request was sent to a TLS (HTTPS) port")
	expectEOF(t, conn)

	conn = dial(t, addr)
	_, err = conn.Write([]byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05})
	require.NoError(t, err)
	expectEOF(t, conn)

	// A handshake record of garbage: a TLS alert, then the close.
	conn = dial(t, addr)
	_, err = conn.Write(append([]byte{0x16, 0x03, 0x01, 0x00, 0x08}, "garbage!"...))
	require.NoError(t, err)
	got, _ := io.ReadAll(conn)
	require.NotEmpty(t, got, "an alert")
	assert.Equal(t, byte(0x15), got[0], "an alert record")

	// Garbage after the handshake: a bad_record_mac alert, then the close.
	tc, err := tls.Dial("tcp", addr, clientTLS(t))
	require.NoError(t, err)
	defer tc.Close()
	raw := tc.NetConn()
	_, err = raw.Write([]byte{0x17, 0x03, 0x03, 0x00, 0x20})
	require.NoError(t, err)
	_, err = raw.Write(bytes.Repeat([]byte{0xAA}, 0x20))
	require.NoError(t, err)
	require.NoError(t, tc.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = tc.Read(make([]byte, 1))
	assert.ErrorContains(t, err, "bad record MAC")
}

// expectEOF reads until the server closes the connection.
func expectEOF(t *testing.T, conn net.Conn) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err := io.Copy(io.Discard, conn)
	assert.NoError(t, err, "closed by the server (EOF), not timed out")
}

// A connection that sends no ClientHello, or stops half way through its
// handshake, is closed after the handshake timeout, and no handshake
// goroutine outlives it.
func TestTLSHandshakeTimeout(t *testing.T) {
	_, addr := start(t, "https", func(w *worker.Worker) {
		w.TLSConfig = serverTLS(t)
		w.TLSHandshakeTimeout = 300 * time.Millisecond
		w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {}
	})
	silent := dial(t, addr)
	half := dial(t, addr)
	// The first half of a real ClientHello, captured from a client.
	hello := clientHello(t)
	_, err := half.Write(hello[:len(hello)/2])
	require.NoError(t, err)
	start := time.Now()
	expectEOF(t, silent)
	expectEOF(t, half)
	assert.Less(t, time.Since(start), 8*time.Second)
	leaktest.WaitCount(t, "handshakes in progress", func() int { return int(tlstransport.Handshakes()) }, 0, 5*time.Second)
}

// clientHello is the first flight of a TLS client.
func clientHello(t *testing.T) []byte {
	t.Helper()
	a, b := net.Pipe()
	go func() {
		_ = tls.Client(a, clientTLS(t)).Handshake()
	}()
	buf := make([]byte, 4096)
	require.NoError(t, b.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := b.Read(buf)
	require.NoError(t, err)
	b.Close()
	a.Close()
	return buf[:n]
}

// wss://: a WebSocket worker over TLS echoes.
func TestWSS(t *testing.T) {
	_, addr := start(t, "wss", func(w *worker.Worker) {
		w.TLSConfig = serverTLS(t)
		w.OnMessage = func(c *connection.TcpConnection, m websocket.Message) {
			_ = c.Send("echo " + m.Text() + " " + tlsInfo(c))
		}
	})
	conn, err := tls.Dial("tcp", addr, clientTLS(t))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, payload := sayHi(t, conn, "/ws")
	assert.Contains(t, payload, "echo hi TLS 1.3")
}

// A text worker runs over TLS unchanged, including what OnConnect sends
// before the handshake has ended.
func TestTLSUnderTextProtocol(t *testing.T) {
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.Transport = "ssl"
		w.TLSConfig = serverTLS(t)
		w.OnConnect = func(c *connection.TcpConnection) { _ = c.Send("welcome") }
		w.OnMessage = func(c *connection.TcpConnection, line string) { _ = c.Send("re " + line) }
	})
	conn, err := tls.Dial("tcp", addr, clientTLS(t))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	r := bufio.NewReader(conn)
	assert.Equal(t, "welcome", readLine(t, r))
	fmt.Fprint(conn, "one\ntwo\n")
	assert.Equal(t, "re one", readLine(t, r))
	assert.Equal(t, "re two", readLine(t, r))
}

// A worker with Transport "ssl" needs a certificate, and TLSConfig needs
// "ssl".
func TestTLSConfigChecked(t *testing.T) {
	w, err := worker.New("https://127.0.0.1:0")
	require.NoError(t, err)
	assert.Equal(t, "ssl", w.Transport)
	w.OnMessage = func(*connection.TcpConnection, *http.Request) {}
	assert.ErrorIs(t, w.Start(), tlstransport.ErrNoCertificate)

	w, err = worker.New("http://127.0.0.1:0")
	require.NoError(t, err)
	w.TLSConfig = serverTLS(t)
	w.OnMessage = func(*connection.TcpConnection, *http.Request) {}
	assert.ErrorContains(t, w.Start(), "Transport")
}

// recordingConn keeps what it reads.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	got []byte
}

func (r *recordingConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.got = append(r.got, p[:n]...)
	r.mu.Unlock()
	return n, err
}

// A graceful close (Connection: close) ends with a close_notify alert, so
// the client can tell the end of the stream from a truncation.
func TestTLSCloseNotify(t *testing.T) {
	addr := startHTTPS(t, serverTLS(t))
	raw := dial(t, addr)
	rec := &recordingConn{Conn: raw}
	cfg := clientTLS(t)
	cfg.MaxVersion = tls.VersionTLS12 // alerts are visible records in TLS 1.2
	tc := tls.Client(rec, cfg)
	_, err := io.WriteString(tc, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	resp, err := nethttp.ReadResponse(bufio.NewReader(tc), nil)
	require.NoError(t, err)
	_, _ = io.ReadAll(resp.Body)
	_, err = tc.Read(make([]byte, 1))
	assert.Equal(t, io.EOF, err)
	// The last record the server sent is an alert (type 21).
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var last byte
	for b := rec.got; len(b) >= 5; {
		n := 5 + (int(b[3])<<8 | int(b[4]))
		if n > len(b) {
			break
		}
		last, b = b[0], b[n:]
	}
	assert.Equal(t, byte(21), last, "the stream ends with an alert record (close_notify)")
}

// The status of an http:// worker given Transport "ssl" says https://.
func TestTLSStatusSaysHTTPS(t *testing.T) {
	w, _ := start(t, "http", func(w *worker.Worker) {
		w.Transport = "ssl"
		w.TLSConfig = serverTLS(t)
		w.OnMessage = func(*connection.TcpConnection, *http.Request) {}
	})
	for _, ws := range worker.Status().Workers {
		if ws.Listen == "https://"+w.Addr().String() {
			assert.Equal(t, "ssl", ws.Transport)
			return
		}
	}
	t.Errorf("no worker listens on https://%s in %+v", w.Addr(), worker.Status().Workers)
}

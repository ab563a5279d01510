package worker_test

import (
	"bytes"
	"crypto/tls"
	"net"
	"net/url"
	"os/exec"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

// wsClient makes a ws:// (or wss://) outbound connection to remote with
// opts, recording its events.
func wsClient(t *testing.T, w *worker.Worker, remote string, opts websocket.ClientOptions) (*connection.AsyncTcpConnection, *events) {
	ac, err := w.NewAsyncTcpConnection(remote)
	require.NoError(t, err)
	e := newEvents()
	u, err := url.Parse(remote)
	require.NoError(t, err)
	opts.OnWebSocketConnect = func(c *connection.TcpConnection, resp *websocket.HandshakeResponse) {
		e.add("handshake " + resp.StatusLine + " " + resp.Subprotocol)
	}
	opts.OnWebSocketPong = func(c *connection.TcpConnection, data []byte) { e.add("pong " + string(data)) }
	opts.OnWebSocketClose = func(c *connection.TcpConnection, code int, reason string) {
		e.add("closeframe " + strconv.Itoa(code) + " " + reason)
	}
	p, err := websocket.NewClient(u, &opts)
	require.NoError(t, err)
	ac.Protocol = p
	ac.OnConnect = func(*connection.TcpConnection) { e.add("connect") }
	ac.OnMessage = func(c *connection.TcpConnection, m websocket.Message) {
		if m.Opcode == websocket.OpBinary {
			e.add("binary " + strconv.Itoa(len(m.Data)) + " " + strconv.Itoa(int(m.Data[len(m.Data)-1])))
			return
		}
		e.add("text " + m.Text())
	}
	ac.OnClose = func(*connection.TcpConnection) { e.add("close") }
	ac.OnError = func(c *connection.TcpConnection, code int, err error) {
		e.mu.Lock()
		e.errs = append(e.errs, err)
		e.mu.Unlock()
		e.add("error " + strconv.Itoa(code))
	}
	return ac, e
}

// startWSEcho starts the framework's own ws:// (or wss:// with tlsCfg)
// echo server, which greets each client with its X-Token header.
func startWSEcho(t *testing.T, tlsCfg *tls.Config) string {
	scheme := "ws"
	if tlsCfg != nil {
		scheme = "wss"
	}
	_, addr := start(t, scheme, func(w *worker.Worker) {
		w.TLSConfig = tlsCfg
		srv := w.Protocol.(*websocket.Server)
		srv.OnWebSocketConnected = func(c *connection.TcpConnection, req *http.Request) {
			_ = c.Send("hello " + req.Header("X-Token"))
		}
		w.OnMessage = func(c *connection.TcpConnection, m websocket.Message) {
			if m.Text() == "bye" {
				_ = c.Send(websocket.Close{Code: 4001, Reason: "bye to you"})
				return
			}
			_ = c.Send(m)
		}
	})
	return addr
}

// exerciseEcho runs one conversation against an echo server: a greeting
// naming the token, text, a 1 MiB binary message, a ping's pong, and the
// server's close echoed.
func exerciseEcho(t *testing.T, ac *connection.AsyncTcpConnection, e *events, handshake, greeting string) {
	require.NoError(t, ac.Send("sent before the handshake"))
	require.NoError(t, ac.Connect())
	assert.Equal(t, "connect", e.wait(t))
	assert.Equal(t, handshake, e.wait(t))
	assert.Equal(t, "text "+greeting, e.wait(t))
	assert.Equal(t, "text sent before the handshake", e.wait(t))
	big := bytes.Repeat([]byte{7}, 1<<20)
	big[len(big)-1] = 9
	require.NoError(t, ac.Send(big))
	assert.Equal(t, "binary 1048576 9", e.wait(t))
	require.NoError(t, ac.Send(websocket.Ping("are you there")))
	assert.Equal(t, "pong are you there", e.wait(t))
	require.NoError(t, ac.Send("bye"))
	assert.Equal(t, "closeframe 4001 bye to you", e.wait(t))
	assert.Equal(t, "close", e.wait(t))
}

func TestWebSocketClientAgainstOwnServer(t *testing.T) {
	addr := startWSEcho(t, nil)
	w := client(t)
	ac, e := wsClient(t, w, "ws://"+addr+"/chat?room=1", websocket.ClientOptions{
		Header: map[string][]string{"X-Token": {"secret"}},
	})
	exerciseEcho(t, ac, e, "handshake HTTP/1.1 101 Switching Protocols ", "hello secret")
}

func TestWebSocketClientOverTLS(t *testing.T) {
	addr := startWSEcho(t, serverTLS(t))
	_, port, _ := net.SplitHostPort(addr)
	w := client(t)
	ac, e := wsClient(t, w, "wss://localhost:"+port+"/", websocket.ClientOptions{
		Header: map[string][]string{"X-Token": {"over tls"}},
	})
	ac.TLSConfig = &tls.Config{RootCAs: certs(t).ca.Pool}
	exerciseEcho(t, ac, e, "handshake HTTP/1.1 101 Switching Protocols ", "hello over tls")
	require.NotNil(t, ac.TLS())
	assert.Equal(t, "http/1.1", ac.TLS().NegotiatedProtocol)
}

// The client against another implementation: Debian's python3-websockets.
func TestWebSocketClientAgainstPython(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import websockets").Run(); err != nil {
		t.Skipf("python3-websockets is not installed (make test installs it): %v", err)
	}
	port := startChild(t, exec.Command(python, "testdata/ws_echo_server.py"))

	w := client(t)
	ac, e := wsClient(t, w, "ws://127.0.0.1:"+port+"/room", websocket.ClientOptions{
		Header:       map[string][]string{"X-Token": {"py"}},
		Subprotocols: []string{"chat"},
	})
	exerciseEcho(t, ac, e, "handshake HTTP/1.1 101 Switching Protocols chat", "hello py chat /room")
}

// A server that does not accept the handshake fails the connect.
func TestWebSocketClientRefused(t *testing.T) {
	_, addr := start(t, "http", func(w *worker.Worker) {
		w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
			_ = c.Send(http.NewResponse(403, nil, "go away"))
		}
	})
	w := client(t)
	ac, e := wsClient(t, w, "ws://"+addr+"/", websocket.ClientOptions{})
	require.NoError(t, ac.Connect())
	assert.Equal(t, "connect", e.wait(t))
	assert.Equal(t, "error 1", e.wait(t))
	assert.Equal(t, "close", e.wait(t))
	e.mu.Lock()
	defer e.mu.Unlock()
	assert.Contains(t, e.errs[0].Error(), "403")
}

package websocket_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

// CheckOrigin keeps pages of other sites from opening WebSockets to the
// server with their visitors' cookies; the same CORS policy can answer
// the site's cross-origin HTTP requests.
func ExampleUpgrade_checkOrigin() {
	policy := &http.CORS{AllowOrigins: []string{"https://chat.example"}}
	opts := &websocket.Options{
		CheckOrigin: policy.AllowOrigin,
		OnMessage:   func(c *connection.TcpConnection, m websocket.Message) { _ = c.Send(m) },
	}
	w, _ := worker.New("http://127.0.0.1:0")
	w.Count = 1
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		_ = websocket.Upgrade(c, req, opts) // ErrOriginNotAllowed when refused
	}
	if err := w.Start(); err != nil {
		panic(err)
	}
	defer w.Stop()

	handshake := func(origin string) {
		conn, err := net.Dial("tcp", w.Addr().String())
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		req := "GET /chat HTTP/1.1\r\nHost: chat.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
		label := "no Origin"
		if origin != "" {
			req += "Origin: " + origin + "\r\n"
			label = origin
		}
		fmt.Fprint(conn, req+"\r\n")
		status, _ := bufio.NewReader(conn).ReadString('\n')
		fmt.Printf("%s: %s\n", label, strings.TrimSpace(status))
	}
	handshake("https://chat.example")
	handshake("https://evil.example")
	handshake("") // not a browser
	// Output:
	// https://chat.example: HTTP/1.1 101 Switching Protocols
	// https://evil.example: HTTP/1.1 403 Forbidden
	// no Origin: HTTP/1.1 101 Switching Protocols
}

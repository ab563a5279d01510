package websocket_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// A Client is the protocol of connections to one ws:// or wss:// URL.
// Its Handler binds the application's OnMessage and hooks; each
// connection's codec opens with the handshake request, shown here with
// its random key elided.
func ExampleNewClient() {
	u, _ := url.Parse("ws://chat.example:8080/room?id=7")
	cl, err := websocket.NewClient(u, &websocket.ClientOptions{
		Header:       map[string][]string{"Authorization": {"Bearer secret"}},
		Subprotocols: []string{"chat.v2"},
		OnWebSocketConnect: func(c *connection.TcpConnection, resp *websocket.HandshakeResponse) {
			_ = c.Send("hello") // sends made earlier went out just before
		},
		OnWebSocketClose: func(c *connection.TcpConnection, code int, reason string) {
			fmt.Println("closed", code, reason)
		},
	})
	if err != nil {
		panic(err)
	}
	onMessage := cl.Handler(func(c *connection.TcpConnection, m websocket.Message) {
		fmt.Println("received", m.Text())
	})
	_ = onMessage // the connection's OnMessage

	codec := cl.NewCodec(nil) // the connection passes itself
	defer codec.(protocols.Releaser).Release()
	request := string(codec.(protocols.Greeter).Greeting())
	request = regexp.MustCompile(`Key: \S+`).ReplaceAllString(request, "Key: ...")
	fmt.Print(strings.ReplaceAll(request, "\r\n", "\n"))
	// Output:
	// GET /room?id=7 HTTP/1.1
	// Host: chat.example:8080
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Key: ...
	// Sec-WebSocket-Version: 13
	// Sec-WebSocket-Protocol: chat.v2
	// Authorization: Bearer secret
}

package worker

import (
	"net/url"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// clientWebSocket makes the protocol of a ws:// or wss:// outbound
// connection: a websocket.Client with no options, which the user may
// replace (AsyncTcpConnection.Protocol) with one of their own.
func clientWebSocket(spec glue.Outbound, u *url.URL) (glue.Outbound, error) {
	cl, err := websocket.NewClient(u, nil)
	if err != nil {
		return spec, err
	}
	spec.Protocol = cl
	s := newScheme[websocket.Message](nil)
	s.bind = bindWebSocketClient
	spec.Adapt = func(p protocols.Protocol, h any) (any, error) { return adaptOutbound(s, p, h) }
	return spec, nil
}

// bindWebSocketClient routes a ws:// client's messages: the handshake's
// answer and control frames to the hooks of its *websocket.Client, data
// to h.
func bindWebSocketClient(p protocols.Protocol, h MessageHandler) MessageHandler {
	cl, ok := p.(*websocket.Client)
	if !ok {
		return h // a Protocol of the user's own
	}
	var onMessage func(*connection.TcpConnection, websocket.Message)
	if h != nil {
		onMessage = func(c *connection.TcpConnection, m websocket.Message) { h(c, m) }
	}
	return cl.Handler(onMessage)
}

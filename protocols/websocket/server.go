package websocket

import (
	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/http"
)

// Server is the protocol of a ws:// (or websocket://) worker, as
// workerman's websocket:// transport: every connection begins with its
// handshake, which is upgraded at once, and the worker's OnMessage
// receives its messages. Set the hooks and limits on the worker's
// Protocol before it starts:
//
//	w, _ := worker.New("ws://0.0.0.0:8000")
//	srv := w.Protocol.(*websocket.Server)
//	srv.OnWebSocketConnect = func(c *connection.TcpConnection, req *http.Request) *http.Response { ... }
//	w.OnMessage = func(c *connection.TcpConnection, m websocket.Message) { _ = c.Send(m) }
//
// Options.OnMessage is taken from the worker's OnMessage. A request that
// is no handshake is answered 400 (426 for another version).
type Server struct {
	Options
	// HTTP parses the handshake request, with its timeouts and limits.
	HTTP *http.Protocol
}

// NewServer returns a Server with the default options.
func NewServer() *Server { return &Server{HTTP: http.NewProtocol()} }

// Name returns "websocket".
func (s *Server) Name() string { return "websocket" }

// NewCodec returns the codec a connection starts with: HTTP's, for the
// handshake.
func (s *Server) NewCodec(c protocols.Conn) protocols.Codec { return s.HTTP.NewCodec(c) }

// Handler returns the worker's message handler for a ws:// worker whose
// OnMessage is onMessage: a handshake request is upgraded with the
// Server's options; after that, messages go to onMessage.
func (s *Server) Handler(onMessage func(*connection.TcpConnection, Message)) func(*connection.TcpConnection, any) {
	opts := s.Options
	opts.OnMessage = onMessage
	return func(c *connection.TcpConnection, msg any) {
		if req, ok := msg.(*http.Request); ok {
			_ = Upgrade(c, req, &opts)
		}
	}
}

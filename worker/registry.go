package worker

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/frame"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/text"
	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// MessageHandler is the form every OnMessage takes inside the worker.
type MessageHandler = func(c *connection.TcpConnection, msg any)

// scheme is one registered protocol: how to make it, what its messages are,
// and how to turn a user's typed OnMessage into a MessageHandler.
type scheme struct {
	newProtocol func() protocols.Protocol
	msgType     reflect.Type
	adapt       func(h any) (MessageHandler, bool)
	// bind, when set, builds the handler from the worker's Protocol too
	// (ws:// upgrades with the hooks set there).
	bind func(p protocols.Protocol, h MessageHandler) MessageHandler
}

var (
	registryMu sync.RWMutex
	registry   = map[string]scheme{}
)

// RegisterProtocol makes scheme ("text", "http", or one of your own) name a
// protocol whose decoded messages have type M. newProtocol is called once
// per worker, so each worker may configure its own instance.
//
// A worker of that scheme accepts OnMessage in any of these forms:
//
//	func(c *connection.TcpConnection, msg M)
//	func(c *connection.TcpConnection, msg any)
//
// Registering a scheme again replaces it.
func RegisterProtocol[M any](scheme string, newProtocol func() protocols.Protocol) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[strings.ToLower(scheme)] = newScheme[M](newProtocol)
}

func newScheme[M any](newProtocol func() protocols.Protocol) scheme {
	return scheme{
		newProtocol: newProtocol,
		msgType:     reflect.TypeFor[M](),
		adapt: func(h any) (MessageHandler, bool) {
			switch f := h.(type) {
			case func(*connection.TcpConnection, M):
				return func(c *connection.TcpConnection, msg any) { f(c, msg.(M)) }, true
			case func(*connection.TcpConnection, any):
				return f, true
			}
			return nil, false
		},
	}
}

func lookupScheme(name string) (scheme, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s, ok := registry[strings.ToLower(name)]
	return s, ok
}

// adaptHandler checks a worker's OnMessage against its protocol.
func (s scheme) adaptHandler(p protocols.Protocol, h any) (MessageHandler, error) {
	name := p.Name()
	if h == nil {
		if s.bind != nil {
			return s.bind(p, nil), nil
		}
		return nil, nil
	}
	if f, ok := s.adapt(h); ok {
		if s.bind != nil {
			return s.bind(p, f), nil
		}
		return f, nil
	}
	return nil, fmt.Errorf("worker: OnMessage has type %T; the %q protocol delivers %v: use func(*connection.TcpConnection, %v)",
		h, name, s.msgType, s.msgType)
}

func init() {
	RegisterProtocol[[]byte]("tcp", func() protocols.Protocol { return protocols.Raw{} })
	RegisterProtocol[string]("text", func() protocols.Protocol { return text.Protocol{} })
	RegisterProtocol[[]byte]("frame", func() protocols.Protocol { return frame.Protocol{} })
	RegisterProtocol[*http.Request]("http", func() protocols.Protocol { return http.NewProtocol() })
	ws := newScheme[websocket.Message](func() protocols.Protocol { return websocket.NewServer() })
	ws.bind = bindWebSocket
	registry["ws"], registry["websocket"] = ws, ws
}

// bindWebSocket makes a ws:// worker's handler: handshakes are upgraded
// with the hooks of its *websocket.Server, then messages go to h.
func bindWebSocket(p protocols.Protocol, h MessageHandler) MessageHandler {
	srv, ok := p.(*websocket.Server)
	if !ok {
		return h // a Protocol of the user's own: no upgrade of ours
	}
	var onMessage func(*connection.TcpConnection, websocket.Message)
	if h != nil {
		onMessage = func(c *connection.TcpConnection, m websocket.Message) { h(c, m) }
	}
	return srv.Handler(onMessage)
}

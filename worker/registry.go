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
)

// MessageHandler is the form every OnMessage takes inside the worker.
type MessageHandler = func(c *connection.TcpConnection, msg any)

// scheme is one registered protocol: how to make it, what its messages are,
// and how to turn a user's typed OnMessage into a MessageHandler.
type scheme struct {
	newProtocol func() protocols.Protocol
	msgType     reflect.Type
	adapt       func(h any) (MessageHandler, bool)
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
func (s scheme) adaptHandler(name string, h any) (MessageHandler, error) {
	if h == nil {
		return nil, nil
	}
	if f, ok := s.adapt(h); ok {
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
}

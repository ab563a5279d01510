package worker

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/protocols"
)

// ErrNotStarted is returned by NewAsyncTcpConnection before the worker
// starts (OnWorkerStart is the earliest place to call it).
var ErrNotStarted = errors.New("worker: not started")

// clientTLSSchemes name another scheme over TLS, for outbound
// connections.
var clientTLSSchemes = map[string]string{"wss": "ws", "ssl": "tcp", "tls": "tcp"}

// NewAsyncTcpConnection makes a connection to remote, not connected yet,
// that runs on one of the worker's event loops (in turn, or the one
// SetWorkerID names), as workerman's AsyncTcpConnection:
//
//	tcp://host:port        raw bytes ([]byte messages)
//	text://host:port       lines (string messages); frame:// likewise
//	ws://host:port/path    a WebSocket client (websocket.Message)
//	wss://host:port/path   the same over TLS
//	ssl://host:port        raw bytes over TLS
//	unix:///path.sock      raw bytes over a unix socket; text+unix:// etc.
//
// and any scheme registered with RegisterProtocol whose protocol can
// speak first or answer (an http:// client is not provided). Set its
// callbacks and Connect it. Call it once the worker started, from
// OnWorkerStart on.
func (w *Worker) NewAsyncTcpConnection(remote string) (*connection.AsyncTcpConnection, error) {
	if !w.started.Load() || w.group == nil {
		return nil, ErrNotStarted
	}
	spec, err := parseRemote(remote)
	if err != nil {
		return nil, err
	}
	spec.Loops = outboundHost{w}
	spec.Loop = int(w.nextLoop.Add(1)-1) % len(w.loopExecs)
	return glue.Connections.NewOutbound(w.group, spec).(*connection.AsyncTcpConnection), nil
}

// parseRemote reads an outbound connection's remote address.
func parseRemote(remote string) (glue.Outbound, error) {
	var spec glue.Outbound
	bad := func(why string, args ...any) error {
		return fmt.Errorf("%w %q: "+why, append([]any{ErrBadAddress, remote}, args...)...)
	}
	u, err := url.Parse(remote)
	if err != nil || u.Scheme == "" {
		return spec, bad("want scheme://host:port")
	}
	spec.URI = remote
	name := strings.ToLower(u.Scheme)
	if plain, ok := clientTLSSchemes[name]; ok {
		name, spec.TLS = plain, true
	}
	switch {
	case name == "unix" || strings.HasSuffix(name, "+unix"):
		if u.Host != "" || u.Path == "" {
			return spec, bad("want unix:///absolute/path.sock")
		}
		name = strings.TrimSuffix(name, "+unix")
		if name == "unix" {
			name = "tcp"
		}
		spec.Network, spec.Address = "unix", u.Path
	default:
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil {
			return spec, bad("%v", err)
		}
		if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
			return spec, bad("port %q is not 1-65535", port)
		}
		if host == "" || (net.ParseIP(host) == nil && !validHostName(host)) {
			return spec, bad("host %q is neither an IP address nor a host name", host)
		}
		spec.Network, spec.Address, spec.Host = "tcp", net.JoinHostPort(host, port), host
		if name != "ws" && name != "websocket" && (u.Path != "" && u.Path != "/" || u.RawQuery != "") {
			return spec, bad("want %s://host:port with nothing after it", name)
		}
	}
	switch name {
	case "ws", "websocket":
		return clientWebSocket(spec, u)
	case "http":
		return spec, bad("there is no HTTP client: use ws://, tcp:// or a protocol of your own")
	}
	s, ok := lookupScheme(name)
	if !ok {
		return spec, bad("unknown scheme %q", name)
	}
	spec.Protocol = s.newProtocol()
	spec.Adapt = func(p protocols.Protocol, h any) (any, error) { return adaptOutbound(s, p, h) }
	return spec, nil
}

// adaptOutbound checks an outbound connection's OnMessage against its
// protocol, as a worker's (the scheme binds it when it must: ws://).
func adaptOutbound(s scheme, p protocols.Protocol, h any) (any, error) {
	var f MessageHandler
	if h != nil {
		var ok bool
		if f, ok = s.adapt(h); !ok {
			return nil, fmt.Errorf("connection: OnMessage has type %T; the %q protocol delivers %v: use func(*connection.TcpConnection, %v)",
				h, p.Name(), s.msgType, s.msgType)
		}
	}
	if s.bind != nil {
		return s.bind(p, f), nil
	}
	if f == nil {
		return nil, nil
	}
	return f, nil
}

// outboundHost is the worker's side of its outbound connections
// (glue.LoopHost).
type outboundHost struct{ w *Worker }

func (h outboundHost) Execute(i int, fn func()) error { return h.w.loopExecs[i].Execute(fn) }

func (h outboundHost) EventLoop(i int) gnet.EventLoop {
	l := h.w.loopExecs[i]
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.el
}

func (h outboundHost) Loops() int { return len(h.w.loopExecs) }

func (h outboundHost) Stopping() bool { return h.w.stopping.Load() }

package websocket

import (
	"encoding/base64"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols"
)

// DefaultHandshakeTimeout bounds how long a client waits for the
// server's answer to its handshake, from the moment the connection is
// established.
const DefaultHandshakeTimeout = 10 * time.Second

// DefaultCloseTimeout bounds how long a client that sent a close frame
// waits for the server's before it closes the connection itself.
const DefaultCloseTimeout = 5 * time.Second

// ClientOptions configure a Client: its handshake request, its limits and
// workerman's hooks (AsyncTcpConnection's onWebSocketConnect,
// onWebSocketPing, onWebSocketPong, onWebSocketClose). Every hook runs on
// the connection's event loop, like a worker's callbacks; nil ones are
// skipped.
type ClientOptions struct {
	// Header holds fields added to the handshake request, such as
	// Authorization or Cookie; a net/http.Header fits. A Host field
	// replaces the one taken from the URL. The fields the handshake
	// itself sets (Upgrade, Connection, Sec-WebSocket-Key,
	// Sec-WebSocket-Version, Sec-WebSocket-Extensions,
	// Sec-WebSocket-Protocol) are refused by NewClient: use Subprotocols
	// and Compression.
	Header map[string][]string
	// Origin, when set, is sent as the Origin field, as a browser would.
	Origin string
	// Subprotocols are offered in Sec-WebSocket-Protocol, by preference.
	// The server may choose one (HandshakeResponse.Subprotocol); an
	// answer naming one not offered fails the handshake.
	Subprotocols []string
	// MaxMessageSize bounds a message received, all fragments together;
	// over it the connection is closed with 1009. Default
	// DefaultMaxMessageSize.
	MaxMessageSize int
	// HandshakeTimeout bounds the wait for the server's 101, from the
	// moment the connection is established (its Greeting); past it the
	// connection is closed (OnClose runs; a codec has no way to report to
	// OnError but through its input). Default DefaultHandshakeTimeout;
	// negative: no bound.
	HandshakeTimeout time.Duration
	// CloseTimeout bounds the wait for the server's close frame after the
	// client sent one; past it the connection is closed. Default
	// DefaultCloseTimeout; negative: no bound.
	CloseTimeout time.Duration
	// PingInterval, when positive, starts a heartbeat once the handshake
	// completes, as Options.PingInterval does on a server: a ping every
	// interval, and a close (1001) once MaxMissedPongs pings in a row
	// (DefaultMaxMissedPongs) went unanswered. Any frame counts as an
	// answer. It needs the connection's handler made by Handler.
	PingInterval   time.Duration
	MaxMissedPongs int
	// Compression offers permessage-deflate (RFC 7692) without context
	// takeover in either direction, as the server side accepts it: when
	// the server agrees (HandshakeResponse.Compression), messages of at
	// least CompressionThreshold bytes (DefaultCompressionThreshold) are
	// sent compressed, and compressed messages received are inflated up
	// to MaxMessageSize (then 1009).
	Compression          bool
	CompressionThreshold int

	// OnWebSocketConnect runs once the server's 101 is received and
	// checked, before any message: resp is its head. Messages sent while
	// the handshake was under way are queued by then, ahead of what it
	// sends.
	OnWebSocketConnect func(c *connection.TcpConnection, resp *HandshakeResponse)
	// OnWebSocketPing sees a ping, already answered with its pong.
	OnWebSocketPing func(c *connection.TcpConnection, data []byte)
	// OnWebSocketPong sees a pong.
	OnWebSocketPong func(c *connection.TcpConnection, data []byte)
	// OnWebSocketClose sees the server's close frame (code CloseNoStatus
	// when it had none): the answer to the client's close, or the
	// server's own, already echoed. The connection closes next.
	OnWebSocketClose func(c *connection.TcpConnection, code int, reason string)
}

// Client is the protocol of an outbound WebSocket connection, a ws:// or
// wss:// URL (workerman's AsyncTcpConnection to "ws://..."): each
// connection's codec opens with the handshake request (protocols.Greeter),
// checks the server's 101, then frames as a client must, masking what it
// sends. Messages sent before the 101 arrives are held and written right
// after it, in order.
//
// The handshake fails, and the connection with it, when the server
// answers anything but a 101 that accepts this handshake: a status other
// than 101, no "Upgrade: websocket" or "Connection: upgrade", a
// Sec-WebSocket-Accept that does not match the key, a subprotocol or an
// extension not offered. The error, a *HandshakeError, implements
// protocols.ConnectFailure.
//
// Bind its messages with Handler. A Client is immutable and safe for
// concurrent use; one serves any number of connections to its URL.
type Client struct {
	opts    ClientOptions
	before  string // the request up to the key
	after   string // the request after the key
	max     int
	deflate bool
}

// clientReserved are the header fields the handshake sets itself.
var clientReserved = []string{
	"Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
	"Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol",
}

// deflateOffer is the client's permessage-deflate offer.
const deflateOffer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

// NewClient returns the protocol of connections to u, whose scheme is
// "ws" (or "websocket") or "wss" (the port defaults to 80 and 443); the
// scheme does not choose the transport, the caller does (TLS for wss).
// The handshake asks for u's path and query on the host of u (with its
// port unless it is the default), or the Header's Host. User information
// in u ("ws://user:pass@host/") becomes a Basic Authorization field
// unless Header has one. opts may be nil; it is copied.
//
// NewClient fails for another scheme, a URL without a host, and header
// fields or subprotocols that are no valid HTTP tokens and values.
func NewClient(u *url.URL, opts *ClientOptions) (*Client, error) {
	if opts == nil {
		opts = &ClientOptions{}
	}
	c := &Client{opts: *opts, max: opts.MaxMessageSize, deflate: opts.Compression}
	if c.max <= 0 {
		c.max = DefaultMaxMessageSize
	}
	if c.opts.CompressionThreshold <= 0 {
		c.opts.CompressionThreshold = DefaultCompressionThreshold
	}
	if c.opts.HandshakeTimeout == 0 {
		c.opts.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.opts.CloseTimeout == 0 {
		c.opts.CloseTimeout = DefaultCloseTimeout
	}
	c.opts.Header = nil // kept only in the request built below
	c.opts.Subprotocols = slices.Clone(opts.Subprotocols)

	if u == nil {
		return nil, errors.New("websocket: NewClient needs a URL")
	}
	var defaultPort string
	switch strings.ToLower(u.Scheme) {
	case "ws", "websocket":
		defaultPort = "80"
	case "wss":
		defaultPort = "443"
	default:
		return nil, errors.New("websocket: a client URL is ws:// or wss://, not " + u.Scheme + "://")
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, errors.New("websocket: the URL " + u.Redacted() + " has no host")
	}
	host := u.Hostname()
	if port := u.Port(); port != "" && port != defaultPort {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 address
	}

	var b strings.Builder
	fields := map[string]string{} // lower-case names seen
	names := make([]string, 0, len(opts.Header))
	for name, values := range opts.Header {
		if !validToken(name) {
			return nil, errors.New("websocket: invalid header field name " + quoteLimited(name))
		}
		lower := strings.ToLower(name)
		if _, dup := fields[lower]; dup {
			return nil, errors.New("websocket: header field " + name + " given twice")
		}
		fields[lower] = name
		for _, r := range clientReserved {
			if strings.EqualFold(name, r) {
				return nil, errors.New("websocket: header field " + name + " is the handshake's own")
			}
		}
		for _, v := range values {
			if !validFieldValue(v) {
				return nil, errors.New("websocket: invalid value for header field " + name)
			}
		}
		names = append(names, name)
	}
	slices.Sort(names) // a map has no order; the request should have one
	if name, ok := fields["host"]; ok {
		if vs := opts.Header[name]; len(vs) != 1 {
			return nil, errors.New("websocket: the Host header field needs one value")
		}
	}
	if !validFieldValue(opts.Origin) {
		return nil, errors.New("websocket: invalid Origin")
	}
	if _, ok := fields["origin"]; ok && opts.Origin != "" {
		return nil, errors.New("websocket: Origin given both in Header and as Origin")
	}
	for i, p := range opts.Subprotocols {
		if !validToken(p) || slices.Contains(opts.Subprotocols[:i], p) {
			return nil, errors.New("websocket: invalid or repeated subprotocol " + quoteLimited(p))
		}
	}

	b.WriteString("GET ")
	b.WriteString(u.RequestURI())
	b.WriteString(" HTTP/1.1\r\n")
	if name, ok := fields["host"]; ok {
		host = opts.Header[name][0]
	}
	writeField(&b, "Host", host)
	writeField(&b, "Upgrade", "websocket")
	writeField(&b, "Connection", "Upgrade")
	b.WriteString("Sec-WebSocket-Key: ")
	c.before = b.String()
	b.Reset()
	b.WriteString("\r\n")
	writeField(&b, "Sec-WebSocket-Version", "13")
	if opts.Origin != "" {
		writeField(&b, "Origin", opts.Origin)
	}
	if len(opts.Subprotocols) > 0 {
		writeField(&b, "Sec-WebSocket-Protocol", strings.Join(opts.Subprotocols, ", "))
	}
	if opts.Compression {
		writeField(&b, "Sec-WebSocket-Extensions", deflateOffer)
	}
	if _, ok := fields["authorization"]; !ok && u.User != nil {
		pass, _ := u.User.Password()
		writeField(&b, "Authorization", "Basic "+
			base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass)))
	}
	for _, name := range names {
		if strings.EqualFold(name, "Host") {
			continue
		}
		for _, v := range opts.Header[name] {
			writeField(&b, name, v)
		}
	}
	b.WriteString("\r\n")
	c.after = b.String()
	return c, nil
}

func writeField(b *strings.Builder, name, value string) {
	b.WriteString(name)
	b.WriteString(": ")
	b.WriteString(value)
	b.WriteString("\r\n")
}

// Name returns "websocket".
func (p *Client) Name() string { return "websocket" }

// NewCodec returns the codec of one connection to the Client's URL, with
// its own Sec-WebSocket-Key and mask keys.
func (p *Client) NewCodec(c protocols.Conn) protocols.Codec {
	return newClientCodec(p, c)
}

// Handler returns the message handler of connections made with this
// Client: the handshake's response goes to OnWebSocketConnect (starting
// the heartbeat first, when PingInterval is set), data messages to
// onMessage, and control frames to the ping, pong and close hooks. It
// runs on the connection's event loop, as any OnMessage.
func (p *Client) Handler(onMessage func(*connection.TcpConnection, Message)) func(*connection.TcpConnection, any) {
	o := p.opts
	return func(c *connection.TcpConnection, msg any) {
		switch m := msg.(type) {
		case Message:
			if onMessage != nil {
				onMessage(c, m)
			}
		case *HandshakeResponse:
			if o.PingInterval > 0 && m.hb != nil {
				m.hb.start(c, o.PingInterval, o.MaxMissedPongs)
			}
			if o.OnWebSocketConnect != nil {
				o.OnWebSocketConnect(c, m)
			}
		default:
			routeControl(c, msg, o.OnWebSocketPing, o.OnWebSocketPong, o.OnWebSocketClose)
		}
	}
}

// validToken reports whether s is an HTTP token (RFC 9110 section 5.6.2).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validFieldValue reports whether v may be sent as a header field's
// value: no control characters but tab, so no line break to inject a
// field.
func validFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

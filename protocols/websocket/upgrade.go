package websocket

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
)

// Options configure the WebSocket connections Upgrade makes, with
// workerman's hooks. Every hook runs on the connection's event loop, like
// a worker's callbacks; nil ones are skipped.
type Options struct {
	// MaxMessageSize bounds a message, all fragments together; over it the
	// connection is closed with 1009. Default DefaultMaxMessageSize.
	MaxMessageSize int
	// Subprotocols the server speaks, by preference: the first one the
	// client offers is chosen and answered in Sec-WebSocket-Protocol.
	Subprotocols []string
	// PingInterval, when positive, starts a heartbeat: a ping every
	// interval, and a close (1001) once MaxMissedPongs pings in a row
	// (DefaultMaxMissedPongs) went unanswered. Any frame counts as an
	// answer, as a peer that sends is alive.
	PingInterval   time.Duration
	MaxMissedPongs int
	// Compression accepts permessage-deflate (RFC 7692) when the client
	// offers it, without context takeover: messages of at least
	// CompressionThreshold bytes (DefaultCompressionThreshold) are sent
	// compressed, and a compressed message is inflated only up to
	// MaxMessageSize (then 1009).
	Compression          bool
	CompressionThreshold int
	// CheckOrigin, when set, decides on the Origin header of a handshake
	// that has one: false (or several Origin fields) refuses it with 403
	// Forbidden before OnWebSocketConnect runs, and Upgrade returns
	// ErrOriginNotAllowed. Browsers send Origin on every WebSocket
	// handshake, and a page of any site may open one to this server with
	// the user's cookies; non-browser clients may send none, and a
	// handshake without Origin is allowed (refuse it in
	// OnWebSocketConnect if need be). nil, the default, allows every
	// origin. An http.CORS policy's AllowOrigin fits:
	// CheckOrigin: policy.AllowOrigin. It runs on the connection's event
	// loop; origin is a view of the request's memory (strings.Clone it to
	// keep it).
	CheckOrigin func(origin string) bool

	// OnWebSocketConnect sees the handshake request (Origin, cookies,
	// path, query) before it is accepted. A non-nil response refuses the
	// upgrade: it is sent instead of the 101.
	OnWebSocketConnect func(c *connection.TcpConnection, req *http.Request) *http.Response
	// OnWebSocketConnected runs once the 101 is sent and the connection
	// speaks WebSocket.
	OnWebSocketConnected func(c *connection.TcpConnection, req *http.Request)
	// OnMessage receives each complete message.
	OnMessage func(c *connection.TcpConnection, msg Message)
	// OnWebSocketPing sees a ping, already answered with its pong.
	OnWebSocketPing func(c *connection.TcpConnection, data []byte)
	// OnWebSocketPong sees a pong.
	OnWebSocketPong func(c *connection.TcpConnection, data []byte)
	// OnWebSocketClose sees the peer's close frame (code CloseNoStatus when
	// it had none), already answered; the connection closes next, and the
	// worker's OnClose runs as for any connection.
	OnWebSocketClose func(c *connection.TcpConnection, code int, reason string)
}

// ErrBadHandshake is returned by Upgrade for a request that is no valid
// WebSocket handshake; the request was answered (400 or 426).
var ErrBadHandshake = errors.New("websocket: bad handshake")

// ErrRefused is returned by Upgrade when OnWebSocketConnect refused the
// handshake; its response was sent.
var ErrRefused = errors.New("websocket: handshake refused")

// acceptGUID is RFC 6455's key suffix.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Upgrade answers req, a WebSocket handshake arriving on an http://
// worker, and turns c into a WebSocket connection: its next messages go
// to opts' hooks. Call it from the worker's OnMessage, so that one port
// serves pages, event streams and WebSockets:
//
//	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
//		if req.Path() == "/ws" {
//			_ = websocket.Upgrade(c, req, opts)
//			return
//		}
//		...
//	}
//
// The handshake is checked as RFC 6455 section 4.2 asks: GET over
// HTTP/1.1, "Upgrade: websocket", "Connection: upgrade", a
// Sec-WebSocket-Key of 16 bytes in base64 (else 400), and
// Sec-WebSocket-Version 13 (else 426). Then the Origin, when
// CheckOrigin is set (else 403). A bad or refused handshake is answered
// and Upgrade returns ErrBadHandshake, ErrOriginNotAllowed or ErrRefused.
func Upgrade(c *connection.TcpConnection, req *http.Request, opts *Options) error {
	if opts == nil {
		opts = &Options{}
	}
	key, resp := checkHandshake(req)
	if resp == nil && opts.CheckOrigin != nil && !originAllowed(req, opts.CheckOrigin) {
		_ = c.Send(originRefused)
		return ErrOriginNotAllowed
	}
	if resp == nil && opts.OnWebSocketConnect != nil {
		if resp = opts.OnWebSocketConnect(c, req); resp != nil {
			_ = c.Send(resp)
			return ErrRefused
		}
	}
	if resp != nil {
		_ = c.Send(resp)
		return ErrBadHandshake
	}
	h := map[string]string{
		"Upgrade":              "websocket",
		"Connection":           "Upgrade",
		"Sec-WebSocket-Accept": acceptKey(key),
	}
	if p := chooseSubprotocol(req, opts.Subprotocols); p != "" {
		h["Sec-WebSocket-Protocol"] = p
	}
	proto := protocol{maxMessage: opts.MaxMessageSize, threshold: opts.CompressionThreshold}
	if proto.maxMessage <= 0 {
		proto.maxMessage = DefaultMaxMessageSize
	}
	if proto.threshold <= 0 {
		proto.threshold = DefaultCompressionThreshold
	}
	if opts.Compression && acceptDeflate(req.HeaderValues("Sec-WebSocket-Extensions")) {
		proto.deflate = true
		h["Sec-WebSocket-Extensions"] = deflateResponse
	}
	if err := c.Send(http.NewResponse(101, h, "")); err != nil {
		return err
	}
	route := opts.route
	if opts.PingInterval > 0 {
		hb := startHeartbeat(c, opts.PingInterval, opts.MaxMissedPongs)
		route = func(c *connection.TcpConnection, msg any) {
			hb.pong()
			opts.route(c, msg)
		}
	}
	if err := c.SwitchProtocol(proto, route); err != nil {
		return err
	}
	if opts.OnWebSocketConnected != nil {
		opts.OnWebSocketConnected(c, req)
	}
	return nil
}

// route hands a decoded frame to its hook.
func (o *Options) route(c *connection.TcpConnection, msg any) {
	if m, ok := msg.(Message); ok {
		if o.OnMessage != nil {
			o.OnMessage(c, m)
		}
		return
	}
	routeControl(c, msg, o.OnWebSocketPing, o.OnWebSocketPong, o.OnWebSocketClose)
}

// routeControl hands a control frame to its hook (either side's).
func routeControl(c *connection.TcpConnection, msg any, onPing, onPong func(*connection.TcpConnection, []byte),
	onClose func(*connection.TcpConnection, int, string)) {
	switch m := msg.(type) {
	case Ping:
		if onPing != nil {
			onPing(c, m)
		}
	case Pong:
		if onPong != nil {
			onPong(c, m)
		}
	case Close:
		if onClose != nil {
			onClose(c, m.Code, m.Reason)
		}
	}
}

// checkHandshake returns the request's key, or the response refusing it.
func checkHandshake(req *http.Request) (string, *http.Response) {
	bad := func(why string) *http.Response {
		return http.NewResponse(400, map[string]string{"Content-Type": "text/plain", "Connection": "close"}, why)
	}
	switch {
	case req.Method() != "GET" || req.ProtocolVersion() != "1.1":
		return "", bad("a WebSocket handshake is a GET over HTTP/1.1")
	case !hasToken(req.Header("Upgrade"), "websocket"):
		return "", bad("Upgrade: websocket is missing")
	case !hasToken(req.Header("Connection"), "upgrade"):
		return "", bad("Connection: upgrade is missing")
	case req.Header("Sec-WebSocket-Version") != "13":
		return "", http.NewResponse(426, map[string]string{
			"Sec-WebSocket-Version": "13", "Content-Type": "text/plain", "Connection": "close",
		}, "this server speaks WebSocket version 13")
	}
	key := req.Header("Sec-WebSocket-Key")
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 16 {
		return "", bad("Sec-WebSocket-Key must be 16 bytes in base64")
	}
	return key, nil
}

// hasToken reports whether a comma-separated header value lists token,
// in any case.
func hasToken(v, token string) bool {
	for part := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(part), token) {
			return true
		}
	}
	return false
}

// acceptKey is Sec-WebSocket-Accept for key.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// chooseSubprotocol picks the first of ours the client offers.
func chooseSubprotocol(req *http.Request, ours []string) string {
	if len(ours) == 0 {
		return ""
	}
	offered := strings.Join(req.HeaderValues("Sec-WebSocket-Protocol"), ",")
	for _, p := range ours {
		if hasToken(offered, p) {
			return p
		}
	}
	return ""
}

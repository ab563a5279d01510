package websocket

import (
	"errors"

	"github.com/gnetworker/gnetworker/protocols/http"
)

// ErrOriginNotAllowed is returned by Upgrade when Options.CheckOrigin
// refused the handshake's Origin; the request was answered 403.
var ErrOriginNotAllowed = errors.New("websocket: origin not allowed")

// originRefused answers a handshake whose Origin is not allowed: shared,
// only ever sent.
var originRefused = http.NewResponse(403, map[string]string{
	"Content-Type": "text/plain; charset=utf-8", "Connection": "close",
}, "websocket: origin not allowed\n")

// originAllowed applies check to req's Origin header: a request without
// one is allowed (browsers always send it on a WebSocket handshake, other
// clients seldom do), one with several is not, and a single value, empty
// or not, is check's to decide.
func originAllowed(req *http.Request, check func(origin string) bool) bool {
	origins := req.HeaderValues("Origin")
	switch len(origins) {
	case 0:
		return true
	case 1:
		return check(origins[0])
	}
	return false
}

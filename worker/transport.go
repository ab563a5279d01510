package worker

import (
	"fmt"
	"strings"

	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/internal/tlstransport"
)

// tlsSchemes are the schemes that mean another one over TLS.
var tlsSchemes = map[string]string{"https": "http", "wss": "ws"}

// transportFactory makes each connection's transport: nil for plain TCP.
func (w *Worker) transportFactory() (func(glue.TransportHost) glue.Transport, error) {
	switch strings.ToLower(w.Transport) {
	case "", "tcp":
		if w.TLSConfig != nil {
			return nil, fmt.Errorf("TLSConfig is set but Transport is %q: set Transport = \"ssl\" (or use https://, wss://)", w.Transport)
		}
		return nil, nil
	case "ssl", "tls":
	default:
		return nil, fmt.Errorf("unknown Transport %q: want \"tcp\" or \"ssl\"", w.Transport)
	}
	var alpn []string
	switch w.Protocol.Name() {
	case "http", "websocket":
		alpn = []string{"http/1.1"}
	}
	cfg, err := tlstransport.ServerConfig(w.TLSConfig, alpn)
	if err != nil {
		return nil, err
	}
	tc := &tlstransport.Config{TLS: cfg, HandshakeTimeout: w.TLSHandshakeTimeout}
	return tc.NewTransport, nil
}

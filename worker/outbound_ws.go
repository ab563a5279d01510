package worker

import (
	"errors"
	"net/url"

	"github.com/gnetworker/gnetworker/internal/glue"
)

// clientWebSocket makes the protocol of a ws:// or wss:// outbound
// connection.
func clientWebSocket(spec glue.Outbound, u *url.URL) (glue.Outbound, error) {
	return spec, errors.New("worker: ws:// client not ready")
}

package main

import (
	"context"
	"encoding/json"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

// echo answers every request with what hertz parsed of it, for the
// strictness phase; it is the NoRoute handler, so every method and
// target reaches it.
func echo(_ context.Context, c *app.RequestContext) {
	h := &c.Request.Header
	e := common.Echo{
		Method:    string(h.Method()),
		Target:    string(h.RequestURI()),
		Version:   h.GetProtocol()[len("HTTP/"):],
		Headers:   [][2]string{},
		Trailers:  [][2]string{},
		Body:      string(c.Request.Body()),
		KeepAlive: !h.ConnectionClose(),
	}
	h.VisitAll(func(k, v []byte) {
		e.Headers = append(e.Headers, [2]string{string(k), string(v)})
	})
	h.Trailer().VisitAll(func(k, v []byte) {
		e.Trailers = append(e.Trailers, [2]string{string(k), string(v)})
	})
	b, _ := json.Marshal(e)
	c.Data(200, "application/json", b)
}

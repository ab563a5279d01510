package main

import (
	"encoding/json"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/valyala/fasthttp"
)

// echo answers every request with what fasthttp parsed of it, for the
// strictness phase. fasthttp keeps chunked trailers among the header
// fields, so they are reported there; the harness compares both together.
func echo(ctx *fasthttp.RequestCtx) {
	h := &ctx.Request.Header
	e := common.Echo{
		Method:    string(h.Method()),
		Target:    string(h.RequestURI()),
		Version:   string(h.Protocol()[len("HTTP/"):]),
		Headers:   [][2]string{},
		Trailers:  [][2]string{},
		Body:      string(ctx.Request.Body()),
		KeepAlive: !h.ConnectionClose(),
	}
	for k, v := range h.All() {
		e.Headers = append(e.Headers, [2]string{string(k), string(v)})
	}
	b, _ := json.Marshal(e)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

// Command fasthttp is the fasthttp comparison server, with the same routes
// as the net/http one: GET /, GET /json, POST /post, GET /sse (a streamed
// body, fasthttp's way to do SSE) and GET /publish. With -echo it answers
// every request with its echo (echo.go) instead. With -cert and -key it
// serves the same routes over crypto/tls (fasthttp's ListenAndServeTLS,
// tls.NewListener under its worker pool), for the tls-* scenarios.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"log"
	"strconv"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	echoMode := flag.Bool("echo", false, "answer every request with its echo (strictness phase)")
	tlsFiles := common.RegisterTLS()
	flag.Parse()
	common.RaiseNoFile()
	h := common.NewChanHub()
	handler := func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/":
			ctx.SetContentType("text/plain")
			ctx.SetBodyString(common.Hello)
		case "/json":
			b, _ := json.Marshal(common.Message{Message: common.Hello})
			ctx.SetContentType("application/json")
			ctx.SetBody(b)
		case "/post":
			ctx.SetContentType("text/plain")
			ctx.SetBodyString(strconv.Itoa(len(ctx.PostBody())))
		case "/publish":
			ctx.SetContentType("text/plain")
			ctx.SetBodyString(strconv.Itoa(h.Publish()))
		case "/sse":
			ctx.SetContentType("text/event-stream")
			ctx.Response.Header.Set("Cache-Control", "no-cache")
			ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
				ch := h.Subscribe()
				defer func() {
					h.Unsubscribe(ch)
				}()
				// A comment gets the header out now.
				if _, err := w.WriteString(": ok\n\n"); err != nil {
					return
				}
				if w.Flush() != nil {
					return
				}
				for ev := range ch {
					if _, err := w.Write(ev); err != nil {
						return
					}
					if w.Flush() != nil {
						return
					}
				}
			})
		default:
			ctx.SetStatusCode(404)
		}
	}
	if *echoMode {
		handler = echo
	}
	s := &fasthttp.Server{Handler: handler, Name: "fasthttp"}
	if tlsFiles.Enabled() {
		log.Fatal(s.ListenAndServeTLS(*addr, tlsFiles.Cert, tlsFiles.Key))
	}
	log.Fatal(s.ListenAndServe(*addr))
}

// Command fasthttp is the fasthttp comparison server, with the same routes
// as the net/http one: GET /, GET /json, POST /post, GET /sse (a streamed
// body, fasthttp's way to do SSE) and GET /publish.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"log"
	"strconv"
	"sync"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/valyala/fasthttp"
)

type hub struct {
	mu      sync.Mutex
	clients map[chan []byte]struct{}
	seq     int
}

func (h *hub) publish() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	ev := []byte("id: " + strconv.Itoa(h.seq) + "\ndata: " + common.EventData + "\n\n")
	for ch := range h.clients {
		select {
		case ch <- ev:
		default:
		}
	}
	return len(h.clients)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	common.RaiseNoFile()
	h := &hub{clients: map[chan []byte]struct{}{}}
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
			ctx.SetBodyString(strconv.Itoa(h.publish()))
		case "/sse":
			ctx.SetContentType("text/event-stream")
			ctx.Response.Header.Set("Cache-Control", "no-cache")
			ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
				ch := make(chan []byte, 16)
				h.mu.Lock()
				h.clients[ch] = struct{}{}
				h.mu.Unlock()
				defer func() {
					h.mu.Lock()
					delete(h.clients, ch)
					h.mu.Unlock()
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
	s := &fasthttp.Server{Handler: handler, Name: "fasthttp"}
	log.Fatal(s.ListenAndServe(*addr))
}

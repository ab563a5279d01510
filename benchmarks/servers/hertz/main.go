// Command hertz is the cloudwego/hertz comparison server, on its netpoll
// transport (hertz's default on Linux) with -count netpoll loops and no
// middleware (server.New, not server.Default's recovery). It has the
// net/http server's routes and response bytes: GET /, GET /json,
// POST /post, and with -sse GET /sse and GET /publish (sse.go). With
// -echo it answers every request with its echo (echo.go) instead.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"strconv"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/cloudwego/hertz/pkg/network/netpoll"
	cnetpoll "github.com/cloudwego/netpoll"
	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

var hello = []byte(common.Hello)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	count := flag.Int("count", 1, "netpoll loops (event loops)")
	echoMode := flag.Bool("echo", false, "answer every request with its echo (strictness phase)")
	sseMode := flag.Bool("sse", false, "let a handler see its client leave (for SSE)")
	flag.Parse()
	common.RaiseNoFile()
	if err := cnetpoll.SetNumLoops(*count); err != nil {
		log.Fatal(err)
	}
	hlog.SetLevel(hlog.LevelWarn)
	h := server.New(
		server.WithHostPorts(*addr),
		server.WithTransport(netpoll.NewTransporter),
		server.WithDisablePrintRoute(true),
		// Only netpoll can tell a blocked SSE handler that its client
		// left; the HTTP scenarios run without it.
		server.WithSenseClientDisconnection(*sseMode),
	)
	if *echoMode {
		h.NoRoute(echo)
	} else {
		routes(h)
	}
	log.Fatal(h.Run())
}

func routes(h *server.Hertz) {
	h.GET("/", func(_ context.Context, c *app.RequestContext) {
		c.Data(200, "text/plain", hello)
	})
	h.GET("/json", func(_ context.Context, c *app.RequestContext) {
		b, _ := json.Marshal(common.Message{Message: common.Hello})
		c.Data(200, "application/json", b)
	})
	h.POST("/post", func(_ context.Context, c *app.RequestContext) {
		c.Data(200, "text/plain", strconv.AppendInt(nil, int64(len(c.Request.Body())), 10))
	})
	hub := newHub()
	h.GET("/publish", func(_ context.Context, c *app.RequestContext) {
		c.Data(200, "text/plain", strconv.AppendInt(nil, int64(hub.publish()), 10))
	})
	h.GET("/sse", hub.serve)
}

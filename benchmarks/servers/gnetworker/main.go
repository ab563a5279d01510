// Command gnetworker is this framework's server for the scenarios that
// examples/hello does not cover: GET / (plaintext), GET /json (encoded per
// request) and POST /post (answers the body's length). The plaintext
// scenarios use examples/hello itself; SSE uses ../gnetworkersse. With
// -cert and -key it serves the same routes over TLS on its event loops
// (Transport "ssl", the certificate loaded once into Worker.TLSConfig),
// for the tls-* scenarios.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"strconv"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

var (
	hello    = http.NewResponse(200, map[string]string{"Content-Type": "text/plain"}, common.Hello)
	notFound = http.NewResponse(404, map[string]string{"Content-Type": "text/plain"}, "Not Found")
	jsonCT   = map[string]string{"Content-Type": "application/json"}
	textCT   = map[string]string{"Content-Type": "text/plain"}
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	count := flag.Int("count", 1, "event loops")
	tlsFiles := common.RegisterTLS()
	flag.Parse()
	common.RaiseNoFile()
	w, err := worker.New("http://" + *addr)
	if err != nil {
		log.Fatal(err)
	}
	if tlsFiles.Enabled() {
		w.Transport, w.TLSConfig = "ssl", tlsFiles.Config() // as https:// would
	}
	w.Count = *count
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		switch req.Path() {
		case "/":
			_ = c.Send(hello)
		case "/json":
			b, _ := json.Marshal(common.Message{Message: common.Hello})
			_ = c.Send(http.NewResponse(200, jsonCT, string(b)))
		case "/post":
			_ = c.Send(http.NewResponse(200, textCT, strconv.Itoa(len(req.RawBody()))))
		default:
			_ = c.Send(notFound)
		}
	}
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

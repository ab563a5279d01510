package ssehub_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/ssehub"
	"github.com/gnetworker/gnetworker/worker"
)

// Pages of another origin may subscribe when the hub has a CORS policy:
// each event stream carries the answer to its Origin, and the worker
// answers preflights (sent for a Last-Event-ID that is not
// CORS-safelisted) with the same policy. Another origin's request still
// gets its stream, without Access-Control-Allow-Origin: its browser
// refuses it.
func ExampleOptions_cors() {
	cors := &http.CORS{AllowOrigins: []string{"http://127.0.0.1:3000"}}
	hub := ssehub.New(ssehub.Options{CORS: cors})
	defer hub.Close()
	w, _ := worker.New("http://127.0.0.1:0")
	w.Count = 1
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		if resp, ok := cors.Preflight(req); ok {
			_ = c.Send(resp)
			return
		}
		if err := hub.Subscribe(c, req, "news"); err != nil {
			_ = c.Send(cors.Apply(req, http.NewResponse(503, nil, err.Error())))
		}
	}
	if err := w.Start(); err != nil {
		panic(err)
	}
	defer w.Stop()

	subscribe := func(origin string) {
		conn, _ := net.Dial("tcp", w.Addr().String())
		defer conn.Close()
		fmt.Fprint(conn, "GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nOrigin: "+origin+"\r\n\r\n")
		r := bufio.NewReader(conn)
		fmt.Println("from", origin)
		for line, _ := r.ReadString('\n'); line != "\r\n"; line, _ = r.ReadString('\n') {
			if strings.HasPrefix(line, "HTTP/") || strings.HasPrefix(line, "Access-Control-") || strings.HasPrefix(line, "Vary") {
				fmt.Print("  ", line[:len(line)-2], "\n")
			}
		}
	}
	subscribe("http://127.0.0.1:3000")
	subscribe("http://evil.example")
	// Output:
	// from http://127.0.0.1:3000
	//   HTTP/1.1 200 OK
	//   Vary: Origin
	//   Access-Control-Allow-Origin: http://127.0.0.1:3000
	// from http://evil.example
	//   HTTP/1.1 200 OK
	//   Vary: Origin
}

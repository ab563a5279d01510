package http_test

import (
	"fmt"
	"io"
	nethttp "net/http"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// An HTTP server: OnMessage receives each request and answers it with
// Send, a Response or just a string for a 200.
func Example() {
	w, _ := worker.New("http://127.0.0.1:0")
	w.Count = 1
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		if req.Path() == "/hello" {
			_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/plain"}, "Hello, "+req.Get("name")))
			return
		}
		_ = c.Send(http.NewResponse(404, nil, "not found"))
	}
	if err := w.Start(); err != nil {
		panic(err)
	}
	defer w.Stop()

	resp, err := nethttp.Get("http://" + w.Addr().String() + "/hello?name=gopher")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 Hello, gopher
}

// The parser on its own: Input measures a request as its bytes arrive,
// Decode fills a Request.
func ExampleParser() {
	p := http.NewParser(http.Limits{})
	raw := []byte("POST /form?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\nname=ann!")
	n, _ := p.Input(raw[:30]) // part of the head: not complete
	fmt.Println("after 30 bytes:", n)
	n, _ = p.Input(raw)
	fmt.Println("complete:", n == len(raw))
	var req http.Request
	if err := p.Decode(raw[:n], &req); err != nil {
		panic(err)
	}
	fmt.Println(req.Method(), req.Path(), req.Get("x"), req.Host(true), req.Post("name"))
	// Output:
	// after 30 bytes: 0
	// complete: true
	// POST /form 1 example.com ann!
}

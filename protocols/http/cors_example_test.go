package http_test

import (
	"fmt"
	nethttp "net/http"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// A CORS policy in a handler: Preflight answers the browser's OPTIONS
// question, Apply adds the headers to the actual answer. Here a page on
// http://127.0.0.1:3000 may POST JSON (which browsers preflight) and read
// the reply; another origin gets no Access-Control-* header.
func ExampleCORS() {
	cors := &http.CORS{
		AllowOrigins:  []string{"http://127.0.0.1:3000"},
		ExposeHeaders: []string{"X-Message-Id"},
	}
	if err := cors.Validate(); err != nil {
		panic(err)
	}
	w, _ := worker.New("http://127.0.0.1:0")
	w.Count = 1
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		if resp, ok := cors.Preflight(req); ok {
			_ = c.Send(resp)
			return
		}
		resp := http.NewResponse(202, map[string]string{"X-Message-Id": "1"}, "stored")
		_ = c.Send(cors.Apply(req, resp))
	}
	if err := w.Start(); err != nil {
		panic(err)
	}
	defer w.Stop()
	url := "http://" + w.Addr().String() + "/messages"

	ask := func(method, origin string, headers ...string) {
		req, _ := nethttp.NewRequest(method, url, nil)
		req.Header.Set("Origin", origin)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := nethttp.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Printf("%s from %s: %d\n", method, origin, resp.StatusCode)
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
			"Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Vary"} {
			if v := resp.Header.Get(h); v != "" {
				fmt.Printf("  %s: %s\n", h, v)
			}
		}
	}
	ask("OPTIONS", "http://127.0.0.1:3000", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	ask("POST", "http://127.0.0.1:3000")
	ask("OPTIONS", "http://evil.example", "Access-Control-Request-Method", "POST")
	ask("POST", "http://evil.example")
	// Output:
	// OPTIONS from http://127.0.0.1:3000: 204
	//   Access-Control-Allow-Origin: http://127.0.0.1:3000
	//   Access-Control-Allow-Methods: GET, HEAD, POST
	//   Access-Control-Allow-Headers: Content-Type, Last-Event-ID
	//   Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers
	// POST from http://127.0.0.1:3000: 202
	//   Access-Control-Allow-Origin: http://127.0.0.1:3000
	//   Access-Control-Expose-Headers: X-Message-Id
	//   Vary: Origin
	// OPTIONS from http://evil.example: 403
	// POST from http://evil.example: 202
	//   Vary: Origin
}

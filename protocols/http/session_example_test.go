package http_test

import (
	"fmt"
	"io"
	nethttp "net/http"
	"net/http/cookiejar"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// Sessions, as workerman's $request->session(): a SessionManager set as
// the worker's Protocol.Sessions gives every request its Session. A new
// session's cookie (PHPSID) goes out with the response by itself, and
// what the request changed is saved after it.
func ExampleSessionManager() {
	sessions, err := http.NewSessionManager(http.SessionConfig{}) // in memory; see sessionfile, sessionredis
	if err != nil {
		panic(err)
	}
	defer sessions.Close() // after the worker stops

	w, _ := worker.New("http://127.0.0.1:0")
	w.Count = 1
	w.Protocol.(*http.Protocol).Sessions = sessions
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		s, err := req.Session()
		if err != nil {
			_ = c.Send(http.NewResponse(503, nil, "no session store"))
			return
		}
		visits, _ := s.Get("visits", 0).(int)
		visits++
		_ = s.Set("visits", visits)
		_ = c.Send(fmt.Sprintf("visit %d", visits))
	}
	if err := w.Start(); err != nil {
		panic(err)
	}
	defer w.Stop()

	jar, _ := cookiejar.New(nil)
	client := &nethttp.Client{Jar: jar}
	defer client.CloseIdleConnections()
	for range 3 {
		resp, err := client.Get("http://" + w.Addr().String() + "/")
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body))
	}
	// Output:
	// visit 1
	// visit 2
	// visit 3
}

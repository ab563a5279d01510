package sessionfile_test

import (
	"fmt"
	"io"
	nethttp "net/http"
	"net/http/cookiejar"
	"os"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/sessionfile"
	"github.com/gnetworker/gnetworker/worker"
)

// Sessions in files: every worker process whose manager uses the same
// directory shares them. Loads go through LoadSession, so that no file
// is read on the event loop.
func Example() {
	dir, _ := os.MkdirTemp("", "sessions") // a real server: /var/lib/app/sessions
	defer os.RemoveAll(dir)
	files, err := sessionfile.New(dir)
	if err != nil {
		panic(err)
	}
	sessions, err := http.NewSessionManager(http.SessionConfig{Handler: files})
	if err != nil {
		panic(err)
	}
	defer sessions.Close() // after the worker stops: writes what is queued

	w, _ := worker.New("http://127.0.0.1:0")
	w.Count = 1
	w.Protocol.(*http.Protocol).Sessions = sessions
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		req.LoadSession(func(s *http.Session, err error) {
			if err != nil {
				_ = c.Send(http.NewResponse(503, nil, "session store unavailable"))
				return
			}
			if name := req.Get("name"); name != "" {
				_ = s.Set("name", name)
			}
			_ = c.Send(fmt.Sprintf("hello, %v", s.Get("name", "stranger")))
		})
	}
	if err := w.Start(); err != nil {
		panic(err)
	}
	defer w.Stop()

	jar, _ := cookiejar.New(nil)
	client := &nethttp.Client{Jar: jar}
	defer client.CloseIdleConnections()
	for _, q := range []string{"", "?name=ann", ""} {
		resp, err := client.Get("http://" + w.Addr().String() + "/" + q)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body))
	}
	// Output:
	// hello, stranger
	// hello, ann
	// hello, ann
}

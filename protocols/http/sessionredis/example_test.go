package sessionredis_test

import (
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/sessionredis"
	"github.com/gnetworker/gnetworker/worker"
)

// Sessions in Redis, on the client the rest of the application uses.
// (Compiled, not run: it needs a Redis server; the tests run one.)
func Example() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close() // last: the manager writes through it until it closes

	sessions, err := http.NewSessionManager(http.SessionConfig{
		Handler: sessionredis.New(rdb, sessionredis.Options{Prefix: "shop:session:"}),
		Touch:   true, // every request renews the session's TTL
	})
	if err != nil {
		panic(err)
	}
	defer sessions.Close()

	w, _ := worker.New("http://0.0.0.0:8080")
	w.Protocol.(*http.Protocol).Sessions = sessions
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		// LoadSession: the round trip to Redis happens off the event loop.
		req.LoadSession(func(s *http.Session, err error) {
			if err != nil {
				_ = c.Send(http.NewResponse(503, nil, "session store unavailable"))
				return
			}
			if req.Path() == "/login" {
				_, _ = s.RegenerateID() // against session fixation
				_ = s.Set("user", req.Post("user"))
			}
			_ = c.Send(fmt.Sprintf("user: %v", s.Get("user")))
		})
	}
	if err := worker.RunAll(); err != nil {
		panic(err)
	}
}

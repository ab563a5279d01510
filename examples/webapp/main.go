// Command webapp is a small web application of the kind ported from
// workerman or webman: a session counter, PHP-style parameters, uploads
// streamed to temporary files and static files.
//
//	go run ./examples/webapp                       # http://127.0.0.1:8080/counter
//	go run ./examples/webapp -addr 127.0.0.1:9000 -root ./public
//	go run ./examples/webapp -session-dir /var/lib/webapp/sessions   # sessions in files
//	go run ./examples/webapp -redis redis://127.0.0.1:6379           # sessions in Redis
//
//	GET  /counter    increments the session's counter and answers it: plain
//	                 text, or {"counter": n} when the request accepts JSON
//	GET  /params     the parsed query, in PHP's shape:
//	                 ?a[]=1&a[]=2&b[x]=y gives {"a":["1","2"],"b":{"x":"y"}}
//	POST /upload     multipart, field "file" (several allowed): for each file
//	                 {"name": …, "size": …, "sha256": …}
//	GET  /static/…   the files of -root
//
// Sessions live in memory by default, or in files or Redis, where several
// processes (workers on one machine, nodes behind a load balancer) share
// them.
//
// Uploads of any size up to -max-body are spooled to disk as they arrive and
// hashed off the event loop: the server's memory holds a buffer, not the
// file.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"log"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/sessionfile"
	"github.com/gnetworker/gnetworker/protocols/http/sessionredis"
	"github.com/gnetworker/gnetworker/worker"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address, host:port")
	root := flag.String("root", ".", "directory served under /static/")
	maxBody := flag.Int("max-body", 1<<30, "largest request body, in bytes")
	tmp := flag.String("tmp", "", "directory for spooled bodies and uploads (default: the system's)")
	sessionDir := flag.String("session-dir", "", "keep sessions in files in this directory (shared by processes on this machine)")
	redisURL := flag.String("redis", "", "keep sessions in Redis, redis://HOST:PORT (shared by every node)")
	flag.Parse()
	handler, closeHandler, err := sessionHandler(*sessionDir, *redisURL)
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := http.NewSessionManager(http.SessionConfig{Handler: handler})
	if err != nil {
		log.Fatal(err)
	}
	w, err := newWorker(*addr, *root)
	if err != nil {
		log.Fatal(err)
	}
	w.MaxPackageSize = *maxBody
	p := w.Protocol.(*http.Protocol)
	p.TempDir = *tmp
	p.Sessions = sessions
	w.OnWorkerStart = func(w *worker.Worker) { log.Printf("webapp on http://%s/", w.Addr()) }
	err = worker.RunAll()
	_ = sessions.Close()
	closeHandler()
	if err != nil {
		log.Fatal(err)
	}
}

// sessionHandler is the session store the flags ask for: nil (memory),
// files or Redis.
func sessionHandler(dir, redisURL string) (http.SessionHandler, func(), error) {
	switch {
	case dir != "" && redisURL != "":
		return nil, nil, errorString("-session-dir and -redis exclude each other")
	case dir != "":
		h, err := sessionfile.New(dir)
		if err != nil {
			return nil, nil, err
		}
		return h, func() {}, nil
	case redisURL != "":
		o, err := redis.ParseURL(redisURL)
		if err != nil {
			return nil, nil, err
		}
		rdb := redis.NewClient(o)
		return sessionredis.New(rdb, sessionredis.Options{}), func() { _ = rdb.Close() }, nil
	}
	return nil, func() {}, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

var jsonHeader = map[string]string{"Content-Type": "application/json"}

func newWorker(addr, root string) (*worker.Worker, error) {
	w, err := worker.New("http://" + addr)
	if err != nil {
		return nil, err
	}
	w.Name = "webapp"
	static, err := http.NewStatic(root, http.StaticOptions{Prefix: "/static/"})
	if err != nil {
		return nil, err
	}
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		switch {
		case static.Serve(c, req):
		case req.Path() == "/counter":
			counter(c, req)
		case req.Path() == "/params":
			params(c, req)
		case req.Path() == "/upload" && req.Method() == "POST":
			// Parsing a spooled body and hashing its files read the whole
			// upload: off the event loop. The request stays valid until it
			// is answered, from any goroutine.
			go upload(c, req)
		default:
			_ = c.Send(http.NewResponse(404, map[string]string{"Content-Type": "text/plain"}, "not found\n"))
		}
	}
	return w, nil
}

// counter increments the session's counter. LoadSession reads a session
// kept in files or Redis off the event loop, then calls back on it; Save
// stores the change before the answer goes.
func counter(c *connection.TcpConnection, req *http.Request) {
	req.LoadSession(func(s *http.Session, err error) {
		if err != nil {
			_ = c.Send(http.NewResponse(503, map[string]string{"Content-Type": "text/plain"}, err.Error()+"\n"))
			return
		}
		n := toInt(s.Get("counter", 0)) + 1
		if err := s.Set("counter", n); err != nil {
			_ = c.Send(http.NewResponse(500, map[string]string{"Content-Type": "text/plain"}, err.Error()+"\n"))
			return
		}
		asJSON := strings.Contains(req.Header("Accept"), "application/json")
		// Answer once the count is stored: the browser's next request may
		// reach another process, which must see it.
		s.Save(func(err error) {
			switch {
			case err != nil:
				_ = c.Send(http.NewResponse(503, map[string]string{"Content-Type": "text/plain"}, err.Error()+"\n"))
			case asJSON:
				_ = c.Send(http.NewResponse(200, jsonHeader, `{"counter":`+strconv.Itoa(n)+"}\n"))
			default:
				_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/plain"}, strconv.Itoa(n)+"\n"))
			}
		})
	})
}

// toInt reads a stored number, whatever numeric type the store gives back.
func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

// params answers the query, parsed the PHP way, as JSON.
func params(c *connection.TcpConnection, req *http.Request) {
	q, err := req.QueryParams()
	if err != nil {
		_ = c.Send(http.NewResponse(400, map[string]string{"Content-Type": "text/plain"}, err.Error()+"\n"))
		return
	}
	b, err := json.Marshal(q)
	if err != nil {
		_ = c.Send(http.NewResponse(500, map[string]string{"Content-Type": "text/plain"}, err.Error()+"\n"))
		return
	}
	_ = c.Send(http.NewResponse(200, jsonHeader, string(b)+"\n"))
}

// uploaded describes one received file.
type uploaded struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func upload(c *connection.TcpConnection, req *http.Request) {
	if err := req.ParseForm(); err != nil {
		_ = c.Send(http.NewResponse(400, map[string]string{"Content-Type": "text/plain"}, err.Error()+"\n"))
		return
	}
	var out []uploaded
	for _, f := range req.Files() {
		if f.Field != "file" {
			continue
		}
		sum, err := hashFile(f)
		if err != nil {
			_ = c.Send(http.NewResponse(500, map[string]string{"Content-Type": "text/plain"}, err.Error()+"\n"))
			return
		}
		out = append(out, uploaded{Name: f.Name, Size: f.Size, SHA256: sum})
	}
	var body []byte
	switch len(out) {
	case 0:
		_ = c.Send(http.NewResponse(400, map[string]string{"Content-Type": "text/plain"}, "no file in field \"file\"\n"))
		return
	case 1:
		body, _ = json.Marshal(out[0])
	default:
		body, _ = json.Marshal(out)
	}
	_ = c.Send(http.NewResponse(200, jsonHeader, string(body)+"\n"))
}

func hashFile(f *http.UploadedFile) (string, error) {
	r, err := f.Open()
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

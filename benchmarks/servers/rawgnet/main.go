// Command rawgnet is the unsafe upper bound, not a real server: on gnet
// directly, it looks only for "\r\n\r\n" (plus Content-Length on POST),
// picks a pre-baked response by the request line's prefix and writes it.
// For SSE it keeps its subscribers in a set and, on GET /publish, does one
// AsyncWrite per client: no hub, no replay, no backpressure.
package main

import (
	"bytes"
	"flag"
	"log"
	"strconv"
	"sync"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/panjf2000/gnet/v2"
)

func response(ctype, body string) []byte {
	return []byte("HTTP/1.1 200 OK\r\nServer: raw\r\nContent-Type: " + ctype +
		"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

var (
	respHello = response("text/plain", common.Hello)
	respJSON  = response("application/json", `{"message":"`+common.Hello+`"}`)
	respPost  = response("text/plain", "4096")
	respSSE   = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n")
	resp404   = []byte("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
	crlf2     = []byte("\r\n\r\n")
	clKey     = []byte("\r\ncontent-length:")
)

type server struct {
	gnet.BuiltinEventEngine
	mu   sync.Mutex
	subs map[gnet.Conn]struct{}
	seq  int
}

// contentLength finds Content-Length in head, matching the name's case as
// written by common clients ("Content-Length" or "content-length").
func contentLength(head []byte) int {
	i := bytes.Index(bytes.ToLower(head), clKey)
	if i < 0 {
		return 0
	}
	v := head[i+len(clKey):]
	v = v[:bytes.IndexByte(v, '\r')]
	n, _ := strconv.Atoi(string(bytes.TrimSpace(v)))
	return n
}

func (s *server) publish() int {
	s.seq++
	ev := []byte("id: " + strconv.Itoa(s.seq) + "\ndata: " + common.EventData + "\n\n")
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.subs {
		_ = c.AsyncWrite(ev, nil)
	}
	return len(s.subs)
}

func (s *server) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Peek(-1)
	var out []byte
	used := 0
	for {
		rest := buf[used:]
		i := bytes.Index(rest, crlf2)
		if i < 0 {
			break
		}
		n := i + 4
		if bytes.HasPrefix(rest, []byte("POST")) {
			n += contentLength(rest[:n])
			if n > len(rest) {
				break
			}
		}
		switch {
		case bytes.HasPrefix(rest, []byte("GET / ")):
			out = append(out, respHello...)
		case bytes.HasPrefix(rest, []byte("GET /json ")):
			out = append(out, respJSON...)
		case bytes.HasPrefix(rest, []byte("POST /post ")):
			out = append(out, respPost...)
		case bytes.HasPrefix(rest, []byte("GET /sse ")):
			out = append(out, respSSE...)
			s.mu.Lock()
			s.subs[c] = struct{}{}
			s.mu.Unlock()
		case bytes.HasPrefix(rest, []byte("GET /publish ")):
			out = append(out, response("text/plain", strconv.Itoa(s.publish()))...)
		default:
			out = append(out, resp404...)
		}
		used += n
	}
	_, _ = c.Discard(used)
	if len(out) > 0 {
		_, _ = c.Write(out)
	}
	return gnet.None
}

func (s *server) OnClose(c gnet.Conn, _ error) gnet.Action {
	s.mu.Lock()
	delete(s.subs, c)
	s.mu.Unlock()
	return gnet.None
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	count := flag.Int("count", 1, "event loops")
	flag.Parse()
	common.RaiseNoFile()
	s := &server{subs: map[gnet.Conn]struct{}{}}
	log.Fatal(gnet.Run(s, "tcp://"+*addr, gnet.WithNumEventLoop(*count), gnet.WithTCPNoDelay(gnet.TCPNoDelay)))
}

// Command webapp is a small web application of the kind ported from
// workerman or webman: uploads streamed to temporary files, PHP-style
// parameters, a session counter and static files.
//
//	go run ./examples/webapp                       # http://127.0.0.1:8080/
//	go run ./examples/webapp -addr 127.0.0.1:9000 -root ./public
//
//	POST /upload     multipart, field "file" (several allowed): for each file
//	                 {"name": …, "size": …, "sha256": …}
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

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address, host:port")
	root := flag.String("root", ".", "directory served under /static/")
	maxBody := flag.Int("max-body", 1<<30, "largest request body, in bytes")
	tmp := flag.String("tmp", "", "directory for spooled bodies and uploads (default: the system's)")
	flag.Parse()
	w, err := newWorker(*addr, *root)
	if err != nil {
		log.Fatal(err)
	}
	w.MaxPackageSize = *maxBody
	w.Protocol.(*http.Protocol).TempDir = *tmp
	w.OnWorkerStart = func(w *worker.Worker) { log.Printf("webapp on http://%s/", w.Addr()) }
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

var jsonHeader = map[string]string{"Content-Type": "application/json"}

func newWorker(addr, root string) (*worker.Worker, error) {
	w, err := worker.New("http://" + addr)
	if err != nil {
		return nil, err
	}
	w.Name = "webapp"
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		switch {
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

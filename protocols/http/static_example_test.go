package http_test

import (
	"fmt"
	"io"
	nethttp "net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// Static files under /assets/, the application's routes beside them.
func ExampleStatic() {
	dir, _ := os.MkdirTemp("", "assets")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello, file"), 0o644)

	static, err := http.NewStatic(dir, http.StaticOptions{Prefix: "/assets/", CacheControl: "public, max-age=3600"})
	if err != nil {
		panic(err)
	}
	defer static.Close()

	w, _ := worker.New("http://127.0.0.1:0")
	w.Count = 1
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		if static.Serve(c, req) {
			return // a file, a 304, a 404...: answered
		}
		_ = c.Send("the application's page")
	}
	if err := w.Start(); err != nil {
		panic(err)
	}
	defer w.Stop()

	for _, path := range []string{"/assets/hello.txt", "/assets/../secret", "/assets/nope", "/"} {
		resp, err := nethttp.Get("http://" + w.Addr().String() + path)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			body = nil
		}
		fmt.Println(strings.TrimSpace(fmt.Sprintln(path, resp.StatusCode, resp.Header.Get("Content-Type"), string(body))))
	}
	// Output:
	// /assets/hello.txt 200 text/plain; charset=utf-8 hello, file
	// /assets/../secret 400 text/html;charset=utf-8
	// /assets/nope 404 text/html;charset=utf-8
	// / 200 text/html;charset=utf-8 the application's page
}

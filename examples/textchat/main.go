// Command textchat is workerman's classic chat on the text protocol: each
// client is greeted with a welcome line, and every line it sends goes to
// all other clients, prefixed with its connection id.
//
//	go run ./examples/textchat -addr 127.0.0.1:9000
//	nc 127.0.0.1 9000   # in two terminals
package main

import (
	"flag"
	"fmt"
	"log"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/worker"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address, host:port")
	flag.Parse()
	w, err := newWorker(*addr)
	if err != nil {
		log.Fatal(err)
	}
	w.OnWorkerStart = func(w *worker.Worker) { log.Printf("textchat listening on %s", w.Addr()) }
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

func newWorker(addr string) (*worker.Worker, error) {
	w, err := worker.New("text://" + addr)
	if err != nil {
		return nil, err
	}
	w.Name = "textchat"
	w.OnConnect = func(c *connection.TcpConnection) {
		_ = c.Send(fmt.Sprintf("welcome, you are client %d", c.ID()))
	}
	w.OnMessage = func(c *connection.TcpConnection, line string) {
		msg := fmt.Sprintf("%d: %s", c.ID(), line)
		for id, other := range w.Connections() {
			if id != c.ID() {
				_ = other.Send(msg)
			}
		}
	}
	return w, nil
}

// Command wsecho is a ws:// worker that echoes every message with its
// opcode: text as text, binary as binary. It accepts permessage-deflate
// when the client offers it.
//
//	go run ./examples/wsecho -addr 127.0.0.1:8000
//	go run ./examples/wsecho -cert site.crt -key site.key   # wss://
//	# then, for example: python3 -m websockets ws://127.0.0.1:8000/
package main

import (
	"flag"
	"log"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/examples/internal/serverflags"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "listen address, host:port")
	tlsFiles := serverflags.RegisterTLS()
	flag.Parse()
	w, err := newWorker(*addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := tlsFiles.Apply(w); err != nil {
		log.Fatal(err)
	}
	w.OnWorkerStart = func(w *worker.Worker) {
		log.Printf("WebSocket echo on %s://%s/", tlsFiles.Scheme("ws"), w.Addr())
	}
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

func newWorker(addr string) (*worker.Worker, error) {
	w, err := worker.New("ws://" + addr)
	if err != nil {
		return nil, err
	}
	w.Name = "wsecho"
	w.Protocol.(*websocket.Server).Compression = true // permessage-deflate when offered
	w.OnMessage = func(c *connection.TcpConnection, m websocket.Message) {
		_ = c.Send(m) // the same opcode back
	}
	return w, nil
}

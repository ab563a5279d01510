// Command tcpproxy relays TCP connections to an upstream server: each
// client connection gets an AsyncTcpConnection to the upstream on the
// same event loop, and the two are piped both ways, as workerman's
// tcp proxy example does with pipe(). A slow reader on either side
// pauses the other side's reading, so the relay's memory stays bounded
// by the send buffer limit however much flows through it. When the
// upstream cannot be reached or closes, the client's connection closes,
// and the other way round.
//
//	go run ./examples/tcpproxy -addr 127.0.0.1:8081 -upstream 127.0.0.1:8080
//	go run ./examples/tcpproxy -upstream example.com:80 start -d
package main

import (
	"flag"
	"log"
	"log/slog"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/worker"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address, host:port")
	upstream := flag.String("upstream", "", "the server to relay to, host:port")
	count := flag.Int("count", 0, "event loops (0: one per CPU)")
	sendBuffer := flag.Int("send-buffer", 0, "each connection's send buffer limit in bytes (0: 1 MiB)")
	flag.Parse()
	if cmd := flag.Arg(0); *upstream == "" && (cmd == "" || cmd == "start" || cmd == "restart") {
		log.Fatal("tcpproxy: -upstream host:port is required")
	}
	w, err := newProxy(*addr, *upstream)
	if err != nil {
		log.Fatal(err)
	}
	w.Count = *count
	w.MaxSendBufferSize = *sendBuffer
	w.OnWorkerStart = func(w *worker.Worker) {
		log.Printf("tcpproxy listening on %s, relaying to %s", w.Addr(), *upstream)
	}
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

// newProxy makes the relay's worker.
func newProxy(addr, upstream string) (*worker.Worker, error) {
	w, err := worker.New("tcp://" + addr)
	if err != nil {
		return nil, err
	}
	w.Name = "tcpproxy"
	w.OnConnect = func(client *connection.TcpConnection) {
		up, err := w.NewAsyncTcpConnection("tcp://" + upstream)
		if err != nil {
			client.Destroy()
			return
		}
		_ = up.SetWorkerID(client.WorkerID()) // one loop for both ends
		up.OnError = func(c *connection.TcpConnection, code int, err error) {
			slog.Warn("tcpproxy: upstream", "client", client.RemoteAddress(), "code", code, "error", err)
		}
		client.Pipe(up.Conn())
		up.Conn().Pipe(client)
		if err := up.Connect(); err != nil {
			client.Destroy()
		}
	}
	return w, nil
}

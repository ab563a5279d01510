package ssehub_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/ssehub"
	"github.com/gnetworker/gnetworker/worker"
)

// A broadcast hub: /events subscribes the request's connection to topic
// "news", and Publish sends an event to every subscriber.
func Example() {
	hub := ssehub.New(ssehub.Options{})
	defer hub.Close()
	w, _ := worker.New("http://127.0.0.1:0")
	w.Count = 1
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		if err := hub.Subscribe(c, req, "news"); err != nil {
			_ = c.Send(http.NewResponse(503, nil, err.Error()))
		}
	}
	if err := w.Start(); err != nil {
		panic(err)
	}
	defer w.Stop()

	conn, _ := net.Dial("tcp", w.Addr().String())
	defer conn.Close()
	fmt.Fprint(conn, "GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
	r := bufio.NewReader(conn)
	for line, _ := r.ReadString('\n'); line != "\r\n"; line, _ = r.ReadString('\n') {
		// the response head
	}
	for hub.Subscribers("news") == 0 {
		time.Sleep(time.Millisecond)
	}
	_, _ = hub.Publish("news", http.ServerSentEvents{Event: "update", Data: "hello"})
	for {
		line, _ := r.ReadString('\n')
		if strings.HasPrefix(line, "event:") || strings.HasPrefix(line, "data:") {
			fmt.Print(line)
		}
		if strings.HasPrefix(line, "data:") {
			break
		}
	}
	// Output:
	// event: update
	// data: hello
}

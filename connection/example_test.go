package connection_test

import (
	"bufio"
	"fmt"
	"net"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/worker"
)

// A connection's state and a reply sent from another goroutine: every
// TcpConnection method is safe from any goroutine, and sends from one
// goroutine arrive in order.
func ExampleTcpConnection() {
	w, _ := worker.New("text://127.0.0.1:0")
	w.Count = 1
	w.OnConnect = func(c *connection.TcpConnection) {
		c.SetContext("guest")
	}
	w.OnMessage = func(c *connection.TcpConnection, line string) {
		name := c.Context().(string)
		go func() { // slow work off the event loop, then Send
			_ = c.Send(fmt.Sprintf("%s said %q (%s)", name, line, c.Status()))
		}()
	}
	if err := w.Start(); err != nil {
		panic(err)
	}
	defer w.Stop()

	conn, _ := net.Dial("tcp", w.Addr().String())
	defer conn.Close()
	fmt.Fprint(conn, "hi\n")
	answer, _ := bufio.NewReader(conn).ReadString('\n')
	fmt.Print(answer)
	// Output: guest said "hi" (ESTABLISHED)
}

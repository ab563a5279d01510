package worker_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/worker"
)

// A line-based echo server on the text protocol: OnMessage receives each
// line as a string, and Send encodes the answer as a line.
func Example() {
	w, err := worker.New("text://127.0.0.1:0") // port 0: any free port
	if err != nil {
		panic(err)
	}
	w.Count = 1
	w.OnMessage = func(c *connection.TcpConnection, line string) {
		_ = c.Send("you said: " + line)
	}
	if err := w.Start(); err != nil { // worker.RunAll() in a program
		panic(err)
	}
	defer w.Stop()

	conn, _ := net.Dial("tcp", w.Addr().String())
	defer conn.Close()
	fmt.Fprint(conn, "hello\n")
	answer, _ := bufio.NewReader(conn).ReadString('\n')
	fmt.Print(answer)
	// Output: you said: hello
}

// lengthProtocol is a custom protocol: every message is a decimal length,
// a colon, and that many bytes ("5:hello"). It is stateless; its codec
// holds the per-connection state.
type lengthProtocol struct{}

func (lengthProtocol) Name() string { return "len" }

func (lengthProtocol) NewCodec(protocols.Conn) protocols.Codec { return lengthCodec{} }

type lengthCodec struct{}

// Input measures the next package: 0 while it is incomplete.
func (lengthCodec) Input(buf []byte) (int, error) {
	i := bytes.IndexByte(buf, ':')
	if i < 0 {
		if len(buf) > 10 {
			return 0, fmt.Errorf("len: no length")
		}
		return 0, nil
	}
	n, err := strconv.Atoi(string(buf[:i]))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("len: bad length %q", buf[:i])
	}
	if len(buf) < i+1+n {
		return 0, nil
	}
	return i + 1 + n, nil
}

// Decode turns a package into a string message (copied: pkg is reused).
func (lengthCodec) Decode(pkg []byte) (any, error) {
	return string(pkg[bytes.IndexByte(pkg, ':')+1:]), nil
}

// Encode appends a string message's wire form.
func (lengthCodec) Encode(dst []byte, msg any) ([]byte, error) {
	s, ok := msg.(string)
	if !ok {
		return dst, protocols.ErrUnsupportedMessage
	}
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	return append(append(dst, ':'), s...), nil
}

// A protocol of your own, registered under a scheme of its own, with
// OnMessage typed by its message type.
func ExampleRegisterProtocol() {
	worker.RegisterProtocol[string]("len", func() protocols.Protocol { return lengthProtocol{} })
	w, _ := worker.New("len://127.0.0.1:0")
	w.Count = 1
	w.OnMessage = func(c *connection.TcpConnection, msg string) {
		_ = c.Send("got " + msg)
	}
	if err := w.Start(); err != nil {
		panic(err)
	}
	defer w.Stop()

	conn, _ := net.Dial("tcp", w.Addr().String())
	defer conn.Close()
	fmt.Fprint(conn, "2:hi5:there") // two packages in one write
	buf := make([]byte, len("6:got hi9:got there"))
	_, _ = io.ReadFull(conn, buf)
	fmt.Println(string(buf))
	// Output: 6:got hi9:got there
}

// An outbound connection, as workerman's AsyncTcpConnection: made from a
// started worker, it runs on the worker's event loops with the same
// callbacks and protocols as accepted connections. Here one worker is a
// text echo server and another connects to it.
func ExampleWorker_NewAsyncTcpConnection() {
	server, _ := worker.New("text://127.0.0.1:0")
	server.Count = 1
	server.OnMessage = func(c *connection.TcpConnection, line string) { _ = c.Send("echo: " + line) }
	if err := server.Start(); err != nil {
		panic(err)
	}
	defer server.Stop()

	client, _ := worker.New("tcp://127.0.0.1:0")
	client.Count = 1
	if err := client.Start(); err != nil {
		panic(err)
	}
	defer client.Stop()

	done := make(chan struct{})
	ac, err := client.NewAsyncTcpConnection("text://" + server.Addr().String())
	if err != nil {
		panic(err)
	}
	ac.OnConnect = func(c *connection.TcpConnection) { _ = c.Send("hello") }
	ac.OnMessage = func(c *connection.TcpConnection, line string) {
		fmt.Println(line)
		_ = c.Close()
	}
	ac.OnClose = func(c *connection.TcpConnection) { close(done) }
	ac.OnError = func(c *connection.TcpConnection, code int, err error) {
		fmt.Println("error", code, err) // connection.CodeConnectFail when the connect fails
	}
	_ = ac.Connect()
	<-done
	// Output: echo: hello
}

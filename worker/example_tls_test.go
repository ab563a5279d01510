package worker_test

import (
	"crypto/tls"
	"fmt"
	"io"
	nethttp "net/http"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/testcert"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// An HTTPS worker: crypto/tls on the event loop, under the http protocol
// unchanged. The handler can read the connection's TLS state.
func Example_https() {
	ca, _ := testcert.NewCA("example CA") // a real server loads its files
	cert, _ := ca.Leaf("localhost")

	w, err := worker.New("https://127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	w.Count = 1
	w.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		st := c.TLS()
		_ = c.Send(fmt.Sprintf("hello over %s, ALPN %s", tls.VersionName(st.Version), st.NegotiatedProtocol))
	}
	if err := w.Start(); err != nil { // worker.RunAll() in a program
		panic(err)
	}
	defer w.Stop()

	client := &nethttp.Client{Transport: &nethttp.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool, ServerName: "localhost", NextProtos: []string{"h2", "http/1.1"}},
	}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + w.Addr().String() + "/")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: hello over TLS 1.3, ALPN http/1.1
}

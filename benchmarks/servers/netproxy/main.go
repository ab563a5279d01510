// Command netproxy is the proxy scenario's baseline: the TCP relay a Go
// port would write with net. An accept loop, one goroutine per
// connection that dials the upstream, then a goroutine per direction,
// each an io.Copy; when either direction ends, both connections are
// closed.
//
// io.Copy between two *net.TCPConn splices on Linux (TCPConn.ReadFrom:
// splice(2) through a pipe, the bytes never copied into the process).
// With -nosplice each side is wrapped so that io.Copy sees a plain Reader
// and Writer and copies through its default 32 KiB buffer in user space,
// as a proxy of anything but two bare TCP connections would.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"sync"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	upstream := flag.String("upstream", "", "the server to relay to, host:port")
	noSplice := flag.Bool("nosplice", false, "hide the connections' ReadFrom/WriteTo from io.Copy: copy in user space")
	flag.Parse()
	if *upstream == "" {
		log.Fatal("netproxy: -upstream host:port is required")
	}
	common.RaiseNoFile()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go relay(c, *upstream, *noSplice)
	}
}

func relay(client net.Conn, upstream string, noSplice bool) {
	up, err := net.Dial("tcp", upstream)
	if err != nil {
		log.Printf("netproxy: upstream: %v", err)
		client.Close()
		return
	}
	var once sync.Once
	closeBoth := func() {
		client.Close()
		up.Close()
	}
	pipe := func(dst, src net.Conn) {
		if noSplice {
			_, _ = io.Copy(struct{ io.Writer }{dst}, struct{ io.Reader }{src})
		} else {
			_, _ = io.Copy(dst, src)
		}
		once.Do(closeBoth)
	}
	go pipe(up, client)
	pipe(client, up)
}

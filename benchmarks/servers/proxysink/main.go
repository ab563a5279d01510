// Command proxysink is the upstream of the proxy scenario: a plain net
// server speaking internal/common/proxy.go's protocol. Per connection it
// either reads and discards what an upload sends, as fast as it can, and
// answers the count (and a CRC-32C when asked), or writes a download's
// bytes as fast as it can and closes. It is kept simple so that the proxy
// in front of it is the bottleneck: one goroutine per connection, 256 KiB
// reads, writes of up to 1 MiB from one pattern in memory.
//
// What a client did wrong (a short or extra upload, a bad header) is
// logged as a line starting "proxysink: error", which the harness looks
// for after each run.
package main

import (
	"errors"
	"flag"
	"hash/crc32"
	"io"
	"log"
	"net"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	flag.Parse()
	common.RaiseNoFile()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	pattern := common.ProxyPattern()
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c, pattern)
	}
}

func serve(c net.Conn, pattern []byte) {
	defer c.Close()
	h := make([]byte, common.ProxyHeaderLen)
	if _, err := io.ReadFull(c, h); err != nil {
		if !errors.Is(err, io.EOF) { // a bare connect (the harness's probe) is no error
			log.Printf("proxysink: error: header: %v", err)
		}
		return
	}
	op, flags, n, err := common.ParseProxyHeader(h)
	if err != nil {
		log.Printf("proxysink: error: %v", err)
		return
	}
	sum := flags&common.ProxyChecksum != 0
	switch op {
	case common.ProxyUpload:
		buf := make([]byte, 256<<10)
		var got int64
		var crc uint32
		for got < n {
			k, err := c.Read(buf[:min(int64(len(buf)), n-got)])
			if sum {
				crc = crc32.Update(crc, common.ProxyCRC, buf[:k])
			}
			got += int64(k)
			if err != nil {
				log.Printf("proxysink: error: upload ended after %d of %d bytes: %v", got, n, err)
				return
			}
		}
		if _, err := c.Write(common.ProxyReply(got, crc)); err != nil {
			log.Printf("proxysink: error: reply: %v", err)
			return
		}
		// The client closes once it has the reply: nothing more may come.
		extra, _ := io.Copy(io.Discard, c)
		if extra > 0 {
			log.Printf("proxysink: error: %d bytes after the %d of the upload", extra, n)
		}
	case common.ProxyDownload:
		for off := int64(0); off < n; {
			b := common.ProxyChunk(pattern, off, min(n-off, 1<<20))
			if _, err := c.Write(b); err != nil {
				log.Printf("proxysink: error: download stopped after %d of %d bytes: %v", off, n, err)
				return
			}
			off += int64(len(b))
		}
	}
}

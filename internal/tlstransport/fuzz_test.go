package tlstransport

import (
	"crypto/tls"
	"errors"
	"testing"
	"time"
)

// FuzzFeed feeds a server random bytes, truncated handshakes among them,
// in pieces: nothing panics, and the handshake's goroutine ends with the
// connection.
func FuzzFeed(f *testing.F) {
	scfg, ccfg := configs(f)
	hello := firstFlight(f, ccfg)
	f.Add(hello, uint8(7))
	f.Add(hello[:len(hello)/2], uint8(1))
	f.Add(append(append([]byte{}, hello...), 0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5), uint8(200))
	f.Add([]byte{0x16, 0x03, 0x01, 0xff, 0xff}, uint8(3))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), uint8(0))
	f.Add([]byte{0x80, 0x2e, 0x01, 0x03, 0x01}, uint8(2)) // SSLv2
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		host := newHost()
		tr := (&Config{TLS: scfg}).NewTransport(host).(*Transport)
		piece := int(split)%64 + 1
		for len(data) > 0 {
			n := min(piece, len(data))
			_, _, err := tr.Receive(nil, nil, data[:n])
			if err != nil {
				break
			}
			data = data[n:]
		}
		// A wake asked by the handshake's goroutine is served too.
		select {
		case <-host.wake:
			_, _, _ = tr.Receive(nil, nil, nil)
		default:
		}
		_, _ = tr.Send(nil, []byte("late"))
		tr.Close()
		if tr.started {
			deadline := time.Now().Add(10 * time.Second)
			for !tr.done.Load() {
				if time.Now().After(deadline) {
					t.Fatal("the handshake's goroutine outlived the connection")
				}
				time.Sleep(time.Millisecond)
			}
		}
	})
}

// FuzzClientFeed feeds a client's handshake random answers in pieces:
// nothing panics, a failure is a HandshakeError, and the handshake's
// goroutine ends with the connection.
func FuzzClientFeed(f *testing.F) {
	_, _ = configs(f)
	ccfg, err := ClientConfig(&tls.Config{RootCAs: ca.Pool}, "localhost", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), uint8(3))
	f.Add([]byte{0x16, 0x03, 0x03, 0xff, 0xff}, uint8(1))
	f.Add([]byte{0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00}, uint8(2)) // an empty ServerHello
	f.Add([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}, uint8(7))             // a fatal alert
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		host := newHost()
		tr := (&Config{TLS: ccfg, Client: true}).NewTransport(host).(*Transport)
		piece := int(split)%64 + 1
		for len(data) > 0 {
			n := min(piece, len(data))
			_, _, err := tr.Receive(nil, nil, data[:n])
			if err != nil {
				var he *HandshakeError
				if !errors.As(err, &he) {
					t.Fatalf("not a HandshakeError: %v", err)
				}
				break
			}
			data = data[n:]
		}
		select {
		case <-host.wake:
			_, _, _ = tr.Receive(nil, nil, nil)
		default:
		}
		_, _ = tr.Send(nil, []byte("late"))
		tr.Close()
		deadline := time.Now().Add(10 * time.Second)
		for !tr.done.Load() {
			if time.Now().After(deadline) {
				t.Fatal("the handshake's goroutine outlived the connection")
			}
			time.Sleep(time.Millisecond)
		}
	})
}

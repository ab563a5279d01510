package connection

import (
	"crypto/tls"
	"errors"
	"net"

	"github.com/gnetworker/gnetworker/internal/glue"
)

// What passes through a transport (glue.Transport) other than the plain
// one: input is turned into the codec's bytes in a pooled buffer for the
// length of one read, and output into the socket's bytes as it is
// written. A plain connection takes neither path.

// receive runs wire bytes through t, writes any reply at once, and returns
// the bytes for the codec (in a pooled buffer the caller gives back), or
// ok false when the connection closed meanwhile (gnet's Write closes it,
// OnClose included, when the write fails). ended reports that the peer
// ended its side (TLS's close_notify): what came before it is still the
// codec's to read, and the connection then closes as at a TCP end of
// stream, once it has answered.
func (c *TcpConnection) receive(t glue.Transport, wire []byte) (plain []byte, buf *[]byte, ok, ended bool) {
	p, r := getBuffer(len(wire)), getBuffer(0)
	plain, reply, err := t.Receive((*p)[:0], (*r)[:0], wire)
	*p, *r = plain, reply
	if len(reply) > 0 {
		if _, werr := c.gc.Write(reply); werr == nil {
			c.bytesWritten.Add(uint64(len(reply)))
		}
	}
	putBuffer(r)
	if c.closed {
		return nil, p, false, false
	}
	if errors.Is(err, glue.ErrPeerClosed) {
		return plain, p, true, true // no error to report
	}
	if err != nil {
		c.fail(CodeProtocol, err)
		return nil, p, true, false
	}
	return plain, p, true, false
}

// transportPending is what the transport holds for the socket and has not
// handed over yet (plaintext sent before a TLS handshake ended): it counts
// as output gnet holds, for backpressure and for a close that waits for
// its data. Called on the loop.
func (c *TcpConnection) transportPending() int {
	if p, ok := c.transport().(interface{ Pending() int }); ok {
		return p.Pending()
	}
	return 0
}

// write hands staged output to gnet, through the transport if there is
// one.
func (c *TcpConnection) write(out []byte) error {
	t := c.transport()
	if t == nil {
		_, err := c.gc.Write(out)
		return err
	}
	w := getBuffer(len(out))
	wire, err := t.Send((*w)[:0], out)
	*w = wire
	if err == nil {
		_, err = c.gc.Write(wire)
	} else {
		c.Destroy()
	}
	putBuffer(w)
	return err
}

// transportHost is what a connection's transport may ask of it
// (glue.TransportHost), kept off TcpConnection's own method set.
type transportHost struct{ c *TcpConnection }

func (h transportHost) Wake()    { h.c.wakeTransport() }
func (h transportHost) Destroy() { h.c.Destroy() }

func (h transportHost) RemoteAddr() net.Addr { return h.c.remote }

func (h transportHost) MaxPackageSize() int { return h.c.MaxPackageSize() }

func (h transportHost) LocalAddr() net.Addr {
	c := h.c
	if c.localLen == 0 {
		return nil
	}
	return &net.TCPAddr{IP: net.IP(c.local[:c.localLen]), Port: int(c.localPort)}
}

// wakeTransport has the loop call the transport's Receive: at once unless
// the loop runs the connection now, when leave wakes it again after.
func (c *TcpConnection) wakeTransport() {
	c.mu.Lock()
	w := c.transportWakeLocked()
	if w == nil {
		c.mu.Unlock()
		return
	}
	*w = true
	wake := !c.inCallback && !c.wakeQueued && c.Status() != StatusClosed
	if wake {
		c.wakeQueued = true
	}
	c.mu.Unlock()
	if wake {
		c.wakeLoop()
	}
}

// TLS is the connection's TLS state (version, cipher suite, server name,
// negotiated protocol, peer certificates) once its handshake completed;
// nil on a plain connection and during the handshake. It is safe to call
// from any goroutine.
func (c *TcpConnection) TLS() *tls.ConnectionState {
	if s, ok := c.transport().(interface{ ConnectionState() *tls.ConnectionState }); ok {
		return s.ConnectionState()
	}
	return nil
}

// sayGoodbye writes the transport's last words before a graceful close
// (TLS's close_notify alert), when it has any.
func (c *TcpConnection) sayGoodbye() {
	g, ok := c.transport().(interface{ Goodbye(wire []byte) []byte })
	if !ok {
		return
	}
	w := getBuffer(64)
	if *w = g.Goodbye((*w)[:0]); len(*w) > 0 {
		if _, err := c.gc.Write(*w); err == nil {
			c.bytesWritten.Add(uint64(len(*w)))
		}
	}
	putBuffer(w)
}

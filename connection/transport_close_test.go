package connection

// Second reader's reproducers (review of the changes since bc73216).

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/protocols"
)

// closingConn fails every Write the way gnet does: it closes the
// connection inside the call (OnClose runs) and returns the error.
type closingConn struct {
	fakeConn
	c *TcpConnection
}

func (f *closingConn) Write([]byte) (int, error) {
	f.c.handleClose()
	return 0, errors.New("write: broken pipe")
}

// alertTransport answers a record it refuses with an alert and an error,
// as TLS does.
type alertTransport struct{}

func (alertTransport) Receive(plain, reply, wire []byte) ([]byte, []byte, error) {
	return plain, append(reply, "ALERT"...), errors.New("bad record")
}
func (alertTransport) Send(wire, plain []byte) ([]byte, error) { return append(wire, plain...), nil }
func (alertTransport) Close()                                  {}

// When writing the transport's reply closes the connection (gnet's Write
// runs OnClose inside), receive goes on: fail() moves the status from
// CLOSED back to CLOSING and reports OnError after OnClose. AtClose then
// believes the connection is still open and its hook never runs.
func TestTransportReplyWriteCloses(t *testing.T) {
	var order []string
	g := &group{
		config: glue.Config{NewTransport: func(glue.TransportHost) glue.Transport { return alertTransport{} }},
		events: callbacks{
			OnClose: func(*TcpConnection) { order = append(order, "OnClose") },
			OnError: func(*TcpConnection, int, error) { order = append(order, "OnError") },
		},
	}
	fc := &closingConn{fakeConn: fakeConn{loop: &fakeLoop{}}}
	c := newConn(fc, 0, protocols.Raw{}, g)
	fc.c = c
	fc.in = []byte("x")
	c.handleTraffic()
	assert.Equal(t, StatusClosed, c.Status(), "a closed connection stays CLOSED")
	assert.Equal(t, []string{"OnClose"}, order, "nothing is reported after OnClose")
	hooked := false
	c.AtClose(func(*TcpConnection) { hooked = true })
	assert.True(t, hooked, "AtClose on a closed connection runs at once")
}

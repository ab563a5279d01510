package connection

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/protocols/text"
)

// recordTransport is a toy transport with what TLS needs of the seam:
// records of one length byte and that many bytes XORed with 0x20, a record
// split across reads, and a reply ("HELLO") sent before any data, as a
// handshake would.
type recordTransport struct {
	pending []byte // an incomplete record
	greeted bool
}

func (t *recordTransport) Receive(plain, reply, wire []byte) ([]byte, []byte, error) {
	if !t.greeted {
		t.greeted = true
		reply = append(reply, "HELLO"...)
	}
	t.pending = append(t.pending, wire...)
	for len(t.pending) > 0 && len(t.pending) > int(t.pending[0]) {
		n := int(t.pending[0])
		for _, b := range t.pending[1 : 1+n] {
			plain = append(plain, b^0x20)
		}
		t.pending = t.pending[1+n:]
	}
	return plain, reply, nil
}

func (t *recordTransport) Send(wire, plain []byte) ([]byte, error) {
	for len(plain) > 0 {
		n := min(len(plain), 255)
		wire = append(wire, byte(n))
		for _, b := range plain[:n] {
			wire = append(wire, b^0x20)
		}
		plain = plain[n:]
	}
	return wire, nil
}

func (t *recordTransport) Close() {}

func record(s string) []byte {
	b := []byte{byte(len(s))}
	for i := range len(s) {
		b = append(b, s[i]^0x20)
	}
	return b
}

// A transport sits between gnet's bytes and the codec: the codec reads
// and writes plain lines while the socket carries records.
func TestTransportBetweenSocketAndCodec(t *testing.T) {
	loop := &fakeLoop{}
	var got []string
	g := &group{
		config: glue.Config{NewTransport: func(glue.TransportHost) glue.Transport { return &recordTransport{} }},
		events: callbacks{OnMessage: func(c *TcpConnection, msg any) {
			got = append(got, msg.(string))
			_ = c.Send("re " + msg.(string))
		}},
	}
	fc := &fakeConn{loop: loop}
	c := newConn(fc, 0, text.Protocol{}, g)

	wire := append(record("one\ntw"), record("o\n")...)
	fc.in = wire[:3] // a record split across reads
	c.handleTraffic()
	assert.Equal(t, "HELLO", fc.written.String(), "the reply goes out at once, before any data")
	assert.Empty(t, got)
	fc.written.Reset()
	fc.in = wire[3:]
	c.handleTraffic()
	require.Equal(t, []string{"one", "two"}, got)
	assert.Equal(t, string(record("re one\nre two\n")), fc.written.String(),
		"the answers staged in one read leave as one record, in one write")
	assert.Equal(t, uint64(len(wire)), c.BytesRead(), "BytesRead counts the socket's bytes")
}

// offLoopTransport works off the loop as a TLS handshake does: what it
// has to say is produced elsewhere, and it asks the loop, through its
// host, to collect it with a Receive of no bytes.
type offLoopTransport struct {
	host     glue.TransportHost
	ready    []byte // produced off the loop
	receives int
	closes   int
	done     bool // it ended the conversation, as a close_notify
}

func (t *offLoopTransport) Receive(plain, reply, wire []byte) ([]byte, []byte, error) {
	t.receives++
	reply = append(reply, t.ready...)
	t.ready = nil
	plain = append(plain, wire...)
	if t.done {
		return plain, reply, glue.ErrPeerClosed
	}
	return plain, reply, nil
}
func (t *offLoopTransport) Send(wire, plain []byte) ([]byte, error) {
	return append(wire, plain...), nil
}
func (t *offLoopTransport) Close() { t.closes++ }

// A transport's Wake gets the loop to call Receive with no new bytes: at
// once when the loop is elsewhere, after the current run when the loop
// runs the connection now. Close is called once, when the connection
// closes, and ErrPeerClosed closes it without an error report.
func TestTransportWakeAndClose(t *testing.T) {
	var tr *offLoopTransport
	var errs []error
	closes := 0
	g := &group{
		config: glue.Config{NewTransport: func(h glue.TransportHost) glue.Transport {
			tr = &offLoopTransport{host: h}
			return tr
		}},
		events: callbacks{
			OnMessage: func(c *TcpConnection, msg any) {
				// The transport produces output while the loop runs the
				// connection: it is collected after this run, not lost.
				tr.ready = []byte("late ")
				tr.host.Wake()
			},
			OnError: func(_ *TcpConnection, _ int, err error) { errs = append(errs, err) },
			OnClose: func(*TcpConnection) { closes++ },
		},
	}
	loop := &fakeLoop{}
	fc := &fakeConn{loop: loop}
	c := newConn(fc, 0, text.Protocol{}, g)

	tr.ready = []byte("flight ")
	tr.host.Wake()
	require.Len(t, loop.tasks, 1, "a wake from off the loop reaches the loop")
	loop.runTasks(t) // the loop runs the connection, with no input
	assert.Equal(t, "flight ", fc.written.String())

	fc.in = []byte("line\n")
	c.handleTraffic()
	assert.Equal(t, 1, fc.wakes, "the wake asked during the run is carried out after it")
	c.handleTraffic()
	assert.Equal(t, "flight late ", fc.written.String())
	assert.Equal(t, 3, tr.receives)

	tr.done = true
	tr.host.Wake()
	loop.runTasks(t)
	assert.True(t, fc.closed, "ErrPeerClosed closes the connection")
	c.handleClose()
	c.handleClose()
	assert.Equal(t, 1, tr.closes, "Close is called once")
	assert.Equal(t, 1, closes)
	assert.Empty(t, errs, "a peer's close is no error")
	tr.host.Wake() // after the close: nothing to wake
	assert.Empty(t, loop.tasks)
	assert.Equal(t, 1, fc.wakes)
}

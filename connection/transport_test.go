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
		config: glue.Config{NewTransport: func() glue.Transport { return &recordTransport{} }},
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

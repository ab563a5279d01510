package http

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/protocols/protocoltest"
)

// spoolEverything is a Protocol that spools every body, in a temporary
// directory of the test's.
func spoolEverything(t *testing.T) *Protocol {
	p := NewProtocol()
	p.MaxBodyInMemory = -1
	p.TempDir = t.TempDir()
	p.HeaderTimeout, p.IdleTimeout, p.BodyTimeout = -1, -1, -1
	return p
}

// A spooled body survives every way its bytes can be cut into reads:
// inside a chunk-size line, its extension, the CRLF after a chunk's data,
// the trailers; and the request after it still parses.
func TestSpoolAcrossEveryCut(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		body := make([]byte, r.IntN(3000))
		for i := range body {
			body[i] = byte(r.IntN(256))
		}
		var raw bytes.Buffer
		chunked := round%2 == 0
		if chunked {
			raw.WriteString("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
			for rest := body; len(rest) > 0; {
				n := min(1+r.IntN(300), len(rest))
				fmt.Fprintf(&raw, "%x;ext=v\r\n", n)
				raw.Write(rest[:n])
				raw.WriteString("\r\n")
				rest = rest[n:]
			}
			raw.WriteString("0\r\nX-T: done\r\n\r\n")
		} else {
			fmt.Fprintf(&raw, "POST /l HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body))
			raw.Write(body)
		}
		raw.WriteString("GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
		proto := spoolEverything(t)
		c := proto.NewCodec(&protocoltest.Conn{}).(*codec)
		req, rest := feedOne(t, c, protocoltest.Split(raw.Bytes(), 1+r.IntN(40)))
		require.NotNil(t, req, "round %d", round)
		got, err := io.ReadAll(req.Body())
		require.NoError(t, err)
		require.Equal(t, body, got, "round %d (chunked %v)", round, chunked)
		assert.Equal(t, len(body) > 0, req.BodySpooled(), "round %d", round)
		assert.Equal(t, int64(len(body)), req.ContentLength())
		if chunked {
			assert.Equal(t, "done", req.Trailer("X-T"))
		}
		_, err = c.Encode(nil, "ok")
		require.NoError(t, err)
		assert.False(t, req.BodySpooled(), "the file is gone with the response")
		n, err := c.Input(rest)
		require.NoError(t, err)
		require.Equal(t, len(rest), n, "round %d: the next request", round)
		c.Release()
		mem, spools := BodyBudgetInUse(proto)
		assert.Zero(t, mem)
		assert.Zero(t, spools)
	}
}

// feedOne drives c as a connection does until it decodes one request:
// pieces arrive as reads, absorbed pieces are dropped, and what follows
// the request is returned unread (the connection waits for the answer).
func feedOne(t *testing.T, c *codec, pieces [][]byte) (*Request, []byte) {
	t.Helper()
	var buf []byte
	for i, p := range pieces {
		buf = append(buf, p...)
		for len(buf) > 0 {
			n, err := c.Input(buf)
			require.NoError(t, err)
			if n == 0 {
				break
			}
			msg, err := c.Decode(buf[:n])
			require.NoError(t, err)
			buf = append([]byte(nil), buf[n:]...)
			if msg != nil {
				for _, q := range pieces[i+1:] {
					buf = append(buf, q...)
				}
				return msg.(*Request), buf
			}
		}
	}
	return nil, buf
}

// After a spike of large bodies, an idle keep-alive connection does not
// keep a large buffer, and the body memory budget is whole again.
func TestLargeRequestBufferIsNotKept(t *testing.T) {
	proto := NewProtocol()
	proto.HeaderTimeout, proto.IdleTimeout, proto.BodyTimeout = -1, -1, -1
	c := proto.NewCodec(&protocoltest.Conn{}).(*codec)
	body := bytes.Repeat([]byte("b"), 200<<10) // in memory, and counted
	raw := fmt.Appendf(nil, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	res := protocoltest.Feed(c, raw)
	require.Len(t, res.Messages, 1)
	req := res.Messages[0].(*Request)
	assert.False(t, req.BodySpooled())
	mem, _ := BodyBudgetInUse(proto)
	assert.Equal(t, int64(len(body)), mem, "the body is counted while it is answered")
	_, err := c.Encode(nil, "ok")
	require.NoError(t, err)
	assert.LessOrEqual(t, cap(c.spare.buf), maxKeptRequestBuffer, "the spare request keeps no large buffer")
	mem, _ = BodyBudgetInUse(proto)
	assert.Zero(t, mem)
	assert.Equal(t, "", req.Path(), "read after its response, the request is empty, not stale")
	c.Release()
}

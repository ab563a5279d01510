package http

// Second reader's reproducers (review of the changes since bc73216).

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/fdbudget"
	"github.com/gnetworker/gnetworker/protocols/protocoltest"
)

func reviewProto(t *testing.T) *Protocol {
	p := NewProtocol()
	p.TempDir = t.TempDir()
	p.HeaderTimeout, p.IdleTimeout, p.BodyTimeout = -1, -1, -1
	return p
}

// Every way a request with a large (spooled or reserved) body can end
// gives back the memory budget, the spool count and the descriptor budget.
func TestBudgetsReturnOnEveryPath(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 2<<20)   // over MaxBodyInMemory: spooled
	mid := bytes.Repeat([]byte("y"), 100<<10) // in memory, counted
	head := func(extra string, n int) []byte {
		return fmt.Appendf(nil, "POST / HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n", extra, n)
	}
	chunkHead := []byte("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	cases := []struct {
		name   string
		pieces [][]byte
		answer bool
	}{
		{"spooled, client gone mid-body", [][]byte{head("", len(big)), big[:300<<10]}, false},
		{"in memory, client gone mid-body", [][]byte{head("", len(mid)), mid[:50<<10]}, false},
		{"spooled, answered", [][]byte{head("", len(big)), big}, true},
		{"expect 100-continue, spooled, gone", [][]byte{head("Expect: 100-continue\r\n", len(big))}, false},
		{"chunked spooled, bad chunk", [][]byte{chunkHead, fmt.Appendf(nil, "%x\r\n", len(big)), big, []byte("XX")}, false},
		{"chunked in memory, bad chunk", [][]byte{chunkHead, fmt.Appendf(nil, "%x\r\n", len(mid)), mid, []byte("XX")}, false},
		{"chunked over MaxPackageSize mid-spool", [][]byte{chunkHead, fmt.Appendf(nil, "%x\r\n", len(big)), big, []byte("\r\n"), fmt.Appendf(nil, "%x\r\n", 9<<20)}, false},
		{"CONNECT with spooled body", [][]byte{fmt.Appendf(nil, "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\nContent-Length: %d\r\n\r\n", len(big)), big}, false},
		{"CONNECT with in-memory body", [][]byte{fmt.Appendf(nil, "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\nContent-Length: %d\r\n\r\n", len(mid)), mid}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proto := reviewProto(t)
			fds := fdbudget.InUse()
			c := proto.NewCodec(&protocoltest.Conn{}).(*codec)
			var pieces [][]byte
			for _, p := range tc.pieces {
				pieces = append(pieces, protocoltest.Split(p, 64<<10)...)
			}
			res := protocoltest.Feed(c, pieces...)
			if tc.answer {
				require.NoError(t, res.Err)
				require.Len(t, res.Messages, 1)
				_, err := c.Encode(nil, "ok")
				require.NoError(t, err)
			}
			c.Release()
			mem, spools := BodyBudgetInUse(proto)
			assert.Zero(t, mem, "memory budget")
			assert.Zero(t, spools, "spool files")
			assert.Equal(t, fds, fdbudget.InUse(), "descriptor budget")
		})
	}
}

// A file response whose head says it streams (an event stream here, or a
// 1xx status) takes a descriptor from the budget and never gives it back:
// encodeResponse's streams and informational branches neither pump nor
// close the file. Release does not close it either.
func TestFileResponseThatStreamsLeaksDescriptor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.WriteFile(path, make([]byte, inlineFileLimit+1), 0o644))
	for _, tc := range []struct {
		name string
		resp func() *Response
	}{
		{"event-stream", func() *Response {
			return NewResponse(200, map[string]string{"Content-Type": "text/event-stream"}, "").WithFile(path, 0, 0)
		}},
		{"1xx", func() *Response { return NewResponse(103, nil, "").WithFile(path, 0, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proto := reviewProto(t)
			c := proto.NewCodec(&protocoltest.Conn{}).(*codec)
			res := protocoltest.Feed(c, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
			require.Len(t, res.Messages, 1)
			before := fdbudget.InUse()
			_, err := c.Encode(nil, tc.resp())
			require.NoError(t, err)
			c.Release()
			assert.Equal(t, before, fdbudget.InUse(), "the file's descriptor is back in the budget")
		})
	}
}

// Sound (checked): a whole large request that waited behind a pipelined
// one is spooled in one Decode, with its body and trailers intact, and
// the budgets return to zero.
func TestWholeLargeRequestAfterPipelined(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), (2<<20)/16+3)
	for _, chunked := range []bool{false, true} {
		proto := reviewProto(t)
		c := proto.NewCodec(&protocoltest.Conn{}).(*codec)
		var raw bytes.Buffer
		raw.WriteString("GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
		if chunked {
			raw.WriteString("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
			for rest := body; len(rest) > 0; {
				n := min(len(rest), 300<<10)
				fmt.Fprintf(&raw, "%x\r\n", n)
				raw.Write(rest[:n])
				raw.WriteString("\r\n")
				rest = rest[n:]
			}
			raw.WriteString("0\r\nX-T: done\r\n\r\n")
		} else {
			fmt.Fprintf(&raw, "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body))
			raw.Write(body)
		}
		buf := raw.Bytes()
		n, err := c.Input(buf)
		require.NoError(t, err)
		msg, err := c.Decode(buf[:n])
		require.NoError(t, err)
		require.Equal(t, "/first", msg.(*Request).Path())
		_, err = c.Encode(nil, "ok")
		require.NoError(t, err)
		rest := append([]byte(nil), buf[n:]...)
		n, err = c.Input(rest)
		require.NoError(t, err)
		require.Equal(t, len(rest), n, "complete at once")
		msg, err = c.Decode(rest[:n])
		require.NoError(t, err)
		req := msg.(*Request)
		assert.True(t, req.BodySpooled())
		assert.Equal(t, "/big", req.Path())
		assert.Equal(t, body, req.RawBody())
		if chunked {
			assert.Equal(t, "done", req.Trailer("X-T"))
		}
		_, err = c.Encode(nil, "ok")
		require.NoError(t, err)
		c.Release()
		mem, spools := BodyBudgetInUse(proto)
		assert.Zero(t, mem)
		assert.Zero(t, spools)
	}
}

// SwitchProtocol releases the HTTP codec while the upgrade request's
// OnMessage still runs (websocket's Upgrade even calls
// OnWebSocketConnected(c, req) after the switch): a request whose buffer
// is over 64 KiB is emptied by endBody, and a spooled body is closed,
// although its only response so far is the 101 (README: "A Request is
// valid until its response is complete").
func TestSwitchInvalidatesUpgradeRequest(t *testing.T) {
	proto := reviewProto(t)
	proto.Limits.MaxHeaderBytes = 256 << 10
	c := proto.NewCodec(&protocoltest.Conn{}).(*codec)
	cookie := bytes.Repeat([]byte("c"), 70<<10)
	res := protocoltest.Feed(c, fmt.Appendf(nil, "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nCookie: %s\r\n\r\n", cookie))
	require.NoError(t, res.Err)
	req := res.Messages[0].(*Request)
	_, err := c.Encode(nil, NewResponse(101, map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}, ""))
	require.NoError(t, err)
	c.Release() // what SwitchProtocol does to the old codec
	assert.Equal(t, "/chat", req.Path(), "the handler still reads its request after the switch")
	assert.Equal(t, "websocket", req.Header("Upgrade"))
}

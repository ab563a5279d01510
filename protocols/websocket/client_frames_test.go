package websocket_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/protocoltest"
	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// The client's frame rules, at the codec: the server's frames are fed
// after a 101 made for the codec's key, whole and cut at every byte.

var keyField = regexp.MustCompile(`Sec-WebSocket-Key: (\S+)\r\n`)

// openedCodec returns a client codec of opts (MaxMessageSize 1000 unless
// set) and the 101 that opens it.
func openedCodec(t *testing.T, opts *websocket.ClientOptions, extra string) (protocols.Codec, []byte) {
	t.Helper()
	if opts == nil {
		opts = &websocket.ClientOptions{}
	}
	if opts.MaxMessageSize == 0 {
		opts.MaxMessageSize = 1000
	}
	codec := newClient(t, "ws://example.com/", opts).NewCodec(&testConn{})
	t.Cleanup(codec.(protocols.Releaser).Release)
	m := keyField.FindSubmatch(codec.(protocols.Greeter).Greeting())
	require.NotNil(t, m)
	return codec, response101(string(m[1]), extra)
}

// unmaskClientFrames parses a client's frames (the codec's replies):
// each must be masked.
func unmaskClientFrames(t *testing.T, b []byte) (frames []struct {
	op      byte
	payload []byte
}) {
	t.Helper()
	for len(b) > 0 {
		require.GreaterOrEqual(t, len(b), 6)
		require.NotZero(t, b[1]&0x80, "a client's frame is masked")
		n := int(b[1] & 0x7F)
		require.Less(t, n, 126, "control frames are short")
		key, payload := b[2:6], bytes.Clone(b[6:6+n])
		for i := range payload {
			payload[i] ^= key[i%4]
		}
		frames = append(frames, struct {
			op      byte
			payload []byte
		}{b[0] & 0x0F, payload})
		b = b[6+n:]
	}
	return frames
}

func TestClientFrameRules(t *testing.T) {
	text := func(s string) websocket.Message { return websocket.Message{Opcode: websocket.OpText, Data: []byte(s)} }
	closeFrame := func(code int, reason string) []byte {
		return serverFrame(true, 8, append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...), false)
	}
	for _, tc := range []struct {
		name  string
		in    [][]byte
		want  []any
		close int // the close code of the codec's error; 0: none
	}{
		{"text", [][]byte{serverFrame(true, 1, []byte("hi"), false)}, []any{text("hi")}, 0},
		{"empty binary", [][]byte{serverFrame(true, 2, nil, false)}, []any{websocket.Message{Opcode: websocket.OpBinary}}, 0},
		{"126 bytes", [][]byte{serverFrame(true, 1, bytes.Repeat([]byte("x"), 126), false)}, []any{text(strings.Repeat("x", 126))}, 0},
		{"fragments with a ping between", [][]byte{
			serverFrame(false, 1, []byte("κό"), false), serverFrame(true, 9, []byte("p"), false),
			serverFrame(false, 0, []byte("σ"), false), serverFrame(true, 0, []byte("με"), false),
		}, []any{websocket.Ping("p"), text("κόσμε")}, 0},
		{"a character cut between fragments", [][]byte{
			serverFrame(false, 1, []byte("\xce"), false), serverFrame(true, 0, []byte("\xba"), false),
		}, []any{text("κ")}, 0},
		{"pong", [][]byte{serverFrame(true, 10, []byte("x"), false)}, []any{websocket.Pong("x")}, 0},
		{"close without a code", [][]byte{serverFrame(true, 8, nil, false), serverFrame(true, 1, []byte("dropped"), false)},
			[]any{websocket.Close{Code: websocket.CloseNoStatus}}, 0},
		{"close with a reason", [][]byte{closeFrame(1001, "restart")}, []any{websocket.Close{Code: 1001, Reason: "restart"}}, 0},
		{"masked", [][]byte{serverFrame(true, 1, []byte("x"), true)}, nil, 1002},
		{"RSV1 without deflate", [][]byte{{0xC1, 0}}, nil, 1002},
		{"RSV2", [][]byte{{0xA1, 0}}, nil, 1002},
		{"opcode 3", [][]byte{serverFrame(true, 3, nil, false)}, nil, 1002},
		{"continuation first", [][]byte{serverFrame(true, 0, []byte("x"), false)}, nil, 1002},
		{"text while fragmented", [][]byte{serverFrame(false, 1, []byte("a"), false), serverFrame(true, 1, []byte("b"), false)}, nil, 1002},
		{"fragmented ping", [][]byte{serverFrame(false, 9, nil, false)}, nil, 1002},
		{"long ping", [][]byte{serverFrame(true, 9, bytes.Repeat([]byte("x"), 126), false)}, nil, 1002},
		{"64-bit length with the top bit", [][]byte{{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}}, nil, 1002},
		{"over MaxMessageSize", [][]byte{serverFrame(true, 2, make([]byte, 1001), false)}, nil, 1009},
		{"fragments over MaxMessageSize", [][]byte{serverFrame(false, 2, make([]byte, 600), false), serverFrame(true, 0, make([]byte, 600), false)}, nil, 1009},
		{"invalid UTF-8", [][]byte{serverFrame(true, 1, []byte("a\xffb"), false)}, nil, 1007},
		{"invalid UTF-8 in the first fragment", [][]byte{serverFrame(false, 1, []byte("\xed\xa0\x80"), false)}, nil, 1007},
		{"close code 1005 on the wire", [][]byte{closeFrame(1005, "")}, nil, 1002},
		{"close payload of one byte", [][]byte{serverFrame(true, 8, []byte{3}, false)}, nil, 1002},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, head := openedCodec(t, nil, "")
			in := append(bytes.Clone(head), bytes.Join(tc.in, nil)...)
			for cut := range len(in) + 1 {
				codec, head := openedCodec(t, nil, "")
				in := append(head, in[len(head):]...)
				res := protocoltest.Feed(codec, protocoltest.SplitAt(in, cut)...)
				require.NotEmpty(t, res.Messages, "cut at %d", cut)
				_, ok := res.Messages[0].(*websocket.HandshakeResponse)
				require.True(t, ok, "cut at %d: %T first", cut, res.Messages[0])
				if tc.close == 0 {
					require.NoError(t, res.Err, "cut at %d", cut)
				} else {
					var ce *websocket.CloseError
					require.ErrorAs(t, res.Err, &ce, "cut at %d", cut)
					assert.Equal(t, tc.close, ce.Code)
					var r protocols.Replier
					require.True(t, errors.As(res.Err, &r))
					frames := unmaskClientFrames(t, r.Reply())
					require.Len(t, frames, 1)
					assert.Equal(t, byte(8), frames[0].op)
					assert.Equal(t, tc.close, int(binary.BigEndian.Uint16(frames[0].payload)))
				}
				want := tc.want
				if want == nil {
					want = []any{}
				}
				got := res.Messages[1:]
				if len(got) == 0 {
					got = []any{}
				}
				assert.Equal(t, want, got, "cut at %d", cut)
			}
		})
	}
}

// The codec answers a ping with a masked pong and a close with a masked
// close, in Reply; after its own close it answers neither.
func TestClientReplies(t *testing.T) {
	codec, head := openedCodec(t, nil, "")
	feed := func(b []byte) (any, []byte) {
		n, err := codec.Input(b)
		require.NoError(t, err)
		require.Equal(t, len(b), n)
		msg, err := codec.Decode(b)
		require.NoError(t, err)
		return msg, codec.(protocols.Responder).Reply()
	}
	_, held := feed(head)
	assert.Empty(t, held)

	msg, reply := feed(serverFrame(true, 9, []byte("are you there"), false))
	assert.Equal(t, websocket.Ping("are you there"), msg)
	frames := unmaskClientFrames(t, reply)
	require.Len(t, frames, 1)
	assert.Equal(t, byte(0xA), frames[0].op)
	assert.Equal(t, "are you there", string(frames[0].payload))

	msg, reply = feed(serverFrame(true, 8, binary.BigEndian.AppendUint16(nil, 4000), false))
	assert.Equal(t, websocket.Close{Code: 4000}, msg)
	frames = unmaskClientFrames(t, reply)
	require.Len(t, frames, 1)
	assert.Equal(t, []byte{0x0f, 0xa0}, frames[0].payload, "the close is echoed with its code")

	t.Run("after the client's close", func(t *testing.T) {
		codec, head := openedCodec(t, nil, "")
		res := protocoltest.Feed(codec, head)
		require.Len(t, res.Messages, 1)
		out, err := codec.Encode(nil, websocket.Close{Code: 1000})
		require.NoError(t, err)
		assert.Equal(t, byte(0x88), out[0])
		in := append(serverFrame(true, 9, nil, false), serverFrame(true, 1, []byte("late"), false)...)
		in = append(in, serverFrame(true, 8, binary.BigEndian.AppendUint16(nil, 1000), false)...)
		in = append(in, serverFrame(true, 1, []byte("after"), false)...)
		var replies []byte
		for len(in) > 0 {
			n, err := codec.Input(in)
			require.NoError(t, err)
			msg, err := codec.Decode(in[:n])
			require.NoError(t, err)
			replies = append(replies, codec.(protocols.Responder).Reply()...)
			if msg != nil {
				res.Messages = append(res.Messages, msg)
			}
			in = in[n:]
		}
		assert.Empty(t, replies, "no pong and no second close after the client's close")
		assert.Equal(t, []any{websocket.Ping(nil), websocket.Message{Opcode: websocket.OpText, Data: []byte("late")}, websocket.Close{Code: 1000}}, res.Messages[1:])
	})
}

// Data held during the handshake comes out as the Reply to the 101's
// Decode, in order, masked.
func TestClientHeldFramesAreTheReply(t *testing.T) {
	codec, head := openedCodec(t, nil, "")
	for _, m := range []any{"a", []byte("b"), websocket.Close{Code: 1000, Reason: "c"}} {
		out, err := codec.Encode(nil, m)
		require.NoError(t, err)
		require.Empty(t, out)
	}
	_, err := codec.Encode(nil, "after the close")
	assert.ErrorIs(t, err, websocket.ErrClosed)
	n, err := codec.Input(head)
	require.NoError(t, err)
	_, err = codec.Decode(head[:n])
	require.NoError(t, err)
	frames := unmaskClientFrames(t, codec.(protocols.Responder).Reply())
	require.Len(t, frames, 3)
	assert.Equal(t, []byte{1, 2, 8}, []byte{frames[0].op, frames[1].op, frames[2].op})
	assert.Equal(t, "a", string(frames[0].payload))
	assert.Equal(t, "b", string(frames[1].payload))
	assert.Equal(t, "\x03\xe8c", string(frames[2].payload))
}

// A Prepared broadcast reaches a client connection masked, with a key of
// its own; before the 101 it is held like any send.
func TestClientPrepared(t *testing.T) {
	p, err := websocket.Prepare("broadcast")
	require.NoError(t, err)
	codec, head := openedCodec(t, nil, "")
	assert.Empty(t, p.For(codec), "held during the handshake")
	n, err := codec.Input(head)
	require.NoError(t, err)
	_, err = codec.Decode(head[:n])
	require.NoError(t, err)
	held := unmaskClientFrames(t, codec.(protocols.Responder).Reply())
	require.Len(t, held, 1)
	assert.Equal(t, "broadcast", string(held[0].payload))

	frame, ok := p.For(codec).([]byte)
	require.True(t, ok)
	frames := unmaskClientFrames(t, frame)
	require.Len(t, frames, 1)
	assert.Equal(t, byte(1), frames[0].op)
	assert.Equal(t, "broadcast", string(frames[0].payload))
	assert.Equal(t, p.Frame()[2:], []byte("broadcast"), "the server's frame is left as it was")
}

// Handler routes each message to its hook.
func TestClientHandler(t *testing.T) {
	var got []string
	cl := newClient(t, "ws://example.com/", &websocket.ClientOptions{
		OnWebSocketConnect: func(c *connection.TcpConnection, resp *websocket.HandshakeResponse) {
			got = append(got, fmt.Sprint("connect ", resp.Status))
		},
		OnWebSocketPing: func(c *connection.TcpConnection, data []byte) { got = append(got, "ping "+string(data)) },
		OnWebSocketPong: func(c *connection.TcpConnection, data []byte) { got = append(got, "pong "+string(data)) },
		OnWebSocketClose: func(c *connection.TcpConnection, code int, reason string) {
			got = append(got, fmt.Sprint("close ", code, " ", reason))
		},
	})
	h := cl.Handler(func(c *connection.TcpConnection, m websocket.Message) { got = append(got, "message "+m.Text()) })
	for _, m := range []any{
		&websocket.HandshakeResponse{Status: 101}, websocket.Message{Opcode: websocket.OpText, Data: []byte("hi")},
		websocket.Ping("a"), websocket.Pong("b"), websocket.Close{Code: 1000, Reason: "bye"},
	} {
		h(nil, m)
	}
	assert.Equal(t, []string{"connect 101", "message hi", "ping a", "pong b", "close 1000 bye"}, got)
	cl.Handler(nil)(nil, websocket.Message{}) // no OnMessage: nothing to call
}

package websocket_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// The cases follow Autobahn|Testsuite's sections 1-7 (framing, pings,
// reserved bits, opcodes, fragmentation, UTF-8, close handling) and its
// limits, at reduced sizes. Each runs with the client's bytes in one write
// and again cut into writes of 1-5 bytes.

type reply struct {
	op      byte
	payload []byte
}

type wsCase struct {
	name  string
	send  [][]byte // frames, in order
	want  []reply  // frames the server sends back, in order
	close int      // the close code the server ends with; 0: none expected
}

func wsCases() []wsCase {
	big := repeat("b", 3000)
	return []wsCase{
		// 1.x: framing of text and binary echo at the length boundaries.
		{name: "1.1.1 empty text", send: [][]byte{frame(true, 1, nil, 0)}, want: []reply{{1, nil}}},
		{name: "1.1.2 text 125", send: [][]byte{frame(true, 1, repeat("*", 125), 0)}, want: []reply{{1, repeat("*", 125)}}},
		{name: "1.1.3 text 126", send: [][]byte{frame(true, 1, repeat("*", 126), 0)}, want: []reply{{1, repeat("*", 126)}}},
		{name: "1.1.4 text at MaxMessageSize", send: [][]byte{frame(true, 1, repeat("*", 2047), 0)}, want: []reply{{1, repeat("*", 2047)}}},
		{name: "1.2.1 binary 0xfe", send: [][]byte{frame(true, 2, []byte{0xfe, 0xff, 0x00}, 0)}, want: []reply{{2, []byte{0xfe, 0xff, 0x00}}}},
		// 2.x: pings and pongs.
		{name: "2.1 ping empty", send: [][]byte{frame(true, 9, nil, 0)}, want: []reply{{0xA, nil}}},
		{name: "2.3 ping binary 125", send: [][]byte{frame(true, 9, repeat("\xfe", 125), 0)}, want: []reply{{0xA, repeat("\xfe", 125)}}},
		{name: "2.5 ping 126", send: [][]byte{frame(true, 9, repeat("x", 126), 0)}, close: 1002},
		{name: "2.7 unsolicited pong", send: [][]byte{frame(true, 0xA, nil, 0), frame(true, 1, []byte("after"), 0)}, want: []reply{{1, []byte("after")}}},
		// 3.x: reserved bits.
		{name: "3.1 RSV1", send: [][]byte{frame(true, 1, []byte("x"), 4)}, close: 1002},
		{name: "3.2 RSV2 after a good frame", send: [][]byte{frame(true, 1, []byte("ok"), 0), frame(true, 1, []byte("x"), 2)}, want: []reply{{1, []byte("ok")}}, close: 1002},
		{name: "3.7 RSV on a close", send: [][]byte{frame(true, 8, nil, 7)}, close: 1002},
		// 4.x: opcodes.
		{name: "4.1.1 opcode 3", send: [][]byte{frame(true, 3, nil, 0)}, close: 1002},
		{name: "4.2.1 opcode 11", send: [][]byte{frame(true, 11, nil, 0)}, close: 1002},
		// 5.x: fragmentation.
		{name: "5.1 fragmented ping", send: [][]byte{frame(false, 9, []byte("a"), 0), frame(true, 0, []byte("b"), 0)}, close: 1002},
		{name: "5.3 text in two fragments", send: [][]byte{frame(false, 1, []byte("frag"), 0), frame(true, 0, []byte("ment"), 0)}, want: []reply{{1, []byte("fragment")}}},
		{name: "5.6 ping between fragments", send: [][]byte{frame(false, 1, []byte("fr"), 0), frame(true, 9, []byte("pong me"), 0), frame(true, 0, []byte("ag"), 0)},
			want: []reply{{0xA, []byte("pong me")}, {1, []byte("frag")}}},
		{name: "5.9 continuation first", send: [][]byte{frame(true, 0, []byte("x"), 0)}, close: 1002},
		{name: "5.18 text while fragmented", send: [][]byte{frame(false, 1, []byte("a"), 0), frame(true, 1, []byte("b"), 0)}, close: 1002},
		{name: "5.19 binary in many fragments", send: [][]byte{frame(false, 2, []byte{1}, 0), frame(false, 0, []byte{2}, 0), frame(false, 0, nil, 0), frame(true, 0, []byte{3}, 0)},
			want: []reply{{2, []byte{1, 2, 3}}}},
		// 6.x: UTF-8.
		{name: "6.2.3 multi-byte split across fragments", send: [][]byte{frame(false, 1, []byte("Hello-\xc2"), 0), frame(false, 0, []byte("\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3"), 0), frame(true, 0, []byte("\xbc\xc3\xa0\xc3\xa1-UTF-8!!"), 0)},
			want: []reply{{1, []byte("Hello-µ@ßöäüàá-UTF-8!!")}}},
		{name: "6.3.1 invalid UTF-8", send: [][]byte{frame(true, 1, invalidUTF8(), 0)}, close: 1007},
		{name: "6.4.1 invalid UTF-8 in the first fragment fails there", send: [][]byte{frame(false, 1, []byte("\xce\xba\xf4\x90\x80\x80"), 0)}, close: 1007},
		{name: "6.x truncated at the message's end", send: [][]byte{frame(true, 1, []byte("abc\xe2\x82"), 0)}, close: 1007},
		{name: "6.x surrogate", send: [][]byte{frame(true, 1, []byte("\xed\xa0\x80"), 0)}, close: 1007},
		// 7.x: close handling.
		{name: "7.1.1 close after a message", send: [][]byte{frame(true, 1, []byte("last"), 0), frame(true, 8, closePayload(1000, ""), 0)}, want: []reply{{1, []byte("last")}}, close: 1000},
		{name: "7.3.1 close without payload", send: [][]byte{frame(true, 8, nil, 0)}, close: 1005},
		{name: "7.3.2 close with one byte", send: [][]byte{frame(true, 8, []byte{0x03}, 0)}, close: 1002},
		{name: "7.3.4 close with a reason", send: [][]byte{frame(true, 8, closePayload(1000, "bye"), 0)}, close: 1000},
		{name: "7.3.6 close reason invalid UTF-8", send: [][]byte{frame(true, 8, append(closePayload(1000, ""), 0xce, 0xba, 0xed, 0xa0, 0x80), 0)}, close: 1007},
		{name: "7.5.1 frames after close are ignored", send: [][]byte{frame(true, 8, closePayload(1001, ""), 0), frame(true, 1, []byte("late"), 0)}, close: 1001},
		{name: "7.7 close code 3000", send: [][]byte{frame(true, 8, closePayload(3000, ""), 0)}, close: 3000},
		{name: "7.9.1 close code 0", send: [][]byte{frame(true, 8, closePayload(0, ""), 0)}, close: 1002},
		{name: "7.9.x close code 1004", send: [][]byte{frame(true, 8, closePayload(1004, ""), 0)}, close: 1002},
		{name: "7.9.x close code 1005", send: [][]byte{frame(true, 8, closePayload(1005, ""), 0)}, close: 1002},
		{name: "7.9.x close code 1006", send: [][]byte{frame(true, 8, closePayload(1006, ""), 0)}, close: 1002},
		{name: "7.9.x close code 1015", send: [][]byte{frame(true, 8, closePayload(1015, ""), 0)}, close: 1002},
		{name: "7.13.2 close code 5000", send: [][]byte{frame(true, 8, closePayload(5000, ""), 0)}, close: 1002},
		// Limits and masking.
		{name: "unmasked frame", send: [][]byte{{0x81, 0x02, 'h', 'i'}}, close: 1002},
		{name: "message over MaxMessageSize", send: [][]byte{frame(true, 2, big, 0)}, close: 1009},
		{name: "fragments over MaxMessageSize", send: [][]byte{frame(false, 2, big[:1000], 0), frame(false, 0, big[:1000], 0), frame(true, 0, big[:1000], 0)}, close: 1009},
	}
}

func TestConformance(t *testing.T) {
	addr := startEcho(t, &websocket.Options{MaxMessageSize: 2047})
	for _, split := range []bool{false, true} {
		for _, tc := range wsCases() {
			t.Run(fmt.Sprintf("%s/split=%v", tc.name, split), func(t *testing.T) {
				c, resp := dialWS(t, addr, split, "")
				require.Equal(t, 101, resp.StatusCode)
				for _, f := range tc.send {
					c.write(f)
				}
				for i, w := range tc.want {
					_, op, p, err := c.readFrame()
					require.NoError(t, err, "reply %d", i)
					assert.Equal(t, w.op, op, "reply %d's opcode", i)
					assert.Equal(t, string(w.payload), string(p), "reply %d's payload", i)
				}
				if tc.close != 0 {
					assert.Equal(t, tc.close, c.expectClose())
				}
			})
		}
	}
}

// Autobahn 1.1.5-1.1.6, 9.x at reduced sizes: large messages with the
// default limit, whole and in many fragments.
func TestLargeMessages(t *testing.T) {
	addr := startEcho(t, &websocket.Options{})
	c, resp := dialWS(t, addr, false, "")
	require.Equal(t, 101, resp.StatusCode)
	for _, n := range []int{65535, 65536, 1 << 20} {
		msg := repeat("\xce\xba", n/2) // UTF-8 text
		c.write(frame(true, 1, msg, 0))
		_, op, p, err := c.readFrame()
		require.NoError(t, err)
		assert.Equal(t, byte(1), op)
		assert.Equal(t, len(msg), len(p))
		var frags [][]byte
		for i := 0; i < len(msg); i += 4093 { // fragments that cut characters
			frags = append(frags, msg[i:min(i+4093, len(msg))])
		}
		for i, f := range frags {
			op := byte(0)
			if i == 0 {
				op = 1
			}
			c.write(frame(i == len(frags)-1, op, f, 0))
		}
		_, op, p, err = c.readFrame()
		require.NoError(t, err)
		assert.Equal(t, byte(1), op)
		assert.Equal(t, string(msg), string(p))
	}
}

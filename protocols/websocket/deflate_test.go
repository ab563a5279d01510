package websocket_test

import (
	"bytes"
	"compress/flate"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// deflated compresses p as a permessage-deflate sender does: a sync
// flush, its 00 00 ff ff tail removed.
func deflated(t *testing.T, p []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	require.NoError(t, err)
	_, err = w.Write(p)
	require.NoError(t, err)
	require.NoError(t, w.Flush())
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

func inflated(t *testing.T, p []byte) []byte {
	t.Helper()
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
	out, err := io.ReadAll(r)
	if err != nil && err != io.ErrUnexpectedEOF {
		require.NoError(t, err)
	}
	return out
}

const offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"

func TestDeflateNegotiation(t *testing.T) {
	on := startEcho(t, &websocket.Options{Compression: true})
	off := startEcho(t, &websocket.Options{})
	for _, tc := range []struct {
		name, addr, ext, want string
	}{
		{"accepted", on, offer, "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		{"second offer accepted", on, "Sec-WebSocket-Extensions: x-unknown, permessage-deflate\r\n", "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		{"small server window declined", on, "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n", ""},
		{"unknown parameter declined", on, "Sec-WebSocket-Extensions: permessage-deflate; foo\r\n", ""},
		{"not enabled", off, offer, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, resp := dialWS(t, tc.addr, false, tc.ext)
			require.Equal(t, 101, resp.StatusCode)
			assert.Equal(t, tc.want, resp.Header.Get("Sec-WebSocket-Extensions"))
		})
	}
}

func TestDeflateMessages(t *testing.T) {
	addr := startEcho(t, &websocket.Options{Compression: true, MaxMessageSize: 64 << 10})
	text := []byte(strings.Repeat("compress me, please. ", 200)) // 4.2 KB
	for _, split := range []bool{false, true} {
		c, resp := dialWS(t, addr, split, offer)
		require.Equal(t, 101, resp.StatusCode)

		// A compressed text message, in one frame and in two.
		z := deflated(t, text)
		c.write(frame(true, 1, z, 4))
		c.write(frame(false, 1, z[:len(z)/2], 4))
		c.write(frame(true, 0, z[len(z)/2:], 0))
		for range 2 {
			b0, p := readRaw(t, c)
			assert.Equal(t, byte(0xC1), b0, "echoed compressed: FIN, RSV1, text")
			assert.Equal(t, string(text), string(inflated(t, p)))
		}
		// Small messages go uncompressed.
		c.write(frame(true, 1, deflated(t, []byte("hi")), 4))
		b0, p := readRaw(t, c)
		assert.Equal(t, byte(0x81), b0)
		assert.Equal(t, "hi", string(p))
		// An uncompressed message on the same connection.
		c.write(frame(true, 2, []byte{1, 2, 3}, 0))
		b0, p = readRaw(t, c)
		assert.Equal(t, byte(0x82), b0)
		assert.Equal(t, []byte{1, 2, 3}, p)
	}

	for _, tc := range []struct {
		name string
		send []byte
		code int
	}{
		{"RSV1 on a continuation", append(frame(false, 1, deflated(t, []byte("a")), 4), frame(true, 0, []byte("b"), 4)...), 1002},
		{"RSV1 on a ping", frame(true, 9, nil, 4), 1002},
		{"a bomb: 1 MiB of zeros in 1 KiB", frame(true, 2, deflated(t, make([]byte, 1<<20)), 4), 1009},
		{"garbage that does not inflate", frame(true, 2, []byte{0xff, 0xfe, 0xfd, 0x00, 0x13}, 4), 1007},
		{"compressed invalid UTF-8", frame(true, 1, deflated(t, []byte("\xed\xa0\x80")), 4), 1007},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, resp := dialWS(t, addr, false, offer)
			require.Equal(t, 101, resp.StatusCode)
			c.write(tc.send)
			assert.Equal(t, tc.code, c.expectClose())
		})
	}
}

// readRaw reads one server frame and returns its first byte and payload.
func readRaw(t *testing.T, c *client) (byte, []byte) {
	t.Helper()
	var h [2]byte
	_, err := io.ReadFull(c.r, h[:])
	require.NoError(t, err)
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		_, err = io.ReadFull(c.r, l[:])
		require.NoError(t, err)
		n = int(l[0])<<8 | int(l[1])
	case 127:
		t.Fatal("no test message is that large")
	}
	p := make([]byte, n)
	_, err = io.ReadFull(c.r, p)
	require.NoError(t, err)
	return h[0], p
}

package websocket_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// One prepared frame reaches every connection of a room, and Prepare
// refuses what is not a data message.
func TestPrepareAndBroadcast(t *testing.T) {
	var mu sync.Mutex
	var room []*connection.TcpConnection
	addr := startEcho(t, &websocket.Options{
		OnWebSocketConnected: func(c *connection.TcpConnection, _ *http.Request) {
			mu.Lock()
			room = append(room, c)
			mu.Unlock()
		},
	})
	clients := make([]*client, 3)
	for i := range clients {
		c, resp := dialWS(t, addr, false, "")
		require.Equal(t, 101, resp.StatusCode)
		clients[i] = c
	}
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(room) == 3 }, 5*time.Second, 5*time.Millisecond)

	p, err := websocket.Prepare("news for all")
	require.NoError(t, err)
	mu.Lock()
	for _, c := range room {
		require.NoError(t, c.SendRaw(p))
	}
	mu.Unlock()
	for _, c := range clients {
		_, op, payload, err := c.readFrame()
		require.NoError(t, err)
		assert.Equal(t, byte(1), op)
		assert.Equal(t, "news for all", string(payload))
	}

	_, err = websocket.Prepare("\xff bad")
	assert.Error(t, err, "text must be UTF-8")
	_, err = websocket.Prepare(42)
	assert.Error(t, err)
	b, err := websocket.Prepare([]byte{1, 2})
	require.NoError(t, err)
	assert.Equal(t, []byte{0x82, 2, 1, 2}, b.Frame())
}

// A prepared message reaches connections that negotiated
// permessage-deflate compressed (compressed once for all of them) and the
// others plain, from the same Prepared.
func TestPreparedCompressedOnce(t *testing.T) {
	var mu sync.Mutex
	var room []*connection.TcpConnection
	addr := startEcho(t, &websocket.Options{
		Compression: true,
		OnWebSocketConnected: func(c *connection.TcpConnection, _ *http.Request) {
			mu.Lock()
			room = append(room, c)
			mu.Unlock()
		},
	})
	zc1, _ := dialWS(t, addr, false, offer)
	zc2, _ := dialWS(t, addr, false, offer)
	plain, _ := dialWS(t, addr, false, "")
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(room) == 3 }, 5*time.Second, 5*time.Millisecond)

	text := strings.Repeat("the same news for everyone. ", 100)
	p, err := websocket.Prepare(text)
	require.NoError(t, err)
	mu.Lock()
	for _, c := range room {
		require.NoError(t, c.SendRaw(p))
	}
	mu.Unlock()
	var wires [][]byte
	for _, c := range []*client{zc1, zc2} {
		b0, z := readRaw(t, c)
		assert.Equal(t, byte(0xC1), b0, "compressed: FIN, RSV1, text")
		assert.Less(t, len(z), len(text)/4)
		assert.Equal(t, text, string(inflated(t, z)))
		wires = append(wires, z)
	}
	assert.Equal(t, wires[0], wires[1])
	assert.Equal(t, 1, websocket.Compressions(p), "compressed once for every deflate connection")
	b0, got := readRaw(t, plain)
	assert.Equal(t, byte(0x81), b0)
	assert.Equal(t, text, string(got))
}

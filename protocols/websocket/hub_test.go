package websocket_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// Topics: a message published to a topic reaches its subscribers only,
// and a connection that closes leaves its topics.
func TestHub(t *testing.T) {
	hub := websocket.NewHub()
	addr := startEcho(t, &websocket.Options{
		OnWebSocketConnected: func(c *connection.TcpConnection, req *http.Request) {
			hub.Subscribe(c, req.Get("topic"), "all")
		},
	})
	a, _ := dialWSPath(t, addr, "/ws?topic=red", "")
	b, _ := dialWSPath(t, addr, "/ws?topic=blue", "")
	require.Eventually(t, func() bool { return hub.Subscribers("all") == 2 }, 5*time.Second, 5*time.Millisecond)

	n, err := hub.Publish("red", "for red")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = hub.Publish("all", []byte("for all"))
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	_, op, p, err := a.readFrame()
	require.NoError(t, err)
	assert.Equal(t, "for red", string(p))
	assert.Equal(t, byte(1), op)
	_, op, p, err = a.readFrame()
	require.NoError(t, err)
	assert.Equal(t, "for all", string(p))
	assert.Equal(t, byte(2), op)
	_, _, p, err = b.readFrame()
	require.NoError(t, err)
	assert.Equal(t, "for all", string(p), "blue got nothing for red")

	require.NoError(t, a.conn.Close())
	require.Eventually(t, func() bool { return hub.Subscribers("all") == 1 && hub.Subscribers("red") == 0 },
		5*time.Second, 5*time.Millisecond, "a closed connection leaves its topics")
}

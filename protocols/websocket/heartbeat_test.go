package websocket_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// The heartbeat closes a peer that stops answering pings, and keeps one
// that answers.
func TestHeartbeat(t *testing.T) {
	// Four missed pongs in a row close: an answering peer has 400 ms of
	// slack per ping on a busy machine.
	const every = 100 * time.Millisecond
	addr := startEcho(t, &websocket.Options{PingInterval: every, MaxMissedPongs: 4})

	t.Run("a silent peer is closed", func(t *testing.T) {
		c, resp := dialWS(t, addr, false, "")
		require.Equal(t, 101, resp.StatusCode)
		pings := 0
		for {
			_, op, p, err := c.readFrame()
			require.NoError(t, err)
			if op == 0x9 {
				pings++
				continue
			}
			require.Equal(t, byte(0x8), op)
			assert.Equal(t, 1001, int(p[0])<<8|int(p[1]))
			break
		}
		assert.Equal(t, 4, pings, "closed after four unanswered pings")
	})

	t.Run("a peer that answers stays", func(t *testing.T) {
		c, resp := dialWS(t, addr, false, "")
		require.Equal(t, 101, resp.StatusCode)
		deadline := time.Now().Add(10 * every)
		for time.Now().Before(deadline) {
			_, op, p, err := c.readFrame()
			require.NoError(t, err, "the connection stays open")
			require.Equal(t, byte(0x9), op, "only pings arrive")
			c.write(frame(true, 0xA, p, 0))
		}
		c.write(frame(true, 1, []byte("still here"), 0))
		for {
			_, op, p, err := c.readFrame()
			require.NoError(t, err)
			if op == 0x1 {
				assert.Equal(t, "still here", string(p))
				return
			}
		}
	})
}

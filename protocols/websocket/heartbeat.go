package websocket

import (
	"sync/atomic"
	"time"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/timer"
)

// DefaultMaxMissedPongs is how many pings in a row may go unanswered
// before the heartbeat closes the connection.
const DefaultMaxMissedPongs = 2

// heartbeat pings a connection every interval on the framework's timing
// wheel and closes it when maxMissed pings in a row got no pong: a peer
// that vanished without a FIN (a dropped network, a sleeping laptop) does
// not hold its connection forever.
type heartbeat struct {
	missed atomic.Int32
	id     atomic.Uint64
}

// startHeartbeat starts c's heartbeat; it stops when c closes.
func startHeartbeat(c *connection.TcpConnection, interval time.Duration, maxMissed int) *heartbeat {
	hb := new(heartbeat)
	hb.start(c, interval, maxMissed)
	return hb
}

// start pings c every interval until it closes, or until maxMissed
// pings in a row go unanswered.
func (hb *heartbeat) start(c *connection.TcpConnection, interval time.Duration, maxMissed int) {
	if maxMissed <= 0 {
		maxMissed = DefaultMaxMissedPongs
	}
	id, err := systimer.Add(interval, func(id timer.ID) {
		if c.Status() != connection.StatusEstablished {
			systimer.Del(id)
			return
		}
		if int(hb.missed.Add(1)) > maxMissed {
			systimer.Del(id)
			_ = c.Close(Close{Code: CloseGoingAway, Reason: "no pong"})
			return
		}
		_ = c.Send(Ping(nil))
	})
	if err != nil {
		return
	}
	hb.id.Store(uint64(id))
	c.AtClose(func(*connection.TcpConnection) { systimer.Del(timer.ID(hb.id.Load())) })
}

// pong records that the peer answered.
func (hb *heartbeat) pong() {
	if hb != nil {
		hb.missed.Store(0)
	}
}

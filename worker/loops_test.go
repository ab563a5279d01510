package worker_test

import (
	"bufio"
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/timer"
	"github.com/gnetworker/gnetworker/worker"
)

// goid is the calling goroutine's id, read from its stack header, to tell
// which goroutine a callback ran on.
func goid() int {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	n, _ := strconv.Atoi(string(b[:bytes.IndexByte(b, ' ')]))
	return n
}

// With Count = 1 and timers bound to the worker's loop, every callback of
// a ported PHP app runs on one goroutine: the timer's state needs no lock.
func TestTimersBoundToTheLoop(t *testing.T) {
	var loopG, timerG atomic.Int64
	ticks := 0 // no lock: the timer and OnMessage run on the same goroutine
	var w *worker.Worker
	w, addr := start(t, "text", func(w *worker.Worker) {
		w.Count = 1
		w.OnWorkerStart = func(w *worker.Worker) {
			_, err := timer.AddOn(w.Loop(0), 5*time.Millisecond, func(timer.ID) {
				ticks++
				timerG.Store(int64(goid()))
			})
			require.NoError(t, err)
		}
		w.OnMessage = func(c *connection.TcpConnection, line string) {
			loopG.Store(int64(goid()))
			_ = c.Send(fmt.Sprint(ticks > 0))
		}
	})
	assert.Nil(t, w.Loop(1), "there is one loop")
	eventually(t, func() bool { return timerG.Load() != 0 }, "the bound timer runs")
	conn := dial(t, addr)
	fmt.Fprint(conn, "x\n")
	assert.Equal(t, "true", readLine(t, bufio.NewReader(conn)))
	assert.Equal(t, loopG.Load(), timerG.Load(), "the timer ran on the loop's goroutine")
}

// A timer bound to a connection's loop; Del from a callback on that loop
// stops it, fires already queued included.
func TestTimerBoundToAConnection(t *testing.T) {
	fired := make(chan int, 100)
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.OnMessage = func(c *connection.TcpConnection, line string) {
			n := 0
			_, err := timer.AddOn(c, time.Millisecond, func(id timer.ID) {
				n++ // c's loop only
				fired <- n
				if n == 3 {
					timer.Del(id)
					_ = c.Send("done")
				}
			})
			require.NoError(t, err)
		}
	})
	conn := dial(t, addr)
	fmt.Fprint(conn, "go\n")
	assert.Equal(t, "done", readLine(t, bufio.NewReader(conn)))
	time.Sleep(50 * time.Millisecond)
	assert.Len(t, fired, 3, "nothing runs after Del")
	_, err := timer.AddOn(nil, time.Second, func(timer.ID) {})
	assert.ErrorIs(t, err, timer.ErrNoExecutor)
}

package worker_test

import (
	"net"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/fdbudget"
	"github.com/gnetworker/gnetworker/worker"
)

// refusedAddr is a loopback address nothing listens on.
func refusedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// oneLoopClient starts a worker with one event loop that only connects
// out.
func oneLoopClient(t *testing.T) *worker.Worker {
	w, _ := start(t, "tcp", func(w *worker.Worker) { w.Count = 1 })
	return w
}

// holdLoop queues a task on the worker's loop i that holds the loop
// until release is called; entered is closed once it holds it.
func holdLoop(t *testing.T, w *worker.Worker, i int) (entered <-chan struct{}, release func()) {
	in, gate := make(chan struct{}), make(chan struct{})
	require.NoError(t, w.Loop(i).Execute(func() {
		close(in)
		<-gate
	}))
	var once atomic.Bool
	release = func() {
		if once.CompareAndSwap(false, true) {
			close(gate)
		}
	}
	t.Cleanup(release)
	return in, release
}

// connectThenHold connects ac and holds the loop right after the
// connect's first task (which starts the dial) ran: whatever the dial
// queues on the loop comes after what the test queues meanwhile.
func connectThenHold(t *testing.T, w *worker.Worker, ac *connection.AsyncTcpConnection) (release func()) {
	entered1, release1 := holdLoop(t, w, 0)
	<-entered1
	require.NoError(t, ac.Connect())
	entered2, release2 := holdLoop(t, w, 0)
	release1()
	<-entered2
	return release2
}

// CloseAsync on an outbound connection whose connect failed (it never
// had a gnet connection) must not panic.
func TestReviewCloseAsyncAfterFailedConnect(t *testing.T) {
	w := client(t)
	ac, err := w.NewAsyncTcpConnection("text://" + refusedAddr(t))
	require.NoError(t, err)
	e := newEvents()
	e.hook(ac)
	require.NoError(t, ac.Connect())
	assert.Equal(t, "error 1", e.wait(t))
	assert.Equal(t, "close", e.wait(t))
	require.Equal(t, connection.StatusClosed, ac.Status())
	assert.NotPanics(t, func() { ac.CloseAsync() })
}

// A Close, Destroy or CloseAsync made while connecting, whose abort
// reaches the loop after gnet opened the socket, must still close the
// connection.
func TestReviewCloseWhileConnectingRacesOpen(t *testing.T) {
	for _, how := range []string{"Close", "Destroy", "CloseAsync"} {
		t.Run(how, func(t *testing.T) {
			_, addr := echoServer(t)
			w := oneLoopClient(t)
			ac, err := w.NewAsyncTcpConnection("text://" + addr)
			require.NoError(t, err)
			e := newEvents()
			e.hook(ac)
			// The loop is held while the dial completes and gnet queues
			// the registration.
			release := connectThenHold(t, w, ac)
			time.Sleep(300 * time.Millisecond)
			require.Equal(t, connection.StatusConnecting, ac.Status())
			switch how {
			case "Close":
				require.NoError(t, ac.Close())
			case "Destroy":
				ac.Destroy()
			default:
				ac.CloseAsync()
			}
			release()
			for s := e.wait(t); s != "close"; s = e.wait(t) {
				require.Equal(t, "connect", s)
			}
			assert.Equal(t, connection.StatusClosed, ac.Status())
		})
	}
}

// A second Close made while connecting must not abort the connect that
// OnClose started after the first: a stale abort gives up the new
// attempt, and the start tasks of two connects then both dial, opening
// two sockets for one connection.
func TestReviewStaleAbortHitsReconnect(t *testing.T) {
	_, addr := echoServer(t)
	w := oneLoopClient(t)
	base := fdbudget.InUse()
	ac, err := w.NewAsyncTcpConnection("text://" + addr)
	require.NoError(t, err)
	e := newEvents()
	e.hook(ac)
	var closes, connects atomic.Int32
	var giveUp atomic.Bool
	ac.OnConnect = func(c *connection.TcpConnection) {
		connects.Add(1)
		e.add("connect")
	}
	ac.OnClose = func(c *connection.TcpConnection) {
		if closes.Add(1) <= 2 && !giveUp.Load() {
			c.Async().Reconnect(0)
		}
		e.add("close")
	}
	// Both closes reach the loop after the connect's start and before
	// its dial can complete.
	entered, release := holdLoop(t, w, 0)
	<-entered
	require.NoError(t, ac.Connect())
	require.NoError(t, ac.Close())
	require.NoError(t, ac.Close())
	release()
	assert.Equal(t, "close", e.wait(t))
	assert.Equal(t, "connect", e.wait(t))
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, int32(1), closes.Load(), "OnClose runs for the aborted connect only")
	assert.Equal(t, int32(1), connects.Load(), "one reconnect, one socket")
	giveUp.Store(true)
	ac.Destroy()
	eventually(t, func() bool { return ac.Status() == connection.StatusClosed }, "closed")
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, base, fdbudget.InUse(), "descriptors counted")
	assert.Empty(t, connectionsOf(w), "no gnet connection left open")
}

// connectionsOf lists w's open connections as "id status".
func connectionsOf(w *worker.Worker) []string {
	var out []string
	for _, c := range w.Connections() {
		out = append(out, strconv.FormatUint(c.ID(), 10)+" "+c.Status().String())
	}
	return out
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A connection that has a flow (it paused once, or pipes) and holds a
// partial message must wait for the rest quietly: it must not wake its
// loop again and again while the input it holds cannot be parsed.
func TestReviewPartialInputDoesNotSpin(t *testing.T) {
	got := make(chan string, 1)
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.OnConnect = func(c *connection.TcpConnection) {
			c.PauseRecv()
			c.ResumeRecv()
		}
		w.OnMessage = func(c *connection.TcpConnection, msg string) { got <- msg }
	})
	conn := dial(t, addr)
	_, err := conn.Write([]byte("partial"))
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond)
	before := cpuTime(t)
	time.Sleep(time.Second)
	spent := cpuTime(t) - before
	assert.Less(t, spent, 300*time.Millisecond, "CPU spent in a second of waiting for the rest of a line")
	_, err = conn.Write([]byte(" line\n"))
	require.NoError(t, err)
	select {
	case s := <-got:
		assert.Equal(t, "partial line", s)
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
}

// LocalAddress may be read from any goroutine while the connection
// connects (a status page, a log line from a timer).
func TestReviewLocalAddressWhileConnecting(t *testing.T) {
	_, addr := echoServer(t)
	w := client(t)
	ac, err := w.NewAsyncTcpConnection("text://" + addr)
	require.NoError(t, err)
	e := newEvents()
	e.hook(ac)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				_ = ac.LocalAddress()
			}
		}
	}()
	require.NoError(t, ac.Connect())
	assert.Equal(t, "connect", e.wait(t))
	close(stop)
	<-done
	ac.Destroy()
	assert.Equal(t, "close", e.wait(t))
}

package ssehub_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/leaktest"
	"github.com/gnetworker/gnetworker/internal/systimer"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/ssehub"
	"github.com/gnetworker/gnetworker/worker"
)

// server starts an http worker whose event-stream requests subscribe to
// the topics named in ?topic= (comma-separated, default "t"); the worker
// stops and the hub closes when the test ends.
func server(t *testing.T, hub *ssehub.Hub, setup func(w *worker.Worker)) string {
	t.Helper()
	w := newServer(t, hub, setup)
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop(); hub.Close() })
	return w.Addr().String()
}

// startWorker is server without the cleanup.
func startWorker(t *testing.T, hub *ssehub.Hub) *worker.Worker {
	t.Helper()
	w := newServer(t, hub, nil)
	require.NoError(t, w.Start())
	return w
}

func newServer(t *testing.T, hub *ssehub.Hub, setup func(w *worker.Worker)) *worker.Worker {
	t.Helper()
	w, err := worker.New("http://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 2
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		topics := req.Get("topic")
		if topics == "" {
			topics = "t"
		}
		require.NoError(t, hub.Subscribe(c, req, strings.Split(topics, ",")...))
	}
	if setup != nil {
		setup(w)
	}
	return w
}

// event is one parsed event-stream block.
type event struct{ name, id, data, comment string }

type client struct {
	conn net.Conn
	r    *bufio.Reader
}

// subscribe opens an event stream and checks its response head.
func subscribe(t *testing.T, addr, query, lastID string) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	req := "GET /events" + query + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
	if lastID != "" {
		req += "Last-Event-ID: " + lastID + "\r\n"
	}
	_, err = conn.Write([]byte(req + "\r\n"))
	require.NoError(t, err)
	c := &client{conn: conn, r: bufio.NewReader(conn)}
	status, err := c.r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "HTTP/1.1 200 OK\r\n", status)
	for {
		line, err := c.r.ReadString('\n')
		require.NoError(t, err)
		if line == "\r\n" {
			break
		}
		if strings.HasPrefix(strings.ToLower(line), "content-type:") {
			assert.Contains(t, line, "text/event-stream")
		}
	}
	return c
}

// next reads one event block, skipping heartbeats unless wanted.
func (c *client) next(t *testing.T, heartbeats bool) event {
	t.Helper()
	for {
		ev, err := c.read()
		require.NoError(t, err)
		if ev.comment != "" && ev.name == "" && ev.data == "" && !heartbeats {
			continue
		}
		return ev
	}
}

// read reads one event block.
func (c *client) read() (event, error) {
	var ev event
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			return ev, nil
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			ev.comment = value
		case "event":
			ev.name = value
		case "id":
			ev.id = value
		case "data":
			ev.data = value
		}
	}
}

// rawGet sends a GET and returns the response's status line.
func rawGet(t *testing.T, addr, target string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	_, err = conn.Write([]byte("GET " + target + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"))
	require.NoError(t, err)
	status, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	return status
}

func publish(t *testing.T, hub *ssehub.Hub, topic string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id, err := hub.Publish(topic, http.ServerSentEvents{Event: "msg", Data: fmt.Sprintf("%s-%d", topic, i)})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	return ids
}

// waitSubscribers waits until the hub holds n subscribers.
func waitSubscribers(t *testing.T, hub *ssehub.Hub, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return hub.Subscribers("") == n }, 10*time.Second, 5*time.Millisecond,
		"want %d subscribers, have %d", n, hub.Subscribers(""))
}

func TestFanOutToTopics(t *testing.T) {
	hub := ssehub.New(ssehub.Options{})
	addr := server(t, hub, nil)
	a := subscribe(t, addr, "?topic=news", "")
	b := subscribe(t, addr, "?topic=news,sport", "")
	c := subscribe(t, addr, "?topic=sport", "")
	waitSubscribers(t, hub, 3)
	assert.Equal(t, 2, hub.Subscribers("news"))

	publish(t, hub, "news", 1)
	publish(t, hub, "sport", 1)
	assert.Equal(t, event{name: "msg", id: "1", data: "news-0"}, a.next(t, false))
	assert.Equal(t, event{name: "msg", id: "1", data: "news-0"}, b.next(t, false))
	assert.Equal(t, event{name: "msg", id: "2", data: "sport-0"}, b.next(t, false))
	assert.Equal(t, event{name: "msg", id: "2", data: "sport-0"}, c.next(t, false))
}

func TestReconnectReplaysExactlyTheMissedEvents(t *testing.T) {
	hub := ssehub.New(ssehub.Options{})
	addr := server(t, hub, nil)
	first := subscribe(t, addr, "?topic=a,b", "")
	waitSubscribers(t, hub, 1)
	publish(t, hub, "a", 2) // ids 1, 2
	for _, want := range []string{"1", "2"} {
		assert.Equal(t, want, first.next(t, false).id)
	}
	_ = first.conn.Close() // the client drops after id 2
	waitSubscribers(t, hub, 0)

	publish(t, hub, "a", 2)     // 3, 4: missed
	publish(t, hub, "other", 1) // 5: not its topic
	publish(t, hub, "b", 1)     // 6: missed
	again := subscribe(t, addr, "?topic=a,b", "2")
	waitSubscribers(t, hub, 1)
	publish(t, hub, "b", 1) // 7: live
	var got []event
	for range 4 {
		got = append(got, again.next(t, false))
	}
	assert.Equal(t, []event{
		{name: "msg", id: "3", data: "a-0"},
		{name: "msg", id: "4", data: "a-1"},
		{name: "msg", id: "6", data: "b-0"},
		{name: "msg", id: "7", data: "b-0"},
	}, got)
}

func TestReconnectBeyondReplayGetsReset(t *testing.T) {
	hub := ssehub.New(ssehub.Options{ReplaySize: 3})
	addr := server(t, hub, nil)
	publish(t, hub, "t", 10)
	tests := []struct {
		name, lastID string
		want         event
	}{
		{"evicted", "2", event{name: "reset", id: "10", data: "missed events are no longer held"}},
		{"from the future", "99", event{name: "reset", id: "10", data: "missed events are no longer held"}},
		{"garbage", "abc", event{name: "reset", id: "10", data: "missed events are no longer held"}},
		{"still held", "8", event{name: "msg", id: "9", data: "t-8"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := subscribe(t, addr, "", tc.lastID)
			assert.Equal(t, tc.want, c.next(t, false))
		})
	}
}

func TestHeartbeat(t *testing.T) {
	hub := ssehub.New(ssehub.Options{Heartbeat: 20 * time.Millisecond})
	addr := server(t, hub, nil)
	c := subscribe(t, addr, "", "")
	ev := c.next(t, true)
	assert.Equal(t, "heartbeat", ev.comment)
}

// TestSlowSubscriber: a subscriber that does not read is dropped (or
// skipped) while a reading one gets every event.
func TestSlowSubscriber(t *testing.T) {
	for _, policy := range []ssehub.SlowPolicy{ssehub.DropSubscriber, ssehub.SkipEvents} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			hub := ssehub.New(ssehub.Options{SlowPolicy: policy, ReplaySize: -1})
			addr := server(t, hub, func(w *worker.Worker) { w.MaxSendBufferSize = 64 << 10 })
			slow := subscribe(t, addr, "", "")
			fast := subscribe(t, addr, "", "")
			waitSubscribers(t, hub, 2)
			big := strings.Repeat("x", 8<<10)
			const n = 2000 // 16 MiB: far more than socket buffers and the send buffer hold
			done := make(chan int)
			progress := make(chan int, n)
			go func() {
				defer close(progress) // a failed read must not leave the publisher waiting
				got := 0
				for got < n {
					if fast.next(t, false).data == big {
						got++
						progress <- got
					}
				}
				done <- got
			}()
			// Publish no further than 4 events ahead of the reading
			// subscriber, so only the one that does not read falls behind.
			received := 0
			for i := range n {
				for received < i-4 {
					r, ok := <-progress
					require.True(t, ok, "the reading subscriber stopped after %d events", received)
					received = r
				}
				_, err := hub.Publish("t", http.ServerSentEvents{Data: big})
				require.NoError(t, err)
			}
			select {
			case got := <-done:
				assert.Equal(t, n, got, "the reading subscriber gets every event")
			case <-time.After(20 * time.Second):
				t.Fatal("the reading subscriber was held up")
			}
			if policy == ssehub.DropSubscriber {
				waitSubscribers(t, hub, 1)
				_, err := io.Copy(io.Discard, slow.conn)
				assert.NoError(t, err, "the slow subscriber's connection is closed")
			} else {
				assert.Equal(t, 2, hub.Subscribers(""), "the slow subscriber stays")
			}
		})
	}
}

// TestNoLeakAfterClientsDrop: 2,000 SSE clients connect and drop; pending
// timers, subscribers and goroutines return to their starting counts.
func TestNoLeakAfterClientsDrop(t *testing.T) {
	hub := ssehub.New(ssehub.Options{Heartbeat: time.Second})
	addr := server(t, hub, nil)
	timersBefore := systimer.Len()
	// Count goroutines from a server that has served a client: gnet starts
	// its loop goroutines asynchronously.
	warm := subscribe(t, addr, "", "")
	waitSubscribers(t, hub, 1)
	_ = warm.conn.Close()
	waitSubscribers(t, hub, 0)
	require.Eventually(t, func() bool { return systimer.Len() == timersBefore }, 5*time.Second, 5*time.Millisecond,
		"the heartbeat stops with the last subscriber")
	goroutinesBefore := leaktest.Goroutines()

	const clients = 2000
	conns := make([]net.Conn, 0, clients)
	var dialed atomic.Int32
	for i := range clients {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err)
		target := "/e"
		if i%2 == 1 {
			target = "/e?topic=t,u" // half of them on two topics
		}
		_, err = conn.Write([]byte("GET " + target + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"))
		require.NoError(t, err)
		conns = append(conns, conn)
		dialed.Add(1)
	}
	waitSubscribers(t, hub, clients)
	assert.Equal(t, clients/2, hub.Subscribers("u"))
	publish(t, hub, "t", 3)
	assert.Equal(t, timersBefore+1, systimer.Len(), "one heartbeat timer for the whole hub")
	for _, conn := range conns {
		_ = conn.Close()
	}
	waitSubscribers(t, hub, 0)
	subs, more, topics := ssehub.Held(hub)
	assert.Zero(t, subs)
	assert.Zero(t, more, "no subscriber's extra topics left behind")
	assert.Equal(t, 1, topics, `only "t" remains, for its replay ring; "u" had no events`)
	assert.Eventually(t, func() bool { return systimer.Len() == timersBefore }, 5*time.Second, 10*time.Millisecond,
		"pending timers back to %d, have %d", timersBefore, systimer.Len())
	leaktest.WaitGoroutines(t, goroutinesBefore, 15*time.Second)
}

// A connection that closes while it is being subscribed from another
// goroutine must not deadlock the hub: its close hook, which takes the
// hub's lock, may run at once.
func TestSubscribeRacingClose(t *testing.T) {
	hub := ssehub.New(ssehub.Options{Heartbeat: -1})
	topics := make([]string, 100000) // a long Subscribe: a wide window for the close
	for i := range topics {
		topics[i] = "t" + strconv.Itoa(i)
	}
	done := make(chan error, 1)
	addr := server(t, hub, func(w *worker.Worker) {
		w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
			r := req.Clone()
			go func() {
				go func() { // close c once the response header is staged
					for c.BufferedOutput() == 0 && c.BytesWritten() == 0 {
						time.Sleep(50 * time.Microsecond)
					}
					c.Destroy()
				}()
				done <- hub.Subscribe(c, r, topics...)
			}()
		}
	})
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Subscribe deadlocked with the connection's close hook")
	}
	waitSubscribers(t, hub, 0)
	_, err = hub.Publish("t1", http.ServerSentEvents{Data: "the hub still works"})
	assert.NoError(t, err)
}

// With no replay ring (ReplaySize < 0) a client that missed an event gets
// the reset event, even after its topic had no subscribers for a while.
func TestNoReplayStillResets(t *testing.T) {
	hub := ssehub.New(ssehub.Options{ReplaySize: -1, Heartbeat: -1})
	addr := server(t, hub, nil)
	first := subscribe(t, addr, "", "")
	waitSubscribers(t, hub, 1)
	ids := publish(t, hub, "t", 1)
	assert.Equal(t, ids[0], first.next(t, false).id)
	_ = first.conn.Close()
	waitSubscribers(t, hub, 0)

	publish(t, hub, "t", 1) // missed
	again := subscribe(t, addr, "", ids[0])
	assert.Equal(t, "reset", again.next(t, false).name)
}

// OnBufferFull runs on the connection's loop, not inside Publish with the
// hub's lock held: a handler that unsubscribes the slow client is fine.
func TestBufferFullHandlerMayUseTheHub(t *testing.T) {
	hub := ssehub.New(ssehub.Options{Heartbeat: -1, SlowPolicy: ssehub.SkipEvents})
	var fullCalls atomic.Int32
	addr := server(t, hub, func(w *worker.Worker) {
		w.MaxSendBufferSize = 64 << 10
		w.OnBufferFull = func(c *connection.TcpConnection) {
			fullCalls.Add(1)
			hub.Unsubscribe(c)
		}
	})
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")) // and never read
	require.NoError(t, err)
	waitSubscribers(t, hub, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2000 { // 16 MiB: far more than the socket buffers hold
			_, _ = hub.Publish("t", http.ServerSentEvents{Data: strings.Repeat("x", 8<<10)})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish deadlocked with OnBufferFull")
	}
	waitSubscribers(t, hub, 0)
	assert.GreaterOrEqual(t, fullCalls.Load(), int32(1))
}

package ssehub_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/bus"
	"github.com/gnetworker/gnetworker/bus/redisbus"
	"github.com/gnetworker/gnetworker/internal/leaktest"
	"github.com/gnetworker/gnetworker/internal/redistest"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/ssehub"
)

// These tests run hubs as nodes of one cluster on a real redis-server,
// each hub on its own worker and bus, as separate processes would be.

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// node dials a bus to srv; it closes after the hubs using it (cleanups
// run last first).
func node(t *testing.T, srv *redistest.Server, opts redisbus.Options) *redisbus.Bus {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	b, err := redisbus.Dial(srv.URL(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// sharedHub starts a worker whose hub uses log as its backend.
func sharedHub(t *testing.T, log bus.Log, opts ssehub.Options) (*ssehub.Hub, string) {
	t.Helper()
	opts.Backend = log
	hub := ssehub.New(opts)
	return hub, server(t, hub, nil)
}

func TestSharedPublishReachesEveryNodeWithOneID(t *testing.T) {
	srv := redistest.Start(t)
	hubA, addrA := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{})
	hubB, addrB := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{})
	a := subscribe(t, addrA, "?topic=news", "")
	b := subscribe(t, addrB, "?topic=news", "")
	waitSubscribers(t, hubA, 1)
	waitSubscribers(t, hubB, 1)

	id, err := hubA.Publish("news", http.ServerSentEvents{Event: "post", Data: "hello"})
	require.NoError(t, err)
	assert.Regexp(t, `^\d+-\d+$`, id, "event ids are stream ids")
	want := event{name: "post", id: id, data: "hello"}
	assert.Equal(t, want, a.next(t, false))
	assert.Equal(t, want, b.next(t, false))

	id2, err := hubB.Publish("news", http.ServerSentEvents{Data: "from b"})
	require.NoError(t, err)
	assert.Equal(t, event{id: id2, data: "from b"}, a.next(t, false))
	assert.Equal(t, event{id: id2, data: "from b"}, b.next(t, false))
	assert.Equal(t, id2, hubA.LastID())
}

func TestSharedReplayAcrossNodes(t *testing.T) {
	srv := redistest.Start(t)
	hubA, _ := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{})
	hubB, addrB := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{})
	ids := publish(t, hubA, "t", 5) // nobody subscribed anywhere
	publish(t, hubA, "other", 2)

	c := subscribe(t, addrB, "", ids[1]) // it saw the first two, on node A
	for i := 2; i < 5; i++ {
		assert.Equal(t, event{name: "msg", id: ids[i], data: fmt.Sprintf("t-%d", i)}, c.next(t, false))
	}
	waitSubscribers(t, hubB, 1)
	live, err := hubA.Publish("t", http.ServerSentEvents{Data: "live"})
	require.NoError(t, err)
	assert.Equal(t, event{id: live, data: "live"}, c.next(t, false))

	// Reconnecting with the newest id replays nothing.
	d := subscribe(t, addrB, "", live)
	waitSubscribers(t, hubB, 2)
	next, err := hubA.Publish("t", http.ServerSentEvents{Data: "next"})
	require.NoError(t, err)
	assert.Equal(t, event{id: next, data: "next"}, d.next(t, false))
}

func TestSharedReplayResets(t *testing.T) {
	srv := redistest.Start(t)
	hubA, _ := sharedHub(t, node(t, srv, redisbus.Options{MaxLen: 10}), ssehub.Options{})
	_, addrB := sharedHub(t, node(t, srv, redisbus.Options{MaxLen: 10}), ssehub.Options{ReplaySize: 300})
	ids := publish(t, hubA, "t", 400) // MAXLEN ~ 10 trims whole nodes of 100
	newest := ids[len(ids)-1]
	reset := event{name: "reset", id: newest, data: "missed events are no longer held"}
	for _, tc := range []struct{ name, lastID string }{
		{"trimmed", ids[0]},
		{"garbage", "abc"},
		{"from the future", "99999999999999-0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, reset, subscribe(t, addrB, "", tc.lastID).next(t, false))
		})
	}
	t.Run("more than ReplaySize", func(t *testing.T) {
		srv := redistest.Start(t)
		hubA, _ := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{})
		_, addrB := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{ReplaySize: 3})
		ids := publish(t, hubA, "t", 10)
		assert.Equal(t, "reset", subscribe(t, addrB, "", ids[5]).next(t, false).name)
		assert.Equal(t, ids[8], subscribe(t, addrB, "", ids[7]).next(t, false).id, "3 missed: replayed")
	})
}

// Anyone who can XADD publishes, in the documented format.
func TestSharedPublishWithXADD(t *testing.T) {
	srv := redistest.Start(t)
	hub, addr := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{})
	c := subscribe(t, addr, "?topic=news", "")
	waitSubscribers(t, hub, 1)

	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	id, err := rdb.XAdd(context.Background(), &redis.XAddArgs{
		Stream: "gnetworker:sse:news", MaxLen: 1000, Approx: true, Values: []string{"event", "post", "data", "line1\nline2"},
	}).Result()
	require.NoError(t, err)
	got := c.next(t, false)
	assert.Equal(t, "post", got.name)
	assert.Equal(t, id, got.id)
	assert.Equal(t, "line2", got.data, "the last data line (the test client keeps the last)")

	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Log("redis-cli is not installed: the XADD through go-redis above stands for it")
		return
	}
	out, err := exec.Command(cli, "-h", "127.0.0.1", "-p", strings.Split(srv.Addr(), ":")[1],
		"XADD", "gnetworker:sse:news", "MAXLEN", "~", "1000", "*", "data", "from redis-cli").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, event{id: strings.TrimSpace(string(out)), data: "from redis-cli"}, c.next(t, false))
}

func TestSharedBadTopics(t *testing.T) {
	srv := redistest.Start(t)
	b := node(t, srv, redisbus.Options{})
	hub := ssehub.New(ssehub.Options{Backend: b, Topics: []string{"news"}})
	defer hub.Close()
	for _, tc := range []struct {
		topic string
		want  error
	}{
		{"", ssehub.ErrBadTopic},
		{"a\nb", ssehub.ErrBadTopic},
		{strings.Repeat("x", ssehub.MaxTopicLength+1), ssehub.ErrBadTopic},
		{"\xff", ssehub.ErrBadTopic},
		{"sport", ssehub.ErrUnknownTopic},
	} {
		_, err := hub.Publish(tc.topic, http.ServerSentEvents{Data: "x"})
		assert.ErrorIs(t, err, tc.want, "%q", tc.topic)
	}
	_, err := hub.Publish("news", http.ServerSentEvents{Event: "a\nb"})
	assert.Error(t, err, "an invalid event")
	_, err = hub.Publish("news", http.ServerSentEvents{Data: "ok"})
	assert.NoError(t, err)
}

// collector reads events into a slice until it sees the one whose data is
// last, or its connection fails.
type collector struct {
	mu     sync.Mutex
	events []event
	done   chan struct{}
	err    error
}

func collect(t *testing.T, c *client, last string) *collector {
	col := &collector{done: make(chan struct{})}
	_ = c.conn.SetDeadline(time.Now().Add(90 * time.Second))
	go func() {
		defer close(col.done)
		for {
			ev, err := c.read()
			if err != nil {
				col.err = err
				return
			}
			if ev.comment != "" && ev.data == "" {
				continue
			}
			col.mu.Lock()
			col.events = append(col.events, ev)
			col.mu.Unlock()
			if ev.data == last {
				return
			}
		}
	}()
	return col
}

// check asserts the collector got events data-0 .. data-(n-1) in order,
// with increasing ids, and returns how many it got twice.
func (col *collector) check(t *testing.T, prefix string, n int) (dups int) {
	t.Helper()
	select {
	case <-col.done:
	case <-time.After(90 * time.Second):
		t.Fatalf("collector still waiting; got %d events", len(col.events))
	}
	require.NoError(t, col.err)
	next, lastID := 0, ""
	for _, ev := range col.events {
		i, err := strconv.Atoi(strings.TrimPrefix(ev.data, prefix))
		require.NoError(t, err, "event %+v", ev)
		require.Greater(t, redisbus.CompareIDs(ev.id, lastID), 0, "ids increase")
		lastID = ev.id
		if i < next {
			dups++
			continue
		}
		require.Equal(t, next, i, "in order, nothing lost")
		next++
	}
	require.Equal(t, n, next)
	return dups
}

// publishAll publishes data prefix0..prefix(n-1) with PublishAsync, calling
// at(i) before each, and waits for every done.
func publishAll(t *testing.T, hub *ssehub.Hub, topic, prefix string, n int, at func(i int)) {
	t.Helper()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range n {
		at(i)
		wg.Add(1)
		err := hub.PublishAsync(topic, http.ServerSentEvents{Data: prefix + strconv.Itoa(i)}, func(_ string, err error) {
			if err != nil {
				failed.Add(1)
				t.Errorf("publish %d: %v", i, err)
			}
			wg.Done()
		})
		require.NoError(t, err)
	}
	wg.Wait()
	require.Zero(t, failed.Load())
}

func TestSharedRedisRestartLosesNothing(t *testing.T) {
	srv := redistest.Start(t)
	hubA, addrA := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{})
	hubB, addrB := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{})
	var cols []*collector
	for _, addr := range []string{addrA, addrB, addrA, addrB} {
		cols = append(cols, collect(t, subscribe(t, addr, "", ""), "e-299"))
	}
	waitSubscribers(t, hubA, 2)
	waitSubscribers(t, hubB, 2)

	publishAll(t, hubA, "t", "e-", 300, func(i int) {
		switch i {
		case 100:
			srv.Kill()
		case 150:
			time.Sleep(500 * time.Millisecond) // publishes queue meanwhile
			srv.Restart()
		}
		time.Sleep(time.Millisecond)
	})
	for i, col := range cols {
		assert.Zero(t, col.check(t, "e-", 300), "subscriber %d: duplicates", i)
	}
}

func TestSharedThousandSubscribersAcrossRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 subscribers: not with -short")
	}
	srv := redistest.Start(t)
	hubA, addrA := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{})
	hubB, addrB := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{})
	const n, events = 1000, 60
	cols := make([]*collector, n)
	for i := range n {
		addr := addrA
		if i%2 == 1 {
			addr = addrB
		}
		cols[i] = collect(t, subscribe(t, addr, "", ""), "e-"+strconv.Itoa(events-1))
	}
	waitSubscribers(t, hubA, n/2)
	waitSubscribers(t, hubB, n/2)
	publishAll(t, hubB, "t", "e-", events, func(i int) {
		switch i {
		case 20:
			srv.Kill()
		case 30:
			srv.Restart()
		}
		time.Sleep(5 * time.Millisecond)
	})
	for _, col := range cols {
		require.Zero(t, col.check(t, "e-", events), "duplicates")
	}
}

// A subscriber waits for the backend: it gets 503 when Redis stays down,
// unless its topic is already read on this node.
func TestSharedRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	hub, addr := sharedHub(t, node(t, srv, redisbus.Options{QueueTimeout: time.Second}), ssehub.Options{JoinTimeout: time.Second})
	first := subscribe(t, addr, "?topic=up", "")
	waitSubscribers(t, hub, 1)
	srv.Kill()

	second := subscribe(t, addr, "?topic=up", "") // no round trip: "up" is read here
	waitSubscribers(t, hub, 2)

	status := rawGet(t, addr, "/events?topic=new")
	assert.Contains(t, status, "503", "a topic new to the node needs Redis")

	_, err := hub.Publish("up", http.ServerSentEvents{Data: "lost?"})
	assert.ErrorIs(t, err, bus.ErrTimeout, "a publish that cannot be stored says so")

	srv.Restart()
	id, err := hub.Publish("up", http.ServerSentEvents{Data: "back"})
	require.NoError(t, err)
	assert.Equal(t, event{id: id, data: "back"}, first.next(t, false))
	assert.Equal(t, event{id: id, data: "back"}, second.next(t, false))
}

func TestSharedPublishQueueBound(t *testing.T) {
	srv := redistest.Start(t)
	hub := ssehub.New(ssehub.Options{Backend: node(t, srv, redisbus.Options{QueueSize: 4, QueueTimeout: time.Minute})})
	defer hub.Close()
	srv.Kill()
	var errs []error
	for range 20 {
		errs = append(errs, hub.PublishAsync("t", http.ServerSentEvents{Data: "x"}, nil))
	}
	assert.Contains(t, errs, bus.ErrQueueFull, "beyond the bound, a publish is refused, not dropped")
}

// stalledLog is a node whose reading is stuck until released.
type stalledLog struct {
	bus.Log
	release chan struct{}
}

func (s stalledLog) Watch(ctx context.Context, stream string, sink bus.Sink) (string, error) {
	return s.Log.Watch(ctx, stream, func(stream string, e []bus.Entry, gap bool) {
		<-s.release
		sink(stream, e, gap)
	})
}

func TestSharedSlowNodeSlowsNobody(t *testing.T) {
	srv := redistest.Start(t)
	hubA, addrA := sharedHub(t, node(t, srv, redisbus.Options{}), ssehub.Options{})
	stalled := stalledLog{Log: node(t, srv, redisbus.Options{}), release: make(chan struct{})}
	hubC, addrC := sharedHub(t, stalled, ssehub.Options{})
	a := collect(t, subscribe(t, addrA, "", ""), "e-49")
	c := collect(t, subscribe(t, addrC, "", ""), "e-49")
	waitSubscribers(t, hubA, 1)
	waitSubscribers(t, hubC, 1)

	publishAll(t, hubA, "t", "e-", 50, func(int) {})
	a.check(t, "e-", 50) // while node C reads nothing
	c.mu.Lock()
	assert.Empty(t, c.events)
	c.mu.Unlock()
	close(stalled.release)
	c.check(t, "e-", 50)
}

// Subscribers that leave, mid-join or after, leave nothing behind: no
// subscriber, topic or watch; closing hub and bus leaves no goroutine.
func TestSharedNoLeak(t *testing.T) {
	srv := redistest.Start(t)
	// gnet's goroutine pool keeps an idle worker for a while after a
	// worker stops: count from a started worker.
	warm := startWorker(t, ssehub.New(ssehub.Options{}))
	require.NoError(t, warm.Stop())
	before := leaktest.Goroutines()
	b, err := redisbus.Dial(srv.URL(), redisbus.Options{Logger: quiet})
	require.NoError(t, err)
	hub := ssehub.New(ssehub.Options{Backend: b})
	w := startWorker(t, hub)
	addr := w.Addr().String()
	var clients []*client
	for i := range 50 {
		clients = append(clients, subscribe(t, addr, "?topic=t"+strconv.Itoa(i%5)+",all", ""))
	}
	waitSubscribers(t, hub, 50)
	for i := range 20 { // these drop while joining
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		_, _ = fmt.Fprintf(conn, "GET /events?topic=new%d HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1-0\r\n\r\n", i)
		_ = conn.Close()
	}
	for _, c := range clients {
		_ = c.conn.Close()
	}
	waitSubscribers(t, hub, 0)
	require.Eventually(t, func() bool {
		subs, more, topics := ssehub.Held(hub)
		return subs+more+topics == 0
	}, 10*time.Second, 10*time.Millisecond, "the hub holds nothing")
	require.NoError(t, w.Stop())
	hub.Close()
	require.NoError(t, b.Close())
	leaktest.WaitGoroutines(t, before, 15*time.Second)
}

package redisbus_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/bus"
	"github.com/gnetworker/gnetworker/bus/redisbus"
	"github.com/gnetworker/gnetworker/internal/leaktest"
	"github.com/gnetworker/gnetworker/internal/redistest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func dial(t *testing.T, url string, opts redisbus.Options) *redisbus.Bus {
	t.Helper()
	opts.Logger = quiet
	b, err := redisbus.Dial(url, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestCompareIDs(t *testing.T) {
	for _, tc := range []struct {
		x, y string
		want int
	}{
		{"1-0", "1-0", 0},
		{"1-1", "1-0", 1},
		{"2-0", "10-0", -1},
		{"1733140000000-5", "1733140000000-12", -1},
		{"x", "0-0", -1},
		{"", "", 0},
		{"1-0", "", 1},
		{"1", "1-0", -1},
	} {
		assert.Equal(t, tc.want, redisbus.CompareIDs(tc.x, tc.y), "%q vs %q", tc.x, tc.y)
	}
}

func TestDialRejectsBadURL(t *testing.T) {
	_, err := redisbus.Dial("http://nope", redisbus.Options{})
	assert.Error(t, err)
}

// recorder is a sink that keeps what it gets.
type recorder struct {
	mu      sync.Mutex
	entries []bus.Entry
	gaps    int
}

func (r *recorder) sink(_ string, e []bus.Entry, gap bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e...)
	if gap {
		r.gaps++
	}
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

func appendWait(t *testing.T, b *redisbus.Bus, stream string, fields ...string) string {
	t.Helper()
	ch := make(chan string, 1)
	require.NoError(t, b.Append(stream, fields, func(id string, err error) {
		assert.NoError(t, err)
		ch <- id
	}))
	select {
	case id := <-ch:
		return id
	case <-time.After(30 * time.Second):
		t.Fatal("append never done")
		return ""
	}
}

func TestAppendsKeepTheirOrder(t *testing.T) {
	srv := redistest.Start(t)
	b := dial(t, srv.URL(), redisbus.Options{})
	const n = 2000
	ids := make([]string, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		require.NoError(t, b.Append("s", []string{"i", strconv.Itoa(i)}, func(id string, err error) {
			assert.NoError(t, err)
			ids[i] = id
			wg.Done()
		}))
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		require.Equal(t, 1, redisbus.CompareIDs(ids[i], ids[i-1]), "entry %d", i)
	}
	entries, complete, err := b.Range(context.Background(), "s", ids[n-20], ids[n-10], 100)
	require.NoError(t, err)
	assert.True(t, complete)
	require.Len(t, entries, 10)
	v, _ := entries[0].Field("i")
	assert.Equal(t, strconv.Itoa(n-19), v)
	_, complete, err = b.Range(context.Background(), "s", ids[0], "", 100)
	require.NoError(t, err)
	assert.False(t, complete, "MAXLEN ~ 1000 trimmed the first entries")

	assert.Error(t, b.Append("s", []string{"odd"}, nil), "fields come in pairs")
}

func TestWatchDeliversFromItsPlace(t *testing.T) {
	srv := redistest.Start(t)
	a := dial(t, srv.URL(), redisbus.Options{})
	b := dial(t, srv.URL(), redisbus.Options{})
	before := appendWait(t, a, "s", "n", "old")
	var rec recorder
	last, err := b.Watch(context.Background(), "s", rec.sink)
	require.NoError(t, err)
	assert.Equal(t, before, last)
	// A second stream on the same reader, watched while it blocks.
	var rec2 recorder
	_, err = b.Watch(context.Background(), "other", rec2.sink)
	require.NoError(t, err)
	id := appendWait(t, a, "s", "n", "new")
	appendWait(t, a, "other", "n", "x")
	require.Eventually(t, func() bool { return rec.len() == 1 && rec2.len() == 1 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, id, rec.entries[0].ID)

	b.Unwatch("s")
	appendWait(t, a, "s", "n", "unwatched")
	appendWait(t, a, "other", "n", "y")
	require.Eventually(t, func() bool { return rec2.len() == 2 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, 1, rec.len())
}

// A node cut off from Redis while the stream moved past its window hears
// of the gap, and goes on from the oldest entry held.
func TestReaderReportsEntriesTrimmedDuringOutage(t *testing.T) {
	srv := redistest.Start(t)
	proxy := redistest.NewProxy(t, srv)
	writer := dial(t, srv.URL(), redisbus.Options{MaxLen: 10})
	reader := dial(t, proxy.URL(), redisbus.Options{MaxBackoff: 100 * time.Millisecond})
	var rec recorder
	_, err := reader.Watch(context.Background(), "s", rec.sink)
	require.NoError(t, err)
	appendWait(t, writer, "s", "n", "0")
	require.Eventually(t, func() bool { return rec.len() == 1 }, 10*time.Second, 5*time.Millisecond)

	proxy.Cut()
	for i := range 500 { // MAXLEN ~ 10 trims whole nodes of 100 entries
		appendWait(t, writer, "s", "n", strconv.Itoa(i+1))
	}
	proxy.Heal()
	last := appendWait(t, writer, "s", "n", "after")
	require.Eventually(t, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.entries) > 0 && rec.entries[len(rec.entries)-1].ID == last
	}, 20*time.Second, 10*time.Millisecond)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, 1, rec.gaps)
	assert.Less(t, len(rec.entries), 500, "the trimmed entries are not there")
	for i := 1; i < len(rec.entries); i++ {
		assert.Equal(t, 1, redisbus.CompareIDs(rec.entries[i].ID, rec.entries[i-1].ID))
	}
}

func TestRangeReportsTrimming(t *testing.T) {
	srv := redistest.Start(t)
	b := dial(t, srv.URL(), redisbus.Options{MaxLen: 10})
	first := appendWait(t, b, "s", "n", "0")
	for i := range 300 {
		appendWait(t, b, "s", "n", strconv.Itoa(i+1))
	}
	_, complete, err := b.Range(context.Background(), "s", first, "", 1000)
	require.NoError(t, err)
	assert.False(t, complete)
	_, complete, err = b.Range(context.Background(), "nothing", "1-0", "", 10)
	require.NoError(t, err)
	assert.True(t, complete, "a stream that never was lost nothing")
}

func TestPresenceAcrossNodes(t *testing.T) {
	srv := redistest.Start(t)
	proxy := redistest.NewProxy(t, srv)
	ttl := 900 * time.Millisecond
	a := dial(t, srv.URL(), redisbus.Options{PresenceTTL: ttl})
	b := dial(t, srv.URL(), redisbus.Options{PresenceTTL: ttl})
	c := dial(t, proxy.URL(), redisbus.Options{PresenceTTL: ttl, MaxBackoff: 100 * time.Millisecond})
	ctx := context.Background()
	count := func(n *redisbus.Bus, key string) int {
		v, err := n.Count(ctx, key)
		require.NoError(t, err)
		return v
	}
	a.SetCount("g:x", 2)
	b.SetCount("g:x", 3)
	c.SetCount("g:x", 4)
	assert.GreaterOrEqual(t, count(a, "g:x"), 2, "a node's own count counts at once")
	require.Eventually(t, func() bool { return count(a, "g:x") == 9 && count(b, "g:x") == 9 }, 10*time.Second, 20*time.Millisecond)

	b.SetCount("g:x", 0)
	require.Eventually(t, func() bool { return count(a, "g:x") == 6 }, 10*time.Second, 20*time.Millisecond)

	// Node c loses Redis: its counts drop out once they expire.
	proxy.Cut()
	require.Eventually(t, func() bool { return count(a, "g:x") == 2 }, 10*time.Second, 20*time.Millisecond)
	// and come back when it does.
	proxy.Heal()
	require.Eventually(t, func() bool { return count(a, "g:x") == 6 }, 10*time.Second, 20*time.Millisecond)

	// Redis loses everything: the nodes write their counts again.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	require.NoError(t, rdb.FlushAll(ctx).Err())
	require.Eventually(t, func() bool { return count(b, "g:x") == 6 }, 10*time.Second, 20*time.Millisecond)

	// A node that closes leaves at once.
	require.NoError(t, c.Close())
	assert.Equal(t, 2, count(b, "g:x"))
}

func TestCloseLeavesNothingRunning(t *testing.T) {
	srv := redistest.Start(t)
	before := leaktest.Goroutines()
	b, err := redisbus.Dial(srv.URL(), redisbus.Options{Logger: quiet, Readers: 3, Block: time.Minute})
	require.NoError(t, err)
	for _, s := range []string{"a", "b", "c", "d"} {
		_, err := b.Watch(context.Background(), s, func(string, []bus.Entry, bool) {})
		require.NoError(t, err)
	}
	b.SetCount("k", 1)
	appendWait(t, b, "a", "n", "1")
	done := make(chan struct{})
	go func() { _ = b.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waits for the blocking XREADs (Block is a minute)")
	}
	assert.ErrorIs(t, b.Append("a", []string{"n", "2"}, nil), bus.ErrClosed)
	leaktest.WaitGoroutines(t, before, 10*time.Second)
}

// Appends Redis executed but could not acknowledge (the connection failed
// before the replies came) are found by their tokens, not stored twice.
func TestLostRepliesStoreNothingTwice(t *testing.T) {
	srv := redistest.Start(t)
	proxy := redistest.NewProxy(t, srv)
	b := dial(t, proxy.URL(), redisbus.Options{MaxBackoff: 100 * time.Millisecond})
	appendWait(t, b, "s", "n", "first") // the connection is up
	proxy.DropReplies()
	const n = 20
	ids := make(chan string, n)
	for i := range n {
		require.NoError(t, b.Append("s", []string{"n", strconv.Itoa(i)}, func(id string, err error) {
			assert.NoError(t, err)
			ids <- id
		}))
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	require.Eventually(t, func() bool { return rdb.XLen(ctx, "gnetworker:s").Val() > 1 }, 10*time.Second, 5*time.Millisecond,
		"Redis executes appends it cannot acknowledge")
	proxy.Cut()
	proxy.Heal()
	seen := map[string]bool{}
	for range n {
		select {
		case id := <-ids:
			seen[id] = true
		case <-time.After(30 * time.Second):
			t.Fatal("appends not completed")
		}
	}
	assert.Len(t, seen, n, "each append gets its own id")
	assert.Equal(t, int64(n+1), rdb.XLen(ctx, "gnetworker:s").Val(), "stored once each")
}

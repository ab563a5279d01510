package memlog_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/bus"
	"github.com/gnetworker/gnetworker/bus/memlog"
	"github.com/gnetworker/gnetworker/internal/leaktest"
)

var (
	_ bus.Log      = (*memlog.Node)(nil)
	_ bus.Presence = (*memlog.Node)(nil)
)

// wait is how long a test waits for something asynchronous: generous, as
// CI machines are busy.
const wait = 10 * time.Second

// recorder is a Sink that keeps what it was given.
type recorder struct {
	mu      sync.Mutex
	entries []bus.Entry
	gaps    int
	calls   int
	streams map[string]int
}

func (r *recorder) sink(stream string, entries []bus.Entry, gap bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.streams == nil {
		r.streams = map[string]int{}
	}
	r.streams[stream] += len(entries)
	r.entries = append(r.entries, entries...)
	r.calls++
	if gap {
		r.gaps++
	}
}

func (r *recorder) values() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.entries {
		v, _ := e.Field("v")
		out = append(out, v)
	}
	return out
}

func (r *recorder) gapCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gaps
}

// waitValues waits until r holds want values and checks them.
func (r *recorder) waitValues(t *testing.T, want ...string) {
	t.Helper()
	require.Eventually(t, func() bool { return len(r.values()) >= len(want) }, wait, time.Millisecond,
		"want %d entries, have %v", len(want), r.values())
	assert.Equal(t, want, r.values())
}

func values(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

// appendSync appends and waits for done.
func appendSync(t *testing.T, n *memlog.Node, stream, v string) string {
	t.Helper()
	got := make(chan string, 1)
	require.NoError(t, n.Append(stream, []string{"v", v}, func(id string, err error) {
		assert.NoError(t, err)
		got <- id
	}))
	select {
	case id := <-got:
		return id
	case <-time.After(wait):
		t.Fatal("done was not called")
		return ""
	}
}

func newStore(t *testing.T, opts memlog.Options) *memlog.Store {
	t.Helper()
	before := leaktest.Goroutines()
	s := memlog.New(opts)
	t.Cleanup(func() {
		s.Close()
		leaktest.WaitGoroutines(t, before, wait)
	})
	return s
}

func TestIDs(t *testing.T) {
	n := memlog.New(memlog.Options{}).Node()
	defer n.Close()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1-0", "1-0", 0},
		{"1-0", "1-1", -1},
		{"1-2", "1-10", -1}, // numbers, not strings
		{"2-0", "1-99", 1},
		{"10-0", "9-0", 1},
		{"0-0", "0-1", -1},
		{"x", "0-0", -1}, // an invalid ID is below every valid one
		{"0-0", "", 1},
		{"", "x", 0},
		{"18446744073709551615-18446744073709551615", "1-1", 1},
	} {
		assert.Equal(t, tc.want, n.Compare(tc.a, tc.b), "Compare(%q, %q)", tc.a, tc.b)
		assert.Equal(t, -tc.want, n.Compare(tc.b, tc.a), "Compare(%q, %q)", tc.b, tc.a)
	}
	for id, valid := range map[string]bool{
		"0-0": true, "1-0": true, "1700000000000-12": true,
		"": false, "1": false, "-1": false, "1-": false, "a-1": false, "1-a": false,
		"1-1-1": false, "+1-1": false, "1- 1": false, "18446744073709551616-0": false,
	} {
		assert.Equal(t, valid, n.ValidID(id), "ValidID(%q)", id)
	}
}

// IDs increase strictly within a stream, also many in one millisecond
// and from several nodes at once; every done is called once with the ID.
func TestAppendIDsIncrease(t *testing.T) {
	s := newStore(t, memlog.Options{MaxLen: 10000})
	a, b := s.Node(), s.Node()
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	for _, n := range []*memlog.Node{a, b} {
		for g := range 4 {
			wg.Go(func() {
				for i := range 250 {
					wg.Add(1)
					require.NoError(t, n.Append("s", []string{"v", fmt.Sprint(g, i)}, func(id string, err error) {
						defer wg.Done()
						assert.NoError(t, err)
						mu.Lock()
						ids = append(ids, id)
						mu.Unlock()
					}))
				}
			})
		}
	}
	wg.Wait()
	require.Len(t, ids, 2000)
	seen := map[string]bool{}
	for _, id := range ids {
		assert.True(t, a.ValidID(id), id)
		assert.False(t, seen[id], "ID %s given twice", id)
		seen[id] = true
	}
	entries, complete, err := a.Range(context.Background(), "s", "0-0", "", 0)
	require.NoError(t, err)
	assert.True(t, complete)
	require.Len(t, entries, 2000)
	for i := 1; i < len(entries); i++ {
		assert.Equal(t, 1, a.Compare(entries[i].ID, entries[i-1].ID), "entry %d", i)
	}
}

// Append copies the fields it is given, and calls done from another
// goroutine than its caller's, after returning.
func TestAppendCopiesFieldsAndCallsDoneLater(t *testing.T) {
	s := newStore(t, memlog.Options{})
	n := s.Node()
	var mu sync.Mutex
	mu.Lock() // held while Append runs: a done called inside it would deadlock
	called := make(chan string, 1)
	fields := []string{"v", "first"}
	require.NoError(t, n.Append("s", fields, func(id string, err error) {
		mu.Lock()
		defer mu.Unlock()
		called <- id
	}))
	fields[1] = "changed"
	mu.Unlock()
	id := <-called
	entries, _, err := n.Range(context.Background(), "s", "0-0", "", 0)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, id, entries[0].ID)
	assert.Equal(t, []string{"v", "first"}, entries[0].Fields)
	require.NoError(t, n.Append("s", []string{"v", "no done"}, nil))
}

// Every node watching a stream gets its entries in order, batched; the
// node that appended them too. Watch returns the newest ID.
func TestWatch(t *testing.T) {
	s := newStore(t, memlog.Options{})
	a, b := s.Node(), s.Node()
	assert.NotEqual(t, a.NodeID(), b.NodeID())
	ctx := context.Background()

	var r0 recorder
	last, err := a.Watch(ctx, "s", r0.sink)
	require.NoError(t, err)
	assert.Equal(t, "0-0", last, "an empty stream")
	first := appendSync(t, a, "s", "before")
	r0.waitValues(t, "before")

	var ra, rb, other recorder
	last, err = a.Watch(ctx, "s", ra.sink) // replaces the sink, keeps the place
	require.NoError(t, err)
	assert.Equal(t, first, last)
	last, err = b.Watch(ctx, "s", rb.sink)
	require.NoError(t, err)
	assert.Equal(t, first, last)
	_, err = b.Watch(ctx, "other", other.sink)
	require.NoError(t, err)

	for _, v := range values(100) {
		require.NoError(t, b.Append("s", []string{"v", v}, nil))
	}
	rb.waitValues(t, values(100)...)
	ra.waitValues(t, values(100)...) // nothing delivered twice, nothing skipped
	assert.Len(t, r0.values(), 1, "a replaced sink gets nothing more")
	assert.Zero(t, ra.gapCount()+rb.gapCount())
	assert.Empty(t, other.values(), "entries of other streams are not delivered")

	b.Unwatch("s")
	appendSync(t, a, "s", "after unwatch")
	ra.waitValues(t, append(values(100), "after unwatch")...)
	time.Sleep(20 * time.Millisecond)
	assert.Len(t, rb.values(), 100, "an unwatched stream is not delivered")
}

// Delivery is batched: a slow sink gets what piled up in one call.
func TestWatchBatches(t *testing.T) {
	s := newStore(t, memlog.Options{})
	n := s.Node()
	release := make(chan struct{})
	var r recorder
	_, err := n.Watch(context.Background(), "s", func(stream string, entries []bus.Entry, gap bool) {
		r.sink(stream, entries, gap)
		<-release
	})
	require.NoError(t, err)
	appendSync(t, n, "s", "0")
	require.Eventually(t, func() bool { return len(r.values()) == 1 }, wait, time.Millisecond)
	for _, v := range values(50)[1:] {
		require.NoError(t, n.Append("s", []string{"v", v}, nil))
	}
	close(release)
	r.waitValues(t, values(50)...)
	r.mu.Lock()
	assert.Less(t, r.calls, 50, "entries that piled up come in batches")
	r.mu.Unlock()
}

// A stream keeps MaxLen entries. Range tells when entries after `after`
// are gone.
func TestTrimAndRange(t *testing.T) {
	s := newStore(t, memlog.Options{MaxLen: 3})
	n := s.Node()
	ctx := context.Background()
	var ids []string
	for _, v := range values(5) {
		ids = append(ids, appendSync(t, n, "s", v))
	}
	entries, complete, err := n.Range(ctx, "s", "0-0", "", 0)
	require.NoError(t, err)
	assert.False(t, complete, "0 and 1 were trimmed")
	assert.Len(t, entries, 3)
	assert.Equal(t, ids[2], entries[0].ID)

	entries, complete, err = n.Range(ctx, "s", ids[0], "", 0)
	require.NoError(t, err)
	assert.False(t, complete, "1 was trimmed")
	assert.Len(t, entries, 3)

	entries, complete, err = n.Range(ctx, "s", ids[1], "", 0)
	require.NoError(t, err)
	assert.True(t, complete, "nothing after 1 is missing")
	assert.Len(t, entries, 3)

	entries, complete, err = n.Range(ctx, "s", ids[2], ids[3], 0)
	require.NoError(t, err)
	assert.True(t, complete)
	require.Len(t, entries, 1)
	assert.Equal(t, ids[3], entries[0].ID)

	entries, _, err = n.Range(ctx, "s", ids[1], "", 2)
	require.NoError(t, err)
	require.Len(t, entries, 2, "at most max")
	assert.Equal(t, []string{ids[2], ids[3]}, []string{entries[0].ID, entries[1].ID})

	entries, complete, err = n.Range(ctx, "s", ids[4], "", 0)
	require.NoError(t, err)
	assert.True(t, complete)
	assert.Empty(t, entries)

	entries, complete, err = n.Range(ctx, "none", "0-0", "", 0)
	require.NoError(t, err)
	assert.True(t, complete)
	assert.Empty(t, entries)

	last, err := n.Watch(ctx, "s", (&recorder{}).sink)
	require.NoError(t, err)
	assert.Equal(t, ids[4], last)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = n.Range(cancelled, "s", "0-0", "", 0)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = n.Watch(cancelled, "s", (&recorder{}).sink)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = n.Count(cancelled, "k")
	assert.ErrorIs(t, err, context.Canceled)
}

// A node that is down queues its appends (up to QueueSize), answers
// Watch, Range and Count with ErrDown and delivers nothing; back up, it
// writes what it queued in order and delivers what it missed, reporting
// a gap when some of it was trimmed meanwhile.
func TestDown(t *testing.T) {
	s := newStore(t, memlog.Options{MaxLen: 6, QueueSize: 3})
	a, b := s.Node(), s.Node()
	ctx := context.Background()
	var ra, rb recorder
	_, err := a.Watch(ctx, "s", ra.sink)
	require.NoError(t, err)
	_, err = b.Watch(ctx, "s", rb.sink)
	require.NoError(t, err)

	b.SetDown(true)
	var mu sync.Mutex
	var doneIDs []string
	for _, v := range []string{"q0", "q1", "q2"} {
		require.NoError(t, b.Append("s", []string{"v", v}, func(id string, err error) {
			assert.NoError(t, err)
			mu.Lock()
			doneIDs = append(doneIDs, id)
			mu.Unlock()
		}))
	}
	assert.ErrorIs(t, b.Append("s", []string{"v", "q3"}, func(string, error) { t.Error("done of a refused append") }),
		bus.ErrQueueFull)
	_, err = b.Watch(ctx, "t", rb.sink)
	assert.ErrorIs(t, err, memlog.ErrDown)
	_, _, err = b.Range(ctx, "s", "0-0", "", 0)
	assert.ErrorIs(t, err, memlog.ErrDown)
	_, err = b.Count(ctx, "k")
	assert.ErrorIs(t, err, memlog.ErrDown)

	for _, v := range values(3) {
		appendSync(t, a, "s", v)
	}
	ra.waitValues(t, values(3)...)
	time.Sleep(20 * time.Millisecond)
	assert.Empty(t, rb.values(), "a node that is down delivers nothing")
	mu.Lock()
	assert.Empty(t, doneIDs, "queued appends are not written yet")
	mu.Unlock()

	b.SetDown(false)
	want := append(values(3), "q0", "q1", "q2")
	ra.waitValues(t, want...)
	rb.waitValues(t, want...)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(doneIDs) == 3 }, wait, time.Millisecond)
	assert.Zero(t, ra.gapCount()+rb.gapCount())

	// Down again while more than MaxLen entries pass: a gap.
	b.SetDown(true)
	for _, v := range values(8) {
		appendSync(t, a, "s", "x"+v)
	}
	b.SetDown(false)
	require.Eventually(t, func() bool { return rb.gapCount() == 1 }, wait, time.Millisecond)
	assert.Equal(t, []string{"x2", "x3", "x4", "x5", "x6", "x7"}, rb.values()[6:], "what the stream still holds")
	assert.Zero(t, ra.gapCount())
}

// Counts are summed over the Store's open nodes.
func TestPresence(t *testing.T) {
	s := newStore(t, memlog.Options{})
	a, b := s.Node(), s.Node()
	ctx := context.Background()
	count := func(n *memlog.Node, key string) int {
		t.Helper()
		v, err := n.Count(ctx, key)
		require.NoError(t, err)
		return v
	}
	assert.Zero(t, count(a, "k"))
	a.SetCount("k", 2)
	b.SetCount("k", 3)
	b.SetCount("j", 1)
	assert.Equal(t, 5, count(a, "k"))
	assert.Equal(t, 5, count(b, "k"))
	assert.Equal(t, 1, count(a, "j"))
	b.SetCount("k", 0)
	assert.Equal(t, 2, count(b, "k"))

	// Counts set while down reach the others when the node is back.
	b.SetDown(true)
	b.SetCount("k", 7)
	assert.Equal(t, 2, count(a, "k"))
	b.SetDown(false)
	assert.Equal(t, 9, count(a, "k"))

	require.NoError(t, b.Close())
	assert.Equal(t, 2, count(a, "k"), "a closed node drops out of the sums")
	_, err := b.Count(ctx, "k")
	assert.ErrorIs(t, err, bus.ErrClosed)
}

// Closing a node fails its queued appends, refuses new ones and stops its
// goroutine; closing the Store closes every node.
func TestClose(t *testing.T) {
	before := leaktest.Goroutines()
	s := memlog.New(memlog.Options{})
	a, b := s.Node(), s.Node()
	_, err := a.Watch(context.Background(), "s", (&recorder{}).sink)
	require.NoError(t, err)
	a.SetDown(true)
	failed := make(chan error, 1)
	require.NoError(t, a.Append("s", []string{"v", "queued"}, func(_ string, err error) { failed <- err }))
	require.NoError(t, a.Close())
	assert.ErrorIs(t, <-failed, bus.ErrClosed)
	assert.ErrorIs(t, a.Append("s", nil, nil), bus.ErrClosed)
	_, err = a.Watch(context.Background(), "s", (&recorder{}).sink)
	assert.ErrorIs(t, err, bus.ErrClosed)
	_, _, err = a.Range(context.Background(), "s", "0-0", "", 0)
	assert.ErrorIs(t, err, bus.ErrClosed)
	require.NoError(t, a.Close(), "Close after Close")

	s.Close()
	assert.ErrorIs(t, b.Append("s", nil, nil), bus.ErrClosed)
	c := s.Node()
	assert.ErrorIs(t, c.Append("s", nil, nil), bus.ErrClosed, "a node of a closed Store")
	leaktest.WaitGoroutines(t, before, wait)
}

package timer

import (
	"bytes"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// generous bounds: never assert speed, only that things happen eventually.
const (
	waitFor = 5 * time.Second
	poll    = time.Millisecond
)

func newWheel(t *testing.T) *Wheel {
	t.Helper()
	w := NewWheel()
	t.Cleanup(w.Close)
	return w
}

// warp moves the wheel's clock forward by d (tests only; no concurrent Add).
func warp(w *Wheel, d time.Duration) {
	w.mu.Lock()
	w.epoch = w.epoch.Add(-d)
	w.signal()
	w.mu.Unlock()
}

// waitGoroutines polls (on this goroutine: testify's Eventually would add
// one of its own) until at most n goroutines remain.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			require.FailNow(t, "goroutines did not exit", "have %d, want <= %d", runtime.NumGoroutine(), n)
		}
		time.Sleep(poll)
	}
}

// settledGoroutines waits for drivers of earlier tests to exit and returns
// the goroutine count.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 200 {
		time.Sleep(poll)
		if m := runtime.NumGoroutine(); m < n {
			n = m
		}
	}
	return n
}

func TestOnceFiresOnce(t *testing.T) {
	w := newWheel(t)
	var n atomic.Int32
	var got atomic.Uint64
	id, err := w.Once(2*time.Millisecond, func(id ID) { n.Add(1); got.Store(uint64(id)) })
	require.NoError(t, err)
	require.NotZero(t, id)
	require.Eventually(t, func() bool { return n.Load() == 1 }, waitFor, poll)
	time.Sleep(30 * time.Millisecond)
	assert.EqualValues(t, 1, n.Load())
	assert.EqualValues(t, id, got.Load(), "callback receives its own id")
	assert.Zero(t, w.Len())
	assert.False(t, w.Del(id), "fired one-shot is not pending")
}

func TestAddRepeats(t *testing.T) {
	w := newWheel(t)
	var n atomic.Int32
	id, err := w.Add(2*time.Millisecond, func(ID) { n.Add(1) })
	require.NoError(t, err)
	require.Eventually(t, func() bool { return n.Load() >= 5 }, waitFor, poll)
	assert.Equal(t, 1, w.Len())
	require.True(t, w.Del(id))
	assert.Zero(t, w.Len())
	assert.False(t, w.Del(id), "second Del")
}

func TestZeroInterval(t *testing.T) {
	w := newWheel(t)
	var once, rep atomic.Int32
	_, err := w.Once(0, func(ID) { once.Add(1) })
	require.NoError(t, err)
	id, err := w.Add(0, func(ID) { rep.Add(1) })
	require.NoError(t, err)
	require.Eventually(t, func() bool { return once.Load() == 1 && rep.Load() >= 3 }, waitFor, poll)
	w.Del(id)
}

func TestOrder(t *testing.T) {
	w := newWheel(t)
	var mu sync.Mutex
	var got []int
	var wg sync.WaitGroup
	// Added in scrambled order; due 10 ms apart, so due order is 0..n-1.
	perm := []int{5, 2, 7, 0, 3, 6, 1, 4}
	wg.Add(len(perm))
	for _, i := range perm {
		_, err := w.Once(time.Duration(i+1)*10*time.Millisecond, func(ID) {
			mu.Lock()
			got = append(got, i)
			mu.Unlock()
			wg.Done()
		})
		require.NoError(t, err)
	}
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, got)
}

func TestResolution(t *testing.T) {
	for _, d := range []time.Duration{time.Millisecond, 5 * time.Millisecond, 1500 * time.Microsecond, 20 * time.Millisecond} {
		t.Run(d.String(), func(t *testing.T) {
			w := newWheel(t)
			done := make(chan time.Duration, 1)
			start := time.Now()
			_, err := w.Once(d, func(ID) { done <- time.Since(start) })
			require.NoError(t, err)
			select {
			case el := <-done:
				assert.GreaterOrEqual(t, el, d, "fired early")
			case <-time.After(waitFor):
				t.Fatal("timer did not fire")
			}
		})
	}
}

func TestNegativeAndNil(t *testing.T) {
	w := newWheel(t)
	for _, tc := range []struct {
		name string
		fn   func() (ID, error)
		err  error
	}{
		{"add negative", func() (ID, error) { return w.Add(-time.Nanosecond, func(ID) {}) }, ErrNegativeInterval},
		{"once negative", func() (ID, error) { return w.Once(-time.Hour, func(ID) {}) }, ErrNegativeInterval},
		{"add nil", func() (ID, error) { return w.Add(time.Second, nil) }, ErrNilFunc},
		{"once nil", func() (ID, error) { return w.Once(time.Second, nil) }, ErrNilFunc},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := tc.fn()
			require.ErrorIs(t, err, tc.err)
			assert.Zero(t, id)
			assert.Zero(t, w.Len())
		})
	}
}

func TestDelUnknown(t *testing.T) {
	w := newWheel(t)
	assert.False(t, w.Del(0))
	assert.False(t, w.Del(ID(1)<<32|12345))
	id, err := w.Add(time.Hour, func(ID) {})
	require.NoError(t, err)
	assert.False(t, w.Del(id+1<<32), "wrong generation")
	assert.True(t, w.Del(id))
	id2, err := w.Add(time.Hour, func(ID) {})
	require.NoError(t, err)
	assert.NotEqual(t, id, id2, "slot reuse must change the id")
	assert.False(t, w.Del(id), "stale id must not delete the new timer")
	assert.Equal(t, 1, w.Len())
}

func TestHugeInterval(t *testing.T) {
	w := newWheel(t)
	var n atomic.Int32
	for _, d := range []time.Duration{math.MaxInt64, math.MaxInt64 / 2, 1 << 62} {
		_, err := w.Once(d, func(ID) { n.Add(1) })
		require.NoError(t, err)
		_, err = w.Add(d, func(ID) { n.Add(1) })
		require.NoError(t, err)
	}
	assert.Equal(t, 6, w.Len())
	warp(w, 100*24*time.Hour)
	time.Sleep(20 * time.Millisecond)
	assert.Zero(t, n.Load())
	assert.Equal(t, 6, w.Len())
}

func TestDelSelfInCallback(t *testing.T) {
	w := newWheel(t)
	var n atomic.Int32
	_, err := w.Add(time.Millisecond, func(id ID) {
		if n.Add(1) == 3 {
			assert.True(t, w.Del(id))
		}
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return n.Load() == 3 && w.Len() == 0 }, waitFor, poll)
	time.Sleep(20 * time.Millisecond)
	assert.EqualValues(t, 3, n.Load(), "callback ran again after deleting itself")
}

func TestDelFromOtherGoroutineStopsStarts(t *testing.T) {
	w := newWheel(t)
	for range 20 {
		var deleted, violated atomic.Bool
		var runs atomic.Int32
		id, err := w.Add(time.Millisecond, func(ID) {
			if deleted.Load() {
				violated.Store(true)
			}
			runs.Add(1)
			time.Sleep(100 * time.Microsecond) // widen the window
		})
		require.NoError(t, err)
		require.Eventually(t, func() bool { return runs.Load() >= 2 }, waitFor, poll)
		require.True(t, w.Del(id))
		deleted.Store(true)
		time.Sleep(5 * time.Millisecond)
		require.False(t, violated.Load(), "callback started after Del returned")
	}
	assert.Zero(t, w.Len())
}

func TestCallbackAddsAndDeletes(t *testing.T) {
	w := newWheel(t)
	var victimRuns, childRuns atomic.Int32
	victim, err := w.Add(50*time.Millisecond, func(ID) { victimRuns.Add(1) })
	require.NoError(t, err)
	_, err = w.Once(time.Millisecond, func(ID) {
		assert.True(t, w.Del(victim))
		_, err := w.Once(time.Millisecond, func(ID) { childRuns.Add(1) })
		assert.NoError(t, err)
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return childRuns.Load() == 1 }, waitFor, poll)
	time.Sleep(70 * time.Millisecond)
	assert.Zero(t, victimRuns.Load())
	assert.Zero(t, w.Len())
}

func TestDelAllFromCallback(t *testing.T) {
	w := newWheel(t)
	var others atomic.Int32
	for range 10 {
		_, err := w.Add(30*time.Millisecond, func(ID) { others.Add(1) })
		require.NoError(t, err)
	}
	var self atomic.Int32
	_, err := w.Add(time.Millisecond, func(ID) { self.Add(1); w.DelAll() })
	require.NoError(t, err)
	require.Eventually(t, func() bool { return self.Load() == 1 && w.Len() == 0 }, waitFor, poll)
	time.Sleep(50 * time.Millisecond)
	assert.EqualValues(t, 1, self.Load())
	assert.Zero(t, others.Load())
}

func TestDelAllAndLen(t *testing.T) {
	w := newWheel(t)
	var ids []ID
	for i := range 100 {
		id, err := w.Add(time.Duration(i+1)*time.Second, func(ID) {})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	assert.Equal(t, 100, w.Len())
	require.True(t, w.Del(ids[7]))
	assert.Equal(t, 99, w.Len())
	w.DelAll()
	assert.Zero(t, w.Len())
	for _, id := range ids {
		assert.False(t, w.Del(id))
	}
}

func TestPanicRecovery(t *testing.T) {
	var buf bytes.Buffer
	var bufMu sync.Mutex
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(lockedWriter{&bufMu, &buf}, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	w := newWheel(t)
	var persistentRuns, after atomic.Int32
	id, err := w.Add(time.Millisecond, func(ID) {
		persistentRuns.Add(1)
		panic("boom")
	})
	require.NoError(t, err)
	_, err = w.Once(5*time.Millisecond, func(ID) { panic("once boom") })
	require.NoError(t, err)
	_, err = w.Once(20*time.Millisecond, func(ID) { after.Add(1) })
	require.NoError(t, err)
	require.Eventually(t, func() bool { return after.Load() == 1 && persistentRuns.Load() >= 3 }, waitFor, poll)
	assert.True(t, w.Del(id), "panicking persistent timer stays scheduled")
	bufMu.Lock()
	out := buf.String()
	bufMu.Unlock()
	assert.Contains(t, out, "timer: callback panicked")
	assert.Contains(t, out, "boom")
	assert.Contains(t, out, "goroutine ", "stack is logged")
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func TestAddDelCyclesLeakNothing(t *testing.T) {
	g0 := settledGoroutines()
	h0 := heapAlloc()
	w := NewWheel()
	fn := func(ID) {}
	for i := range 100_000 {
		id, err := w.Add(time.Duration(i%5000+1)*time.Millisecond, fn)
		require.NoError(t, err)
		if !w.Del(id) {
			require.FailNow(t, "Del returned false", "cycle %d", i)
		}
	}
	assert.Zero(t, w.Len())
	waitGoroutines(t, g0)
	h1 := heapAlloc()
	assert.Less(t, int64(h1)-int64(h0), int64(1<<20), "heap grew from %d to %d", h0, h1)
	runtime.KeepAlive(w)
}

func TestDriverExitsWhenIdle(t *testing.T) {
	g0 := settledGoroutines()
	w := NewWheel()
	defer w.Close()

	// After all timers ran.
	var n atomic.Int32
	for range 10 {
		_, err := w.Once(time.Millisecond, func(ID) { n.Add(1) })
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return n.Load() == 10 }, waitFor, poll)
	waitGoroutines(t, g0)

	// After DelAll of far timers: the sleeping driver must wake and exit.
	for range 10 {
		_, err := w.Add(time.Hour, func(ID) {})
		require.NoError(t, err)
	}
	require.Greater(t, runtime.NumGoroutine(), g0)
	w.DelAll()
	waitGoroutines(t, g0)

	// Restarts on the next Add.
	done := make(chan struct{})
	_, err := w.Once(time.Millisecond, func(ID) { close(done) })
	require.NoError(t, err)
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("driver did not restart")
	}
	waitGoroutines(t, g0)
}

func TestClose(t *testing.T) {
	g0 := settledGoroutines()
	w := NewWheel()
	var n atomic.Int32
	_, err := w.Add(time.Millisecond, func(ID) { n.Add(1) })
	require.NoError(t, err)
	// Poll on this goroutine: require.Eventually runs its condition on a
	// goroutine of its own, which may still be exiting when it returns and
	// would be counted below.
	for deadline := time.Now().Add(waitFor); n.Load() == 0; time.Sleep(poll) {
		require.True(t, time.Now().Before(deadline), "the timer never fired")
	}
	w.Close()
	// Close returns once the driver has finished its last callback; the
	// driver goroutine itself exits just after signalling that.
	runs := n.Load()
	waitGoroutines(t, g0)
	time.Sleep(10 * time.Millisecond)
	assert.Equal(t, runs, n.Load())
	_, err = w.Add(time.Millisecond, func(ID) {})
	assert.ErrorIs(t, err, ErrClosed)
	assert.Zero(t, w.Len())
	w.Close() // idempotent
}

func TestCloseFromCallback(t *testing.T) {
	w := NewWheel()
	done := make(chan struct{})
	_, err := w.Once(time.Millisecond, func(ID) { w.Close(); close(done) })
	require.NoError(t, err)
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Close from callback deadlocked")
	}
	w.Close()
}

// TestTimeWarp drives the higher wheel levels by moving the wheel's clock.
func TestTimeWarp(t *testing.T) {
	w := newWheel(t)
	var mu sync.Mutex
	fired := map[string]int{}
	mark := func(name string) func(ID) {
		return func(ID) { mu.Lock(); fired[name]++; mu.Unlock() }
	}
	count := func(name string) int { mu.Lock(); defer mu.Unlock(); return fired[name] }
	day := 24 * time.Hour
	for _, tc := range []struct {
		name string
		d    time.Duration
	}{
		{"300ms", 300 * time.Millisecond},
		{"70s", 70 * time.Second},
		{"5h", 5 * time.Hour},
		{"20d", 20 * day},
		{"60d", 60 * day}, // beyond the wheel's 49.7 day span
	} {
		_, err := w.Once(tc.d, mark(tc.name))
		require.NoError(t, err)
	}
	_, err := w.Add(time.Second, mark("every1s"))
	require.NoError(t, err)

	steps := []struct {
		by   time.Duration
		want []string
	}{
		{time.Second, []string{"300ms"}},
		{time.Minute + 15*time.Second, []string{"300ms", "70s"}},
		{5 * time.Hour, []string{"300ms", "70s", "5h"}},
		{20 * day, []string{"300ms", "70s", "5h", "20d"}},
		{30 * day, []string{"300ms", "70s", "5h", "20d"}},
		{15 * day, []string{"300ms", "70s", "5h", "20d", "60d"}},
	}
	for i, s := range steps {
		before := count("every1s")
		warp(w, s.by)
		for _, name := range s.want {
			require.Eventually(t, func() bool { return count(name) == 1 }, waitFor, poll, "step %d: %s", i, name)
		}
		require.Eventually(t, func() bool { return count("every1s") > before }, waitFor, poll)
		// Let the driver settle, then check nothing else fired.
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		for name, c := range fired {
			if name == "every1s" {
				// A jump of hours must not cause a burst of catch-up calls.
				assert.LessOrEqual(t, c-before, 3, "step %d: catch-up burst", i)
				continue
			}
			assert.Contains(t, s.want, name, "step %d: fired early", i)
			assert.Equal(t, 1, c, "step %d: %s", i, name)
		}
		mu.Unlock()
	}
	assert.Equal(t, 1, w.Len())
}

func TestMillionPending(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~40 MB")
	}
	const n = 1_000_000
	w := newWheel(t)
	fn := func(ID) {}
	h0 := heapAlloc()
	for i := range n {
		_, err := w.Add(time.Hour+time.Duration(i)*time.Millisecond, fn)
		if err != nil {
			require.NoError(t, err)
		}
	}
	require.Equal(t, n, w.Len())
	h1 := heapAlloc()
	per := float64(h1-h0) / n
	t.Logf("wheel: %.1f B per pending timer", per)
	assert.Less(t, per, 64.0)
	w.DelAll()
	assert.Zero(t, w.Len())
	h2 := heapAlloc()
	assert.Less(t, int64(h2)-int64(h0), int64(4<<20), "DelAll gives the slab back")
}

func TestConcurrentAddDel(t *testing.T) {
	w := newWheel(t)
	var fired atomic.Int64
	fn := func(ID) { fired.Add(1) }
	var wg sync.WaitGroup
	const workers, ops = 16, 2000
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var persistent []ID
			for i := range ops {
				if i%2 == 0 {
					// One-shots: some deleted at once, the rest left to fire.
					id, err := w.Once(time.Duration(i%7)*time.Millisecond, fn)
					if !assert.NoError(t, err) {
						return
					}
					if i%3 == 0 {
						w.Del(id)
					}
					continue
				}
				id, err := w.Add(time.Duration(i%5+1)*time.Millisecond, fn)
				if !assert.NoError(t, err) {
					return
				}
				persistent = append(persistent, id)
				if i%3 == 0 {
					w.Del(persistent[len(persistent)/2])
				}
				if g == 0 && i%500 == 499 {
					w.Len()
				}
			}
			for _, id := range persistent {
				w.Del(id)
			}
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool { return w.Len() == 0 }, waitFor, poll, "one-shots must fire")
	assert.Positive(t, fired.Load())
}

func TestPackageLevel(t *testing.T) {
	done := make(chan ID, 1)
	id, err := Once(time.Millisecond, func(id ID) { done <- id })
	require.NoError(t, err)
	select {
	case got := <-done:
		assert.Equal(t, id, got)
	case <-time.After(waitFor):
		t.Fatal("package-level Once did not fire")
	}
	var n atomic.Int32
	id, err = Add(time.Millisecond, func(id ID) {
		if n.Add(1) >= 2 {
			Del(id)
		}
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return Len() == 0 }, waitFor, poll)
	_, err = Add(time.Hour, func(ID) {})
	require.NoError(t, err)
	assert.Equal(t, 1, Len())
	DelAll()
	assert.Zero(t, Len())
	assert.False(t, Del(id))
}

// TestRandomWarp files timers across all levels (and beyond the wheel's
// span), moves the clock forward in random jumps and checks that every
// timer fires exactly once and never before its due time.
func TestRandomWarp(t *testing.T) {
	w := newWheel(t)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 3000
	type rec struct {
		due   int64 // lower bound of the due time, wheel clock ns
		fired atomic.Int32
		early atomic.Bool
	}
	recs := make([]*rec, n)
	clock := func() int64 { w.mu.Lock(); defer w.mu.Unlock(); return w.nowNs() }
	maxD := float64(60 * 24 * time.Hour)
	deleted := map[int]bool{}
	var ids []ID
	for i := range recs {
		r := &rec{}
		recs[i] = r
		d := time.Duration(math.Pow(maxD, rng.Float64())) // log-uniform 1ns..60d
		r.due = clock() + int64(d)
		id, err := w.Once(d, func(ID) {
			if clock() < r.due {
				r.early.Store(true)
			}
			r.fired.Add(1)
		})
		require.NoError(t, err)
		ids = append(ids, id)
		if rng.IntN(10) == 0 {
			if w.Del(id) {
				deleted[i] = true
			} else {
				// On a busy machine a timer due within a moment may have
				// fired (or be firing) before Del: only those may miss it.
				require.Less(t, d, time.Second, "Del of a pending timer")
			}
		}
	}
	for clock() < int64(maxD)+int64(time.Hour) {
		// log-uniform steps from 100µs to 2 days
		lo, hi := math.Log(float64(100*time.Microsecond)), math.Log(float64(48*time.Hour))
		warp(w, time.Duration(math.Exp(lo+(hi-lo)*rng.Float64())))
		if rng.IntN(8) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	require.Eventually(t, func() bool { return w.Len() == 0 }, waitFor, poll)
	for i, r := range recs {
		want := int32(1)
		if deleted[i] {
			want = 0
		}
		assert.Equal(t, want, r.fired.Load(), "timer %d", i)
		assert.False(t, r.early.Load(), "timer %d fired early", i)
	}
}

package timer

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// Add then Del immediately, on one goroutine.
func BenchmarkWheelAddDel(b *testing.B) {
	w := NewWheel()
	defer w.Close()
	fn := func(ID) {}
	b.ReportAllocs()
	for b.Loop() {
		id, _ := w.Add(time.Second, fn)
		w.Del(id)
	}
}

func BenchmarkAfterFuncStop(b *testing.B) {
	fn := func() {}
	b.ReportAllocs()
	for b.Loop() {
		t := time.AfterFunc(time.Second, fn)
		t.Stop()
	}
}

// Same, from GOMAXPROCS goroutines at once (one wheel, one mutex).
func BenchmarkWheelAddDelParallel(b *testing.B) {
	w := NewWheel()
	defer w.Close()
	fn := func(ID) {}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id, _ := w.Add(time.Second, fn)
			w.Del(id)
		}
	})
}

func BenchmarkAfterFuncStopParallel(b *testing.B) {
	fn := func() {}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			t := time.AfterFunc(time.Second, fn)
			t.Stop()
		}
	})
}

// b.N short (1 ms) timers that all fire; the time includes waiting for the
// last completion, so ns/op is the cost per fired timer.
func BenchmarkWheelAddFire(b *testing.B) {
	w := NewWheel()
	defer w.Close()
	var wg sync.WaitGroup
	fn := func(ID) { wg.Done() }
	b.ReportAllocs()
	b.ResetTimer()
	wg.Add(b.N)
	for range b.N {
		w.Once(time.Millisecond, fn)
	}
	wg.Wait()
}

func BenchmarkAfterFuncFire(b *testing.B) {
	var wg sync.WaitGroup
	fn := func() { wg.Done() }
	b.ReportAllocs()
	b.ResetTimer()
	wg.Add(b.N)
	for range b.N {
		time.AfterFunc(time.Millisecond, fn)
	}
	wg.Wait()
}

const pendingN = 100_000

// Heap bytes per pending timer (HeapAlloc delta / N), closure shared.
func BenchmarkWheelPendingMem(b *testing.B) {
	fn := func(ID) {}
	var per float64
	for range b.N {
		w := NewWheel()
		h0 := heapAlloc()
		for i := range pendingN {
			w.Add(time.Hour+time.Duration(i)*time.Millisecond, fn)
		}
		per = float64(heapAlloc()-h0) / pendingN
		w.Close()
	}
	b.ReportMetric(per, "B/timer")
}

func BenchmarkAfterFuncPendingMem(b *testing.B) {
	fn := func() {}
	var per float64
	for range b.N {
		ts := make([]*time.Timer, pendingN) // excluded from the delta
		h0 := heapAlloc()
		for i := range ts {
			ts[i] = time.AfterFunc(time.Hour+time.Duration(i)*time.Millisecond, fn)
		}
		per = float64(heapAlloc()-h0) / pendingN
		for _, t := range ts {
			t.Stop()
		}
		runtime.KeepAlive(ts)
	}
	b.ReportMetric(per, "B/timer")
}

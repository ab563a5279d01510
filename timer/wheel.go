package timer

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/bits"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// ID identifies a timer of one Wheel. The zero ID is never returned by Add
// or Once, so it can be used as "no timer".
//
// An ID is generation<<32 | slot; deleting a timer bumps the generation of
// its slot, so a stale ID never matches a timer created later.
type ID uint64

// ErrNegativeInterval is returned by Add and Once for a negative interval.
var ErrNegativeInterval = errors.New("timer: negative interval")

// ErrNilFunc is returned by Add and Once when the callback is nil.
var ErrNilFunc = errors.New("timer: nil callback")

// ErrClosed is returned by Add and Once on a Wheel that has been closed.
var ErrClosed = errors.New("timer: wheel closed")

const (
	tickNs = int64(time.Millisecond) // resolution of the wheel

	levelBits  = 8
	levelSlots = 1 << levelBits // slots per level
	levelMask  = levelSlots - 1
	numLevels  = 4
	maxSpan    = int64(1) << (levelBits * numLevels) // ticks covered by the wheel

	dueBucket  = numLevels * levelSlots // list of entries detached for running
	numBuckets = dueBucket + 1

	chunkBits = 10
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1

	// idleLinger is how long the driver goroutine stays (asleep) after the
	// last pending timer went away before it exits.
	idleLinger      = 20 * time.Millisecond
	idleLingerTicks = int64(idleLinger) / tickNs
)

// Values of entry.bucket that are not list heads.
const (
	bucketFree      = -1 // slot is on the free list
	bucketRunning   = -2 // callback is executing on the driver
	bucketCancelled = -3 // deleted while its callback was executing
)

// entry is one slot of the slab: 40 bytes on 64-bit platforms.
type entry struct {
	fn     func(ID)
	when   int64 // scheduled time, ns since the wheel's epoch
	period int64 // ns between runs; 0 for a one-shot timer
	next   int32 // circular doubly linked list (or free list via next)
	prev   int32
	gen    uint32 // generation, part of the ID; never 0 for a live entry
	bucket int32  // list the entry is on, or one of the bucket* states
}

type chunk [chunkSize]entry

// Wheel is a hierarchical timing wheel with 1 ms resolution. The zero value
// is not usable; create one with NewWheel. All methods are safe for
// concurrent use, including from inside the wheel's own callbacks.
type Wheel struct {
	mu    sync.Mutex
	cond  sync.Cond // signalled when a running callback returns
	epoch time.Time // monotonic origin of all times

	// slab
	chunks []*chunk
	nalloc int32  // slots handed out so far (high-water mark)
	free   int32  // head of the free list, -1 if empty
	genMin uint32 // generation given to fresh slots
	genMax uint32 // largest generation ever handed out

	// wheel
	heads [numBuckets]int32
	occ   [numLevels][levelSlots / 64]uint64 // non-empty slots per level
	base  int64                              // next tick to process
	count int                                // pending timers

	// driver
	driverOn     bool
	driverGID    uint64
	driverDone   chan struct{}
	wake         chan struct{}
	sleepTarget  int64 // tick the sleeping driver will wake at; -1 when awake
	idleArmed    bool  // driver sleeps at most until idleDeadline
	idleDeadline int64 // tick; 0 means "driver has to set it"
	running      int32 // slot whose callback executes, -1 if none
	runSeq       uint64
	waiters      int
	closed       bool
}

// NewWheel returns an empty wheel. It starts no goroutine until the first
// timer is added.
func NewWheel() *Wheel {
	w := &Wheel{
		epoch:       time.Now(),
		free:        -1,
		genMin:      1,
		genMax:      1,
		wake:        make(chan struct{}, 1),
		sleepTarget: -1,
		running:     -1,
	}
	w.cond.L = &w.mu
	for i := range w.heads {
		w.heads[i] = -1
	}
	return w
}

// Add schedules fn to run every interval, starting one interval from now,
// like workerman's Timer::add. Runs are fixed-rate from the scheduled time;
// if the wheel falls behind, missed runs are skipped rather than bunched.
// An interval below the 1 ms resolution (including 0) is rounded up to it.
// fn receives the timer's own ID so that it can Del itself.
func (w *Wheel) Add(interval time.Duration, fn func(id ID)) (ID, error) {
	return w.add(interval, fn, true)
}

// Once schedules fn to run once, interval from now (rounded up to the next
// 1 ms tick; 0 means at the next tick). fn receives the timer's ID.
func (w *Wheel) Once(interval time.Duration, fn func(id ID)) (ID, error) {
	return w.add(interval, fn, false)
}

func (w *Wheel) nowNs() int64 { return int64(time.Since(w.epoch)) }

// tickOf returns the first tick at or after t (ns).
func tickOf(t int64) int64 {
	k := t / tickNs
	if t%tickNs > 0 {
		k++
	}
	return k
}

func (w *Wheel) add(interval time.Duration, fn func(ID), persistent bool) (ID, error) {
	if interval < 0 {
		return 0, ErrNegativeInterval
	}
	if fn == nil {
		return 0, ErrNilFunc
	}
	now := w.nowNs()
	d := int64(interval)
	var period int64
	if persistent {
		period = max(d, tickNs)
		d = period
	}
	when := now + d
	if when < now { // overflow: practically never
		when = math.MaxInt64 - tickNs
	}

	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return 0, ErrClosed
	}
	if w.count == 0 {
		// Nothing is filed, so the wheel may skip straight to now.
		w.base = max(w.base, now/tickNs+1)
	}
	idx := w.alloc()
	e := w.at(idx)
	e.fn = fn
	e.when = when
	e.period = period
	t := w.place(idx, e)
	w.count++
	id := ID(uint64(e.gen)<<32 | uint64(idx))
	if !w.driverOn {
		w.startDriver()
	} else if t < w.sleepTarget {
		w.signal()
	}
	w.mu.Unlock()
	return id, nil
}

// Del deletes the timer id and reports whether it was pending (a running
// one-shot timer is no longer pending; a persistent one is). After Del
// returns, the callback of id never starts again. If that callback is
// executing at the time and Del is called from another goroutine, Del waits
// for it to return; so do not call Del while holding a lock that the
// callback may need. Del of an unknown or stale id returns false.
func (w *Wheel) Del(id ID) bool {
	gen := uint32(id >> 32)
	idx := int32(uint32(id))
	if gen == 0 || idx < 0 {
		return false
	}
	w.mu.Lock()
	if idx >= w.nalloc {
		w.mu.Unlock()
		return false
	}
	e := w.at(idx)
	if e.gen != gen {
		w.mu.Unlock()
		return false
	}
	ok := false
	switch b := e.bucket; {
	case b == bucketFree:
	case b >= 0:
		w.unlink(idx, e)
		w.release(idx, e)
		w.count--
		ok = true
	default: // executing now (bucketRunning or bucketCancelled)
		if b == bucketRunning && e.period > 0 {
			e.bucket = bucketCancelled
			w.count--
			ok = true
		}
		if w.running == idx {
			w.waitRunning()
		}
	}
	if w.count == 0 {
		w.armIdle()
	}
	w.mu.Unlock()
	return ok
}

// DelAll deletes every timer of the wheel. Like Del, it waits for a
// callback executing on another goroutine to return.
func (w *Wheel) DelAll() {
	w.mu.Lock()
	w.delAll()
	w.armIdle()
	if w.running >= 0 {
		w.waitRunning()
	}
	w.mu.Unlock()
}

// Len returns the number of pending timers: those filed in the wheel plus
// a persistent timer whose callback is executing.
func (w *Wheel) Len() int {
	w.mu.Lock()
	n := w.count
	w.mu.Unlock()
	return n
}

// Close deletes all timers, stops the driver goroutine and makes later Add
// and Once calls fail with ErrClosed. Unless called from a callback of this
// wheel, it waits for the driver goroutine to exit. Close is idempotent.
func (w *Wheel) Close() {
	w.mu.Lock()
	w.closed = true
	w.delAll()
	done := w.driverDone
	on := w.driverOn
	w.signal()
	if on && w.onDriver() {
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	if on {
		<-done
	}
}

// --- slab -----------------------------------------------------------------

func (w *Wheel) at(idx int32) *entry {
	return &w.chunks[idx>>chunkBits][idx&chunkMask]
}

func (w *Wheel) alloc() int32 {
	if idx := w.free; idx >= 0 {
		w.free = w.at(idx).next
		return idx
	}
	idx := w.nalloc
	if int(idx) == len(w.chunks)*chunkSize {
		if idx > math.MaxInt32-chunkSize {
			panic("timer: too many pending timers")
		}
		w.chunks = append(w.chunks, new(chunk))
	}
	w.nalloc++
	w.at(idx).gen = w.genMin
	return idx
}

// release returns a slot to the free list and invalidates its ID.
func (w *Wheel) release(idx int32, e *entry) {
	e.fn = nil
	e.gen++
	if e.gen == 0 {
		e.gen = 1
	}
	if e.gen > w.genMax {
		w.genMax = e.gen
	}
	e.bucket = bucketFree
	e.next = w.free
	w.free = idx
}

// resetSlab drops all slots (only when none is in use) so that the memory
// of a large burst of timers is given back. Fresh slots get generations
// above every generation handed out so far, so old IDs stay invalid.
func (w *Wheel) resetSlab() {
	w.chunks = nil
	w.nalloc = 0
	w.free = -1
	w.genMin = w.genMax + 1
	if w.genMin == 0 {
		w.genMin = 1
	}
	w.genMax = w.genMin
}

// --- wheel lists ----------------------------------------------------------

// place files entry idx relative to w.base and returns its due tick.
func (w *Wheel) place(idx int32, e *entry) int64 {
	t := tickOf(e.when)
	d := t - w.base
	var b int
	switch {
	case d < 0:
		b = int(w.base & levelMask)
	case d < 1<<levelBits:
		b = int(t & levelMask)
	case d < 1<<(2*levelBits):
		b = levelSlots + int(t>>levelBits&levelMask)
	case d < 1<<(3*levelBits):
		b = 2*levelSlots + int(t>>(2*levelBits)&levelMask)
	default:
		s := t
		if d >= maxSpan {
			s = w.base + maxSpan - 1
		}
		b = 3*levelSlots + int(s>>(3*levelBits)&levelMask)
	}
	w.link(b, idx, e)
	return t
}

// link appends idx to the tail of bucket b.
func (w *Wheel) link(b int, idx int32, e *entry) {
	e.bucket = int32(b)
	h := w.heads[b]
	if h < 0 {
		w.heads[b] = idx
		e.next, e.prev = idx, idx
		if b < dueBucket {
			w.occ[b>>levelBits][b&levelMask>>6] |= 1 << (b & 63)
		}
		return
	}
	he := w.at(h)
	tail := he.prev
	e.prev, e.next = tail, h
	w.at(tail).next = idx
	he.prev = idx
}

func (w *Wheel) unlink(idx int32, e *entry) {
	b := int(e.bucket)
	if e.next == idx {
		w.heads[b] = -1
		if b < dueBucket {
			w.occ[b>>levelBits][b&levelMask>>6] &^= 1 << (b & 63)
		}
		return
	}
	w.at(e.prev).next = e.next
	w.at(e.next).prev = e.prev
	if w.heads[b] == idx {
		w.heads[b] = e.next
	}
}

// detach empties bucket b and returns its former head (-1 if it was empty).
func (w *Wheel) detach(b int) int32 {
	h := w.heads[b]
	if h >= 0 {
		w.heads[b] = -1
		w.occ[b>>levelBits][b&levelMask>>6] &^= 1 << (b & 63)
	}
	return h
}

// cascade re-files every entry of level lvl, slot s, relative to w.base.
func (w *Wheel) cascade(lvl, s int) {
	h := w.detach(lvl*levelSlots + s)
	if h < 0 {
		return
	}
	idx := h
	for {
		e := w.at(idx)
		next := e.next
		w.place(idx, e)
		if next == h {
			return
		}
		idx = next
	}
}

// nextTick returns the earliest tick >= w.base at which the wheel has work:
// running a level-0 slot or cascading a higher-level slot. It returns
// math.MaxInt64 if the wheel is empty.
func (w *Wheel) nextTick() int64 {
	best := int64(math.MaxInt64)
	base := w.base
	for k := range numLevels {
		shift := uint(k * levelBits)
		p := int(base >> shift & levelMask)
		from := p
		if k > 0 && base&(1<<shift-1) != 0 {
			from = p + 1 // slot p was cascaded already; it now holds later timers
		}
		q, wrapped, ok := nextSet(&w.occ[k], from)
		if !ok {
			continue
		}
		span := int64(1) << (shift + levelBits)
		t := base&^(span-1) + int64(q)<<shift
		if wrapped {
			t += span
		}
		best = min(best, t)
	}
	return best
}

// nextSet finds the first set bit at or after from, wrapping around.
func nextSet(m *[levelSlots / 64]uint64, from int) (q int, wrapped, ok bool) {
	if from < levelSlots {
		wi := from >> 6
		if v := m[wi] &^ (1<<(from&63) - 1); v != 0 {
			return wi<<6 + bits.TrailingZeros64(v), false, true
		}
		for wi++; wi < len(m); wi++ {
			if m[wi] != 0 {
				return wi<<6 + bits.TrailingZeros64(m[wi]), false, true
			}
		}
	}
	for wi := range m {
		if m[wi] != 0 {
			q = wi<<6 + bits.TrailingZeros64(m[wi])
			if q >= from {
				return 0, false, false
			}
			return q, true, true
		}
	}
	return 0, false, false
}

func (w *Wheel) delAll() {
	w.count = 0
	if w.running < 0 {
		for i := range w.heads {
			w.heads[i] = -1
		}
		w.occ = [numLevels][levelSlots / 64]uint64{}
		w.resetSlab()
		return
	}
	// A callback is executing, so its slot must survive: free one by one.
	for b := range w.heads {
		h := w.heads[b]
		if h < 0 {
			continue
		}
		idx := h
		for {
			e := w.at(idx)
			next := e.next
			w.release(idx, e)
			if next == h {
				break
			}
			idx = next
		}
		w.heads[b] = -1
	}
	w.occ = [numLevels][levelSlots / 64]uint64{}
	if e := w.at(w.running); e.bucket == bucketRunning && e.period > 0 {
		e.bucket = bucketCancelled
	}
}

// --- driver ---------------------------------------------------------------

func (w *Wheel) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// armIdle makes the driver wake within idleLinger so that it can exit
// if nothing is pending. Called with mu held when count dropped to 0.
func (w *Wheel) armIdle() {
	if w.driverOn && !w.idleArmed {
		w.idleArmed = true
		w.idleDeadline = 0
		w.signal()
	}
}

// waitRunning waits (mu held) until the callback executing now returns,
// unless the caller is that callback (i.e. runs on the driver goroutine).
func (w *Wheel) waitRunning() {
	if w.onDriver() {
		return
	}
	seq := w.runSeq
	w.waiters++
	for w.running >= 0 && w.runSeq == seq {
		w.cond.Wait()
	}
	w.waiters--
}

func (w *Wheel) onDriver() bool {
	return w.driverOn && goid() == w.driverGID
}

func (w *Wheel) startDriver() {
	w.driverOn = true
	w.idleArmed = false
	w.idleDeadline = 0
	w.sleepTarget = -1
	w.driverGID = 0
	done := make(chan struct{})
	w.driverDone = done
	// Drain a stale wake-up left by the previous driver.
	select {
	case <-w.wake:
	default:
	}
	go w.run(done)
}

func (w *Wheel) run(done chan struct{}) {
	defer close(done)
	gid := goid()
	var tm *time.Timer
	w.mu.Lock()
	w.driverGID = gid
	for !w.closed {
		w.advance()
		if w.closed {
			break
		}
		now := w.nowNs() / tickNs
		if w.idleArmed && w.idleDeadline == 0 {
			w.idleDeadline = now + idleLingerTicks
		}
		var target int64
		if w.count == 0 {
			if !w.idleArmed {
				w.idleArmed = true
				w.idleDeadline = now + idleLingerTicks
			}
			if now >= w.idleDeadline {
				break
			}
			target = w.idleDeadline
		} else {
			target = w.nextTick()
			if target == math.MaxInt64 { // nothing filed (cannot happen while count > 0)
				target = now + idleLingerTicks
			}
			if w.idleArmed {
				if now >= w.idleDeadline {
					w.idleArmed = false
					w.idleDeadline = 0
				} else {
					target = min(target, w.idleDeadline)
				}
			}
		}
		sleep := time.Duration(target*tickNs - w.nowNs())
		if sleep <= 0 {
			continue
		}
		w.sleepTarget = target
		w.mu.Unlock()
		if tm == nil {
			tm = time.NewTimer(sleep)
		} else {
			tm.Reset(sleep)
		}
		select {
		case <-tm.C:
		case <-w.wake:
		}
		w.mu.Lock()
		w.sleepTarget = -1
	}
	if tm != nil {
		tm.Stop()
	}
	w.driverOn = false
	w.idleArmed = false
	w.sleepTarget = -1
	if w.count == 0 && w.running < 0 {
		w.resetSlab()
		for i := range w.heads {
			w.heads[i] = -1
		}
	}
	w.mu.Unlock()
}

// advance processes every tick up to now, running due callbacks. mu held.
func (w *Wheel) advance() {
	for !w.closed {
		now := w.nowNs() / tickNs
		if w.base > now {
			return
		}
		if w.count == 0 {
			w.base = now + 1
			return
		}
		next := w.nextTick()
		if next > now {
			w.base = now + 1
			return
		}
		w.base = next
		w.processTick(next)
	}
}

func (w *Wheel) processTick(t int64) {
	if t&levelMask == 0 {
		for k := 1; k < numLevels; k++ {
			s := int(t >> (uint(k) * levelBits) & levelMask)
			w.cascade(k, s)
			if s != 0 {
				break
			}
		}
	}
	if h := w.detach(int(t & levelMask)); h >= 0 {
		idx := h
		for {
			e := w.at(idx)
			e.bucket = dueBucket
			idx = e.next
			if idx == h {
				break
			}
		}
		w.heads[dueBucket] = h
	}
	w.base = t + 1
	for !w.closed {
		idx := w.heads[dueBucket]
		if idx < 0 {
			return
		}
		e := w.at(idx)
		w.unlink(idx, e)
		fn := e.fn
		id := ID(uint64(e.gen)<<32 | uint64(idx))
		if e.period == 0 {
			w.count--
		}
		e.bucket = bucketRunning
		w.running = idx
		w.runSeq++
		w.mu.Unlock()
		call(fn, id)
		w.mu.Lock()
		w.running = -1
		if w.waiters > 0 {
			w.cond.Broadcast()
		}
		// e stays valid: chunks never move and the slab is not reset while
		// a callback runs.
		if e.bucket == bucketRunning && e.period > 0 {
			now := w.nowNs()
			next := e.when + e.period
			if next <= now {
				// Fell behind: skip the missed runs (fixed rate, no burst).
				next = e.when + ((now-e.when)/e.period+1)*e.period
			}
			if next < e.when { // overflow
				next = math.MaxInt64 - tickNs
			}
			e.when = next
			w.place(idx, e)
		} else {
			w.release(idx, e)
		}
	}
}

func call(fn func(ID), id ID) {
	defer func() {
		if r := recover(); r != nil {
			slog.Error("timer: callback panicked",
				"id", uint64(id),
				"panic", fmt.Sprint(r),
				"stack", string(debug.Stack()))
		}
	}()
	fn(id)
}

// goid returns the current goroutine's id, parsed from the header line
// "goroutine N [...". It costs about a microsecond and is only used when a
// Del has to decide whether it may wait for a running callback.
func goid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	b := buf[:n]
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

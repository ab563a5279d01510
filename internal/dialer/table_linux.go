package dialer

import "sync"

// The table of pending attempts. The connector's epoll events carry a slot
// and a generation (in epoll_event's 64 data bits) rather than a pointer,
// which the garbage collector could not see there; a late event of an
// attempt that has finished finds its slot empty or reused under another
// generation and is dropped. Generations come from one counter for the
// whole table, so they stay unique when the slots are dropped: 2^32
// attempts would have to start while one event waits in a batch for a
// generation to repeat.
//
// Slots are reused last-freed first. The table is as long as the most
// attempts ever pending at once, and it is dropped when it empties if it
// had grown past keepSlots (a burst of 10,000 connects leaves nothing
// behind).
const keepSlots = 256

type slotEntry struct {
	a   *attempt
	gen uint32 // 0: free
}

type table struct {
	mu    sync.Mutex
	slots []slotEntry
	free  []int32
	used  int
	gen   uint32
}

var attempts table

// add files a and returns its slot and generation.
func (t *table) add(a *attempt) (int32, uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	if t.gen == 0 {
		t.gen = 1
	}
	var slot int32
	if n := len(t.free); n > 0 {
		slot = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		slot = int32(len(t.slots))
		t.slots = append(t.slots, slotEntry{})
	}
	t.slots[slot] = slotEntry{a: a, gen: t.gen}
	t.used++
	return slot, t.gen
}

// lookup returns the attempt filed under slot and gen, or nil if it has
// been removed.
func (t *table) lookup(slot int32, gen uint32) *attempt {
	t.mu.Lock()
	defer t.mu.Unlock()
	if slot < 0 || int(slot) >= len(t.slots) || t.slots[slot].gen != gen {
		return nil
	}
	return t.slots[slot].a
}

// remove frees slot if gen still holds it.
func (t *table) remove(slot int32, gen uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if slot < 0 || int(slot) >= len(t.slots) || t.slots[slot].gen != gen {
		return
	}
	t.slots[slot] = slotEntry{}
	t.free = append(t.free, slot)
	t.used--
	if t.used == 0 && len(t.slots) > keepSlots {
		t.slots, t.free = nil, nil
	}
}

// len is the number of attempts filed.
func (t *table) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.used
}

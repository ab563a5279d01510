package dialer

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTableReusesSlots(t *testing.T) {
	var tb table
	a, b := &attempt{}, &attempt{}
	sa, ga := tb.add(a)
	sb, gb := tb.add(b)
	assert.NotEqual(t, sa, sb)
	assert.Same(t, a, tb.lookup(sa, ga))
	assert.Equal(t, 2, tb.len())

	tb.remove(sa, ga)
	assert.Nil(t, tb.lookup(sa, ga), "removed")
	tb.remove(sa, ga) // a second remove is a no-op
	assert.Equal(t, 1, tb.len())

	c := &attempt{}
	sc, gc := tb.add(c)
	assert.Equal(t, sa, sc, "the freed slot is reused")
	assert.NotEqual(t, ga, gc, "under a new generation")
	assert.Nil(t, tb.lookup(sa, ga), "a late event of a finds nothing")
	assert.Same(t, c, tb.lookup(sc, gc))
	tb.remove(sa, ga) // a stale remove leaves c alone
	assert.Same(t, c, tb.lookup(sc, gc))
	assert.Nil(t, tb.lookup(-1, 0))
	assert.Nil(t, tb.lookup(99, gb))
}

func TestTableShrinksWhenEmpty(t *testing.T) {
	var tb table
	type id struct {
		slot int32
		gen  uint32
	}
	ids := make([]id, 0, 4*keepSlots)
	for range 4 * keepSlots {
		s, g := tb.add(&attempt{})
		ids = append(ids, id{s, g})
	}
	assert.Len(t, tb.slots, 4*keepSlots)
	for _, x := range ids {
		tb.remove(x.slot, x.gen)
	}
	assert.Zero(t, tb.len())
	assert.Empty(t, tb.slots, "a burst leaves nothing behind")
	s, g := tb.add(&attempt{})
	for _, x := range ids {
		if x.slot == s {
			assert.NotEqual(t, x.gen, g, "generations stay unique across the drop")
		}
	}
}

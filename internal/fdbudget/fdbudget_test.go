package fdbudget

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBudgetLeavesAReserve(t *testing.T) {
	assert.Equal(t, int64(1024-64), budgetFor(1024))
	assert.Equal(t, int64(20000-1250), budgetFor(20000))
	assert.Equal(t, int64(1), budgetFor(10), "a tiny limit still lets one through")
}

func TestAcquireStopsAtTheLimit(t *testing.T) {
	Limit()
	saved := limit
	limit = used.Load() + 100
	defer func() { limit = saved }()
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if Acquire() {
					mu.Lock()
					got++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 100, got, "exactly the budget is handed out under contention")
	assert.False(t, Acquire())
	Release()
	assert.True(t, Acquire())
	for range 100 {
		Release()
	}
}

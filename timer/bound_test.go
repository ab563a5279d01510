package timer

// Second reader's reproducers (review of the changes since bc73216).

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

type queueEx struct {
	mu  sync.Mutex
	fns []func()
}

func (q *queueEx) Execute(fn func()) error {
	q.mu.Lock()
	q.fns = append(q.fns, fn)
	q.mu.Unlock()
	return nil
}

func (q *queueEx) run() int {
	q.mu.Lock()
	fns := q.fns
	q.fns = nil
	q.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
	return len(fns)
}

func boundLen() int {
	n := 0
	boundTimers.Range(func(any, any) bool { n++; return true })
	return n
}

// Sound: a Del after the fire was queued stops it; a one-shot that ran
// leaves no entry.
func TestBoundDelStopsQueuedFire(t *testing.T) {
	q := &queueEx{}
	ran := 0
	id, err := OnceOn(q, time.Millisecond, func(ID) { ran++ })
	assert.NoError(t, err)
	time.Sleep(30 * time.Millisecond)
	Del(id)
	assert.Equal(t, 1, q.run(), "the fire was queued")
	assert.Zero(t, ran)

	id2, _ := OnceOn(q, time.Millisecond, func(ID) { ran++ })
	time.Sleep(30 * time.Millisecond)
	q.run()
	assert.Equal(t, 1, ran)
	_, ok := boundTimers.Load(id2)
	assert.False(t, ok)
}

type deadEx struct{}

func (deadEx) Execute(func()) error { return errors.New("engine in shutdown") }

// A one-shot whose executor refuses the fire (a stopped worker's loop:
// gnet's Execute returns ErrEngineInShutdown) keeps its boundTimers entry
// for ever.
func TestOneShotEntryLeaksWhenExecuteFails(t *testing.T) {
	before := boundLen()
	for range 100 {
		_, err := OnceOn(deadEx{}, time.Millisecond, func(ID) {})
		assert.NoError(t, err)
	}
	time.Sleep(50 * time.Millisecond)
	assert.Zero(t, Len(), "the wheel has nothing left")
	assert.Equal(t, before, boundLen(), "no entry is left in boundTimers")
}

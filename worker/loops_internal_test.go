package worker

import (
	"context"
	"sync"
	"testing"

	"github.com/panjf2000/gnet/v2"
	"github.com/stretchr/testify/assert"
)

// recordingLoop runs what it is given at once, recording the order.
type recordingLoop struct {
	gnet.EventLoop
	mu  sync.Mutex
	ran []int
}

func (l *recordingLoop) Execute(ctx context.Context, r gnet.Runnable) error { return r.Run(ctx) }

// Functions queued on a loop executor before its loop is known run first,
// in order, and later ones after them.
func TestLoopExecKeepsOrder(t *testing.T) {
	el := &recordingLoop{}
	l := &loopExec{w: &Worker{}}
	note := func(i int) func() {
		return func() { el.mu.Lock(); el.ran = append(el.ran, i); el.mu.Unlock() }
	}
	for i := range 3 {
		assert.NoError(t, l.Execute(note(i)))
	}
	assert.False(t, l.bound())
	var wg sync.WaitGroup
	wg.Go(func() { l.bind(el) })
	wg.Wait()
	assert.NoError(t, l.Execute(note(3)))
	el.mu.Lock()
	defer el.mu.Unlock()
	assert.Equal(t, []int{0, 1, 2, 3}, el.ran)
}

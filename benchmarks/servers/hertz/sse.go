package main

import (
	"context"
	"strconv"
	"sync"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/protocol/sse"
	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

// hub is SSE the way hertz documents it (pkg/protocol/sse): the handler
// keeps its goroutine for the life of the stream and writes each event
// with sse.Writer, chunked. A publish hands the event's id to every
// subscriber's channel; a slow subscriber misses it rather than stall
// the rest, as in common.ChanHub.
type hub struct {
	mu   sync.Mutex
	subs map[chan int]struct{}
	seq  int
}

func newHub() *hub { return &hub{subs: map[chan int]struct{}{}} }

var eventData = []byte(common.EventData)

func (h *hub) serve(ctx context.Context, c *app.RequestContext) {
	w := sse.NewWriter(c)
	ch := make(chan int, 16)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}()
	// A comment gets the header out now.
	if w.WriteComment("ok") != nil {
		return
	}
	for {
		select {
		case id := <-ch:
			if w.WriteEvent(strconv.Itoa(id), "", eventData) != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func (h *hub) publish() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	for ch := range h.subs {
		select {
		case ch <- h.seq:
		default:
		}
	}
	return len(h.subs)
}

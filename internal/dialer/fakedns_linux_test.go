package dialer

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDNS answers lookups once released, or fails them when their
// context ends.
type fakeDNS struct {
	calls   atomic.Int32
	release chan struct{}

	mu     sync.Mutex
	answer map[string][]netip.Addr
	err    error
}

func newFakeDNS() *fakeDNS {
	return &fakeDNS{release: make(chan struct{}), answer: map[string][]netip.Addr{}}
}

func (f *fakeDNS) set(host string, ips ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range ips {
		f.answer[host] = append(f.answer[host], netip.MustParseAddr(s))
	}
}

func (f *fakeDNS) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// open releases every lookup, now and later.
func (f *fakeDNS) open() { close(f.release) }

func (f *fakeDNS) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	f.calls.Add(1)
	select {
	case <-f.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.answer[host], f.err
}

// clock is a settable now for cache expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestResolver makes a resolver on f whose workers end with the test
// (f must let its lookups end by then: open it or let them time out).
func newTestResolver(t *testing.T, f *fakeDNS, now func() time.Time) *resolver {
	r := newResolver(f.lookup, now)
	t.Cleanup(r.close)
	return r
}

// useDNS makes Dial use a resolver on f until the test ends.
func useDNS(t *testing.T, f *fakeDNS) *resolver {
	r := newTestResolver(t, f, time.Now)
	old := dns
	dns = r
	t.Cleanup(func() { dns = old })
	return r
}

// close stops the workers once their lookups are over; resolve fails
// with ErrResolverBusy afterwards.
func (r *resolver) close() {
	r.start.Do(func() {})
	if r.jobs != nil {
		close(r.jobs)
	}
	r.wg.Wait()
}

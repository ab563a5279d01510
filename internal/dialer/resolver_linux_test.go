package dialer

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answers collects resolve callbacks.
type answers struct {
	mu  sync.Mutex
	got []error
	ips [][]netip.Addr
	all sync.WaitGroup
}

func (a *answers) cb() func([]netip.Addr, error) {
	a.all.Add(1)
	return func(ips []netip.Addr, err error) {
		a.mu.Lock()
		a.got = append(a.got, err)
		a.ips = append(a.ips, ips)
		a.mu.Unlock()
		a.all.Done()
	}
}

func (a *answers) wait(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() { a.all.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("callbacks did not all run")
	}
}

func TestResolverDedupAndCache(t *testing.T) {
	f := newFakeDNS()
	f.set("a.test", "192.0.2.1")
	clk := &clock{now: time.Unix(1000, 0)}
	r := newTestResolver(t, f, clk.Now)
	var a answers
	deadline := time.Now().Add(5 * time.Second)
	for range 10 {
		_, now, err := r.resolve("a.test", deadline, a.cb())
		require.False(t, now)
		require.NoError(t, err)
	}
	f.open()
	a.wait(t)
	assert.Equal(t, int32(1), f.calls.Load(), "ten dials of one name, one lookup")
	for i := range a.got {
		assert.NoError(t, a.got[i])
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("192.0.2.1")}, a.ips[i])
	}

	ips, now, err := r.resolve("a.test", deadline, nil)
	assert.True(t, now, "cached")
	assert.NoError(t, err)
	assert.Equal(t, "192.0.2.1", ips[0].String())
	assert.Equal(t, int32(1), f.calls.Load())

	clk.add(positiveTTL)
	var b answers
	_, now, _ = r.resolve("a.test", deadline, b.cb())
	assert.False(t, now, "expired after positiveTTL")
	b.wait(t)
	assert.Equal(t, int32(2), f.calls.Load())
}

func TestResolverNegativeCache(t *testing.T) {
	f := newFakeDNS()
	f.fail(&net.DNSError{Err: "no such host", Name: "gone.test", IsNotFound: true})
	f.open()
	clk := &clock{now: time.Unix(1000, 0)}
	r := newTestResolver(t, f, clk.Now)
	var a answers
	_, now, _ := r.resolve("gone.test", time.Now().Add(5*time.Second), a.cb())
	require.False(t, now)
	a.wait(t)
	_, now, err := r.resolve("gone.test", time.Now().Add(5*time.Second), nil)
	assert.True(t, now, "a failure is cached")
	var de *net.DNSError
	require.True(t, errors.As(err, &de))
	assert.True(t, de.IsNotFound)

	clk.add(negativeTTL)
	var b answers
	_, now, _ = r.resolve("gone.test", time.Now().Add(5*time.Second), b.cb())
	assert.False(t, now, "for negativeTTL only")
	b.wait(t)
}

func TestResolverTimeoutNotCached(t *testing.T) {
	f := newFakeDNS() // never answers: every lookup times out
	r := newTestResolver(t, f, time.Now)
	var a answers
	_, now, _ := r.resolve("slow.test", time.Now().Add(10*time.Millisecond), a.cb())
	require.False(t, now)
	a.wait(t)
	var de *net.DNSError
	require.True(t, errors.As(a.got[0], &de), "%T", a.got[0])
	assert.True(t, de.IsTimeout)
	var b answers
	_, now, _ = r.resolve("slow.test", time.Now().Add(10*time.Millisecond), b.cb())
	assert.False(t, now, "a timeout is not cached")
	b.wait(t)
}

func TestResolverOrder(t *testing.T) {
	f := newFakeDNS()
	f.set("mixed.test", "::1", "::ffff:127.0.0.1", "10.0.0.1", "127.0.0.1")
	f.open()
	r := newTestResolver(t, f, time.Now)
	var a answers
	r.resolve("mixed.test", time.Now().Add(5*time.Second), a.cb())
	a.wait(t)
	want := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("::1")}
	assert.Equal(t, want, a.ips[0], "IPv4 first, mapped addresses unmapped, no repeats")
}

func TestResolverEmptyAnswer(t *testing.T) {
	f := newFakeDNS()
	f.open()
	r := newTestResolver(t, f, time.Now)
	var a answers
	r.resolve("empty.test", time.Now().Add(5*time.Second), a.cb())
	a.wait(t)
	var de *net.DNSError
	require.True(t, errors.As(a.got[0], &de))
	assert.True(t, de.IsNotFound)
}

// TestResolverBusy fills the pool: four names being looked up, 1,024
// queued, and the next fails at once.
func TestResolverBusy(t *testing.T) {
	f := newFakeDNS()
	r := newTestResolver(t, f, time.Now)
	var a answers
	deadline := time.Now().Add(time.Minute)
	accepted, busy := 0, 0
	for i := range resolverWorkers + resolverQueue + 50 {
		cb := a.cb()
		_, now, err := r.resolve(fmt.Sprintf("n%d.test", i), deadline, cb)
		if !now {
			accepted++
			continue
		}
		cb(nil, err) // balance the WaitGroup
		busy++
		assert.True(t, errors.Is(err, ErrResolverBusy), "%v", err)
		var de *net.DNSError
		assert.True(t, errors.As(err, &de))
		assert.True(t, de.Temporary())
	}
	assert.GreaterOrEqual(t, accepted, resolverQueue)
	assert.LessOrEqual(t, accepted, resolverQueue+resolverWorkers)
	assert.Positive(t, busy)
	f.open()
	a.wait(t)
	assert.Equal(t, int32(accepted), f.calls.Load())
}

func TestResolverCacheBounded(t *testing.T) {
	f := newFakeDNS()
	r := newTestResolver(t, f, time.Now)
	r.mu.Lock()
	for i := range 3 * cacheEntries {
		r.storeLocked(fmt.Sprintf("n%d.test", i), []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil)
	}
	n := len(r.cache)
	r.mu.Unlock()
	assert.LessOrEqual(t, n, cacheEntries)
}

// TestDialResolverBusy: a Dial that finds the queue full fails through
// done with ErrResolverBusy.
func TestDialResolverBusy(t *testing.T) {
	f := newFakeDNS()
	r := useDNS(t, f)
	deadline := time.Now().Add(time.Minute)
	for i := range resolverWorkers + resolverQueue {
		r.resolve(fmt.Sprintf("n%d.test", i), deadline, func([]netip.Addr, error) {})
	}
	o := dialWait(t, "tcp", "one-more.test:80", 5*time.Second)
	assert.True(t, errors.Is(o.err, ErrResolverBusy), "%v", o.err)
	assert.Equal(t, "dial tcp: lookup one-more.test: resolver busy", o.err.Error())
	f.open()
	assert.Equal(t, 0, Pending())
}

// TestDialTriesEachAddress: a name's addresses are tried in order, IPv4
// first; the first that accepts wins, and if none does, the first error is
// reported.
func TestDialTriesEachAddress(t *testing.T) {
	ln6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	defer ln6.Close()
	acceptAndClose(ln6)
	_, port, _ := net.SplitHostPort(ln6.Addr().String())
	if c, err := net.Dial("tcp4", "127.0.0.1:"+port); err == nil {
		c.Close()
		t.Skipf("127.0.0.1:%s accepts too", port)
	}
	f := newFakeDNS()
	f.set("two.test", "::1", "127.0.0.1")
	f.open()
	useDNS(t, f)
	o := dialWait(t, "tcp", "two.test:"+port, 5*time.Second)
	require.NoError(t, o.err, "127.0.0.1 refuses, ::1 accepts")
	assert.Equal(t, ln6.Addr().String(), o.conn.RemoteAddr().String())

	o = dialWait(t, "tcp4", "two.test:"+port, 5*time.Second)
	assert.True(t, errors.Is(o.err, syscall.ECONNREFUSED), "tcp4 tries 127.0.0.1 only: %v", o.err)

	ln6.Close()
	o = dialWait(t, "tcp", "two.test:"+port, 5*time.Second)
	assert.True(t, errors.Is(o.err, syscall.ECONNREFUSED), "%v", o.err)
	assert.Equal(t, "dial tcp 127.0.0.1:"+port+": connect: connection refused", o.err.Error(), "the first address's error")
	assert.Equal(t, 0, Pending())
}

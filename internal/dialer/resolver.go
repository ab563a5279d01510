//go:build linux

package dialer

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// The resolver pool, for the epoll connector (other systems use
// net.Dialer's lookup). A lookup may wait seconds on a DNS server, so it
// cannot run on the caller (an event loop) or on the connector; a
// goroutine per lookup is what this package avoids. So resolverWorkers
// goroutines take names from a queue of resolverQueue: a burst beyond that
// fails at once with ErrResolverBusy rather than queueing without bound.
// A name already queued or being looked up is not queued again: its
// dials wait for that one lookup, whose deadline is that of the dial that
// asked first (plus lookupGrace, so that the dial's own timeout, which
// says how long it waited, normally fires first).
//
// Answers are cached for the next dials: addresses for positiveTTL,
// failures for negativeTTL (a name that does not exist is not asked for
// again by each of a thousand reconnects), timeouts not at all (they say
// more about the deadline than about the name). The cache holds at most
// cacheEntries names; past that, expired entries go, then any (see
// evictLocked).
const (
	resolverWorkers = 4
	resolverQueue   = 1024
	cacheEntries    = 1024
	positiveTTL     = 30 * time.Second
	negativeTTL     = 5 * time.Second
	lookupGrace     = 100 * time.Millisecond
)

// lookupFunc looks host up; tests replace Go's resolver with one.
type lookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

type lookupJob struct {
	host     string
	deadline time.Time
}

type cacheEntry struct {
	ips     []netip.Addr // shared, never modified
	err     error
	expires time.Time
}

type resolver struct {
	lookup lookupFunc
	now    func() time.Time

	start sync.Once
	jobs  chan lookupJob // made by start
	wg    sync.WaitGroup // the workers, for tests that close a resolver

	mu      sync.Mutex
	cache   map[string]cacheEntry
	waiting map[string][]func([]netip.Addr, error) // names queued or being looked up
}

// dns is the resolver Dial uses. Tests swap it, between dials.
var dns = newResolver(goLookup, time.Now)

var goResolver = &net.Resolver{PreferGo: true}

// goLookup asks Go's own resolver, which reads /etc/hosts and then the
// servers of /etc/resolv.conf, and never needs cgo.
func goLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return goResolver.LookupNetIP(ctx, "ip", host)
}

func newResolver(lookup lookupFunc, now func() time.Time) *resolver {
	return &resolver{
		lookup:  lookup,
		now:     now,
		cache:   make(map[string]cacheEntry),
		waiting: make(map[string][]func([]netip.Addr, error)),
	}
}

// resolve returns host's addresses (IPv4 first) or its lookup error with
// now true when they are known at once: from the cache, or
// ErrResolverBusy when the queue is full. Otherwise it reports now false,
// and cb gets the answer later, on a resolver goroutine. The errors are
// *net.DNSError. cb must not block.
func (r *resolver) resolve(host string, deadline time.Time, cb func([]netip.Addr, error)) (ips []netip.Addr, now bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.cache[host]; ok {
		if r.now().Before(e.expires) {
			return e.ips, true, e.err
		}
		delete(r.cache, host)
	}
	if w, ok := r.waiting[host]; ok {
		r.waiting[host] = append(w, cb)
		return nil, false, nil
	}
	r.start.Do(r.startWorkers)
	select {
	case r.jobs <- lookupJob{host: host, deadline: deadline}:
		r.waiting[host] = []func([]netip.Addr, error){cb}
		return nil, false, nil
	default:
		return nil, true, &net.DNSError{Err: "resolver busy", Name: host, IsTemporary: true, UnwrapErr: ErrResolverBusy}
	}
}

func (r *resolver) startWorkers() {
	r.jobs = make(chan lookupJob, resolverQueue)
	for range resolverWorkers {
		r.wg.Go(r.work)
	}
}

// work is one resolver goroutine.
func (r *resolver) work() {
	for j := range r.jobs {
		ips, err := r.run(j)
		r.mu.Lock()
		r.storeLocked(j.host, ips, err)
		waiters := r.waiting[j.host]
		delete(r.waiting, j.host)
		r.mu.Unlock()
		for _, cb := range waiters {
			cb(ips, err)
		}
	}
}

// run looks j.host up and puts the answer in the order dials try it:
// IPv4 first, IPv4-mapped IPv6 addresses as IPv4, no repeats.
func (r *resolver) run(j lookupJob) ([]netip.Addr, error) {
	ctx, cancel := context.WithDeadline(context.Background(), j.deadline.Add(lookupGrace))
	defer cancel()
	found, err := r.lookup(ctx, j.host)
	if err != nil {
		return nil, asDNSError(j.host, err)
	}
	ips := make([]netip.Addr, 0, len(found))
	for _, ip := range found {
		if ip = ip.Unmap(); ip.IsValid() && !slices.Contains(ips, ip) {
			ips = append(ips, ip)
		}
	}
	if len(ips) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: j.host, IsNotFound: true}
	}
	slices.SortStableFunc(ips, func(a, b netip.Addr) int {
		switch {
		case a.Is4() == b.Is4():
			return 0
		case a.Is4():
			return -1
		}
		return 1
	})
	return ips, nil
}

// asDNSError makes sure a lookup error is a *net.DNSError.
func asDNSError(host string, err error) error {
	var de *net.DNSError
	if errors.As(err, &de) {
		return err
	}
	timeout := errors.Is(err, context.DeadlineExceeded)
	return &net.DNSError{Err: err.Error(), Name: host, IsTimeout: timeout, UnwrapErr: err}
}

// storeLocked caches an answer.
func (r *resolver) storeLocked(host string, ips []netip.Addr, err error) {
	ttl := positiveTTL
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsTimeout {
			return
		}
		ttl = negativeTTL
	}
	if _, ok := r.cache[host]; !ok && len(r.cache) >= cacheEntries {
		r.evictLocked()
	}
	r.cache[host] = cacheEntry{ips: ips, err: err, expires: r.now().Add(ttl)}
}

// evictLocked makes room: it drops the expired entries, and if that
// leaves the cache full, an eighth of it at random, so that a cache full
// of live names is swept once per cacheEntries/8 new names, not each time.
func (r *resolver) evictLocked() {
	now := r.now()
	for host, e := range r.cache {
		if !now.Before(e.expires) {
			delete(r.cache, host)
		}
	}
	for host := range r.cache {
		if len(r.cache) <= cacheEntries-cacheEntries/8 {
			break
		}
		delete(r.cache, host)
	}
}

// Package timer provides workerman-style timers (Timer::add / Timer::del)
// backed by a hierarchical timing wheel.
//
// A Wheel keeps every pending timer as a fixed-size entry in a slab (a list
// of fixed-size chunks with a free list) and threads the entries through
// four wheel levels of 256 slots each with intrusive int32 linked lists. The
// resolution is one millisecond; level 0 covers the next 256 ms, level 1 the
// next ~65 s, level 2 the next ~4.6 h and level 3 the next ~49.7 days (longer
// timers are parked in level 3 and re-filed when they come round). Add, Once
// and Del are O(1) and allocate nothing besides the caller's closure; an ID
// is generation<<32 | slot, so Del needs no map.
//
// # Where callbacks run
//
// Each Wheel has at most one driver goroutine. Every callback of that wheel
// runs on it, one at a time, in due order, much like callbacks on
// workerman's event loop. A callback therefore must not block for long: it
// delays every other timer of the same wheel. Callbacks may freely call
// Add, Once, Del and DelAll on any wheel (including deleting themselves via
// the id they receive), and may call goroutine-safe methods of other
// packages.
//
// After Del(id) returns, the callback of id never starts again. To make
// that hold against a callback that is executing at that moment, Del,
// DelAll and Close called from another goroutine wait for it to return
// (from the callback itself they do not wait). So do not call them while
// holding a lock that the callback may take.
//
// A callback must not call runtime.Goexit (e.g. testing.T.FailNow): that
// would end the driver goroutine in the middle of its work.
//
// A panic in a callback is recovered and logged with its stack through
// log/slog; the wheel keeps running and a persistent timer stays scheduled.
//
// The driver goroutine does not tick: it sleeps until the next due time. It
// exits once nothing has been pending for a short grace period (idleLinger,
// 20 ms, so that tight Add/Del loops do not start a goroutine per timer) and
// is started again by the next Add or Once. Close stops it for good.
//
// The package-level functions Add, Once, Del, DelAll and Len use a default
// wheel that is never closed.
//
// # Two kinds of timers
//
//   - Add and Once run their callbacks on the wheel's goroutine,
//     concurrently with the event loops. Use them for work that locks
//     what it shares, or that may block for a while (a database call): a
//     blocked callback delays the other timers of this wheel only, never
//     a connection's callbacks or the framework's own timeouts, which run
//     on a wheel of their own.
//   - AddOn and OnceOn run their callbacks on an Executor: an event loop,
//     worker.Worker.Loop(i) or a connection's (connection.TcpConnection is
//     an Executor). That is where workerman runs its timers, on the
//     worker's event loop: a port of a PHP app with Count = 1 and its
//     timers bound to Loop(0) runs all its callbacks on one goroutine and
//     needs no locks. Such a callback must not block, like any callback
//     on a loop.
//
// Del deletes either kind.
package timer

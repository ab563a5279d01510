// Package dialer makes outbound TCP and unix-socket connections for the
// framework (AsyncTcpConnection) without blocking the caller and without a
// goroutine per connect.
//
// Dial returns at once; the connection, or the reason there is none,
// arrives later in a callback. What it promises:
//
//   - No goroutine per connect. On Linux one connector goroutine per
//     process, started by the first Dial and kept for the life of the
//     process, waits on an epoll descriptor of its own for every pending
//     connect (a non-blocking socket, connect(2), EPOLLOUT|EPOLLONESHOT).
//     However many connects are in flight, they cost that one goroutine,
//     the four resolver goroutines below and the driver of the
//     framework's timing wheel (internal/systimer), which bounds them;
//     TestManyDials holds 5,000 at once to that.
//   - Exactly once. done runs once per Dial, with a connected conn or an
//     error, unless cancel stopped the dial first; then it never runs. One
//     compare-and-swap per attempt decides between the connector, the
//     timeout and cancel.
//   - Never on the caller. done runs on the connector goroutine, never
//     inside Dial, and not until Dial's own work is over, even for a
//     result known at once (a refused unix socket, a malformed address).
//     It may run before the caller has stored the cancel func Dial
//     returned, as any other goroutine may.
//   - One timeout for everything. timeout bounds the name lookup and the
//     connect together, over every address tried; when it passes the
//     socket is closed and done gets an error that errors.Is ErrTimeout.
//   - Names are looked up off the caller and off the connector. IP
//     literals and unix paths need no lookup. Other names go to four
//     resolver goroutines (net.Resolver with PreferGo: /etc/hosts, then
//     the servers of resolv.conf) through a queue of 1,024 names; a full
//     queue fails the Dial with ErrResolverBusy instead of waiting. Dials
//     of a name already being looked up wait for that lookup. Answers are
//     cached, up to 1,024 names: 30 s for addresses, 5 s for failures
//     other than timeouts.
//   - Nothing leaks. Once done has run or cancel has returned true, no
//     descriptor of the attempt is open but the conn given to done, and
//     its slot in the table of pending attempts is free (Pending).
//
// # Addresses
//
// "tcp" tries every address of a name in turn, IPv4 addresses first, and
// reports the first address's error when all fail; there is no Happy
// Eyeballs race, and the timeout is not split between addresses, so a
// first address that never answers uses up all of it. "tcp4" and "tcp6"
// keep only their family. Ports are numbers (no service names), and an
// empty host means the loopback address.
//
// # Concurrency contract
//
// Dial and the cancel funcs it returns are safe from any goroutine,
// including from inside done. done must not block: while it runs, no other
// connect is completed and no other done runs.
//
// # Other systems
//
// Only Linux has the epoll connector. Elsewhere (macOS, FreeBSD: the
// framework builds there, see the Makefile's cross target) Dial runs
// net.Dialer on a goroutine per dial, with Go's own resolver instead of
// the pool above; done, cancel, the timeout and the error forms keep the
// same contract, except that a cancelled dial's socket is closed by that
// goroutine shortly after cancel returns rather than before.
package dialer

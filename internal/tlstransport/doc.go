// Package tlstransport runs crypto/tls under a connection's protocol, on
// the connection's event loop: the TLS transport of a worker whose
// Transport is "ssl" (or whose scheme is https:// or wss://).
//
// # Design
//
// crypto/tls drives a net.Conn. Here that net.Conn is a feed: its Read
// returns the bytes the event loop received, and its Write collects the
// records TLS produced for the loop to send. The standard library is used
// unchanged, and no cryptography is written here.
//
//   - The handshake runs on a goroutine of its own, started by the
//     connection's first bytes and ended with the handshake: crypto/tls
//     cannot pause a handshake half way and resume it, so while it waits
//     for the peer's next flight the goroutine waits on the feed. Each
//     flight it writes wakes the loop, which sends it. A connection that
//     never completes its handshake is closed after HandshakeTimeout (10 s
//     by default), which ends its goroutine too; so does the connection's
//     close at any time.
//   - The data phase has no goroutine. Every read of the socket hands the
//     received bytes to the feed, and the loop reads plaintext from the
//     tls.Conn until the feed runs dry, which the feed reports as a
//     temporary net.Error: crypto/tls keeps its state and retries on the
//     next read. Plaintext the codec encoded is written through the
//     tls.Conn on the loop, and its records are appended straight to the
//     socket's output: one copy, the one TLS makes as it encrypts.
//
// # Memory
//
// An established connection holds the tls.Conn (its record buffers grow
// with the records received and are kept for the next ones) and this
// package's Transport and feed; no goroutine, no stack and no bufio
// buffers. The benchmarks' tls-idle scenario measures it against net/http.
package tlstransport

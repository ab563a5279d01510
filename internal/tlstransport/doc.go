// Package tlstransport runs crypto/tls under a connection's protocol, on
// the connection's event loop: the TLS transport of a worker whose
// Transport is "ssl" (or whose scheme is https:// or wss://), and of an
// outbound connection's (ClientConfig, Config.Client).
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
//   - A client (Config.Client, an outbound connection's transport) speaks
//     first: its handshake's goroutine starts with the transport, and its
//     ClientHello is the first flight the loop is woken to send. Its
//     handshake's failures (a certificate that does not verify, a server
//     that is not TLS, the timeout) are Receive's errors, HandshakeErrors,
//     which the connection reports as a failure to connect. A flight is
//     announced when the handshake waits for the peer or ends, so TLS
//     1.3's last one, the client's Finished, leaves with the handshake's
//     end and whatever the server answers meets an established
//     transport. In TLS 1.2 the server's Finished ends the handshake, and
//     what the server sends right behind it waits in the feed until the
//     goroutine has read the Finished: should the socket end before that
//     (a server that speaks and hangs up at once), the connection closes
//     without it, as a server's connection does with a request sent, and
//     the socket ended, right behind the client's Finished.
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

// Package websocket is WebSocket (RFC 6455) on the event loops, after
// workerman's Websocket protocol. There are two ways in:
//
//   - a ws:// (or websocket://) worker upgrades every connection; its
//     OnMessage receives Message values, and its hooks are set on
//     w.Protocol.(*Server);
//   - an http:// worker's handler upgrades a request with Upgrade, so one
//     port serves pages, event streams and WebSockets; the connection's
//     messages then reach the hooks of the Options given.
//
// Hooks (OnMessage, OnWebSocketPing, OnWebSocketPong, OnWebSocketClose)
// run on the connection's loop like every callback.
//
// Send on an upgraded connection frames what it is given: a string as a
// text frame, a []byte as a binary frame, a Message with its opcode, Ping,
// Pong, and Close, which starts the close handshake.
//
// The codec is strict: client frames must be masked, reserved bits and
// opcodes are refused (1002), control frames are at most 125 bytes and
// never fragmented, pings are answered with the same payload (between the
// fragments of a message too), text is checked as UTF-8 fragment by
// fragment (1007), close codes are validated and the close is echoed
// before the TCP close, and a message over MaxMessageSize gets 1009.
//
// Options.PingInterval starts a heartbeat that closes peers which stop
// answering pings. Prepare frames a message once for a broadcast, sent
// with SendRaw as shared bytes; a Hub keeps topics of connections and
// publishes to them that way.
//
// Options.Compression accepts permessage-deflate (RFC 7692) without
// context takeover, so a connection keeps no compression window between
// messages; inflating stops at MaxMessageSize (1009), so a small message
// cannot be inflated into a huge one.
//
// # Client
//
// A Client (NewClient) is the protocol of an outbound connection to a
// ws:// or wss:// URL, workerman's AsyncTcpConnection: its codec sends
// the handshake request first (protocols.Greeter), holds what is sent
// until the server's 101 arrives and is checked (a refusal is a
// HandshakeError, a protocols.ConnectFailure), then frames with the same
// rules, the other way round: its frames are masked with a fresh key
// each, the server's must not be (1002). Client.Handler routes the 101 to
// OnWebSocketConnect and the rest as on the server side.
package websocket

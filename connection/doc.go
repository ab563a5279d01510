// Package connection holds TcpConnection, one TCP connection of a worker,
// after workerman's Connection\TcpConnection, and AsyncTcpConnection, one
// the process opens itself, after workerman's AsyncTcpConnection.
//
// # Concurrency contract
//
// Every exported method of TcpConnection is safe to call from any goroutine:
// from the connection's own callbacks, from callbacks of other connections,
// from timer callbacks and from goroutines of your own.
//
// Output is staged in the connection's own buffer under a short lock and
// written to the socket by the connection's event loop:
//
//   - Inside the connection's own callbacks (OnConnect, OnMessage, ...) Send
//     appends to that buffer and the loop writes it as soon as the callback
//     returns, with no hop through gnet's asynchronous queue. Several sends
//     from one callback (or pipelined requests answered in one read) leave in
//     one write system call.
//   - From anywhere else Send appends to the same buffer and wakes the loop
//     once; sends that arrive before the loop runs are written together.
//     The wakes of one event loop are batched: a broadcast to many
//     connections queues one loop task, not one per connection, and a
//     *Shared payload (SendRaw) is staged by reference rather than copied
//     into every connection's buffer.
//   - Sends from one goroutine arrive in the order they were made. Sends from
//     different goroutines are never interleaved within one message.
//
// # Backpressure
//
// MaxSendBufferSize (default 1 MiB) bounds what may wait for a peer that
// does not read: the staged bytes plus what gnet holds for the socket. When
// an append makes the total reach it, OnBufferFull fires; while the buffer is
// full, Send fails with ErrSendBufferFull (and OnError with CodeSendFail),
// so memory stays bounded. Both callbacks run on the connection's event
// loop just after the Send returned, never inside it: a sender holding a
// lock of its own is not called back under it. When everything has been written, OnBufferDrain
// fires and sends succeed again.
//
// A reader that must not outrun a writer pauses: PauseRecv leaves the
// socket unread, so TCP holds the peer back, until ResumeRecv. Pipe
// relays one connection's messages to another and pauses and resumes
// the source by the destination's buffer, so a relay's memory is bounded
// by MaxSendBufferSize whatever passes through it.
//
// # Outbound connections
//
// An AsyncTcpConnection (made by worker.Worker.NewAsyncTcpConnection)
// runs on one of its worker's event loops, as the connections the worker
// accepts, with callbacks of its own. Connecting never blocks a loop and
// costs no goroutine per connection: one goroutine of the process's
// watches every connect in progress, and names are resolved on a small
// pool. Sends before the connection is established are kept and written
// once it is. A failed connect reports OnError with CodeConnectFail, then
// OnClose; Reconnect connects the same object again.
//
// # Input
//
// Input is framed by the connection's protocol codec (package protocols).
// Bytes that do not yet form a whole package are kept in the connection's
// own buffer; MaxPackageSize (default 10 MiB) bounds it, and a larger
// package closes the connection with ErrPackageTooLarge.
//
// The README's "Using it" section gives these rules for the whole
// framework in one place: where callbacks and timers run, lifetimes,
// backpressure and failures.
package connection

// Package http is the "http" scheme of gnetworker: an incremental, strict
// HTTP/1.1 server codec on the event loops, with workerman's Request,
// Response, Chunk and ServerSentEvents.
//
//	w, _ := worker.New("http://0.0.0.0:8080")
//	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
//		_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/plain"}, "Hello, "+req.Get("name")))
//	}
//	worker.RunAll()
//
// # Requests and their lifetime
//
// OnMessage receives each request once it has arrived whole (head, body,
// trailers) and passed the parser's checks; a request that never could is
// answered 400, 413, 414, 431, 501 or 505 by the codec and the connection
// closed. A Request and the strings it returns are valid until its
// response is complete: the connection decodes its next request into the
// same Request. Answer it from OnMessage or later, from any goroutine;
// keep anything beyond the response with strings.Clone or Request.Clone.
// Pipelined requests are dispatched one at a time, each once the previous
// one is answered, so responses leave in order.
//
// Bodies over Protocol.MaxBodyInMemory (1 MiB) are spooled to an unlinked
// temporary file as they arrive: Request.Body reads either kind, RawBody
// loads a spooled one into memory, and form parsing (Post, File, ParseForm)
// streams from the file, uploads going to temporary files of their own
// (UploadedFile.TmpName). Everything a request holds is freed when its
// response is complete.
//
// # Responses and streaming
//
// Send a *Response (NewResponse and its With* builders), or a string or
// []byte for a 200 text/plain response. A Response may be built once and
// sent many times. Keep-alive follows HTTP/1.0 and 1.1 rules, and HEAD
// responses carry no body.
//
//   - Transfer-Encoding: chunked in a Response starts a stream: send Chunk
//     values, and an empty Chunk to end it.
//   - Content-Type: text/event-stream starts an event stream: send
//     ServerSentEvents values; it ends when the connection closes.
//     Package ssehub adds topics, replay and heartbeats.
//   - Response.WithFile sends a file under backpressure, with Range and
//     the conditional requests.
//   - Static serves a directory under a URL prefix: traversal refused,
//     index files, ETag, Range, precompressed siblings.
//
// # Sessions
//
// Set a SessionManager as Protocol.Sessions and Request.Session returns a
// request's session (workerman's $request->session()), from its PHPSID
// cookie; a new session's cookie goes out with the response, and what
// the request changed is saved after it, off the event loop for stores
// that do I/O. Sessions live in memory by default, in files with package
// sessionfile, in Redis with package sessionredis.
//
// # Limits and timeouts
//
// Each worker has its own *Protocol (w.Protocol.(*http.Protocol)); set its
// fields before the worker starts. Heads are bounded by Limits, bodies by
// the worker's MaxPackageSize; a head must arrive within HeaderTimeout of
// accept, a body at BodyMinRate after BodyTimeout, and a keep-alive
// connection is closed after IdleTimeout. Bodies held in memory are
// bounded per worker by MaxBodyMemory, spooled ones by MaxSpoolFiles (then
// 503). The defaults and what happens over each limit are in the README's
// "Limits and defenses"; the concurrency and lifetime rules of connections
// are in package connection.
package http

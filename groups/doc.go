// Package groups keeps connections in groups that span every node of a
// cluster, after GatewayWorker's Gateway API (bindUid, joinGroup,
// leaveGroup, sendToUid, sendToGroup, sendToAll, isUidOnline,
// getClientIdCountByGroup) and workerman's Channel: a connection is bound
// to a uid and joins groups on the node that accepted it, and any node can
// send to a uid, a group or everyone.
//
//	g, err := groups.New(groups.Options{Backend: node}) // at startup
//	g.Bind(c, "alice")       // in OnConnect, OnWebSocketConnected, ...
//	g.Join(c, "room:42")
//	g.SendToGroup("room:42", "hello") // from any node
//
// A group may mix protocols. A message is a string (text), a []byte
// (binary) or an http.ServerSentEvents, and each member gets the form its
// connection speaks (protocols.Adapter): a connection streaming a
// text/event-stream response gets an event (a string or []byte becomes
// its Data), any other connection (WebSocket, text, frame) gets a string
// or []byte as it is and an event's Data as a string. Bind or Join an SSE
// connection after sending its event-stream response, so that no message
// reaches it before the response. A WebSocket text frame must be UTF-8:
// a string that is not fails for WebSocket members.
//
// # Across nodes
//
// Without a Backend a Groups serves its process only. With one (package
// bus/redisbus, or bus/memlog inside one process), every Groups of the
// cluster watches one stream of the backend's log, Options.Stream.
// SendToUid, SendToGroup and SendToAll deliver to this node's members at
// once, with no round trip, then append one entry to the stream; every
// other node delivers it to its own members. A node skips the entries it
// appended itself (by their origin).
//
// Messages ride a bounded stream rather than publish/subscribe on
// purpose: a node that lost its link to the backend resumes reading where
// it stopped and loses nothing that is still within the stream's length.
// Beyond that window the node learns that messages were lost (a gap) and
// reports it to OnError. There is no replay to connections: as in
// GatewayWorker, messages are for the connections online when they are
// sent, and a client that reconnects does not get what it missed.
//
// A send never fails silently. When the entry cannot be queued for the
// backend (bus.ErrQueueFull, bus.ErrClosed), the send returns an error
// wrapping ErrLocalOnly and the backend's error: this node's members got
// the message, the other nodes did not. When it fails later (the log
// gives up on it), OnError gets such an error.
//
// # Stream entries
//
// An entry is a flat list of fields, so any process can publish to the
// members of every node by appending one to the stream:
//
//	origin   NodeID of the node that sent it; that node skips it
//	         (optional: an entry without one reaches every node)
//	to       "uid", "group" or "all"
//	name     the uid or the group (not for "all")
//	type     "text" (a string), "binary" (a []byte) or "sse" (an event)
//	data     the string, the bytes, or the event's Data
//	event    for "sse": the event's Event, when not empty
//	id       for "sse": the event's ID, when not empty
//	comment  for "sse": the event's Comment, when not empty
//	retry    for "sse": the event's Retry in whole milliseconds, when
//	         positive
//
// An entry that does not read this way is reported to OnError
// (ErrBadEntry) and skipped.
//
// # Presence
//
// Counts of connections are kept with the backend's bus.Presence, updated
// on every change of membership, under these keys (with the default
// stream "groups"):
//
//	<stream>:c          every member of the node
//	<stream>:g:<group>  the members of a group
//	<stream>:u:<uid>    the connections bound to a uid
//
// Connections, GroupConnections, UidConnections and IsUidOnline sum them
// over the live nodes; without a Backend they count this node's members.
//
// # Concurrency contract
//
// A Groups is safe for concurrent use. Membership changes and sends take
// one lock and never wait for the network (c.Send never blocks; Append
// and SetCount return at once); sends may be called on an event loop.
// New and the counting methods wait for the backend and must not be
// called on an event loop. A connection that closes leaves its uid and
// groups on its own (an AtClose hook, registered once per connection).
package groups

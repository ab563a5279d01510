// Package bus names what gnetworker's hubs need to work across processes
// and machines: a shared, ordered, bounded log of streams that every node
// can append to and read from. The SSE hub (protocols/http/ssehub) keeps
// each topic in a stream; connection groups (package groups) carry their
// messages in one. Package bus/redisbus implements Log on Redis Streams.
//
// The interface is small on purpose: entries are flat lists of field
// names and values, IDs are opaque strings the log orders, and delivery is
// a callback per stream from the log's own reader goroutines, so a hub
// never waits for the log on an event loop.
package bus

import (
	"context"
	"errors"
)

// Entry is one entry of a stream: its ID, given by the log, and its
// fields as name, value pairs.
type Entry struct {
	ID     string
	Fields []string
}

// Field returns the value of the first field called name, and whether
// there is one.
func (e Entry) Field(name string) (string, bool) {
	for i := 0; i+1 < len(e.Fields); i += 2 {
		if e.Fields[i] == name {
			return e.Fields[i+1], true
		}
	}
	return "", false
}

// Sink receives a watched stream's new entries, oldest first, from one of
// the log's reader goroutines. gap reports that entries between the last
// ones delivered and these were lost: trimmed from the stream while this
// node could not read it. A sink must return quickly: it holds up the
// reader of every stream that reader serves.
type Sink func(stream string, entries []Entry, gap bool)

// Log is a set of append-only streams shared by every node.
//
// Its methods are safe for concurrent use. Append, Unwatch and Compare
// never wait for the network; Watch and Range do, and must not be called
// on an event loop.
type Log interface {
	// Append adds an entry to stream and returns at once; done, when not
	// nil, is called exactly once with the entry's ID or the error that
	// kept it out of the log, from another goroutine. Append returns
	// ErrQueueFull when too many appends already wait for the log, and
	// ErrClosed once the log is closed; done is not called then.
	Append(stream string, fields []string, done func(id string, err error)) error

	// Watch makes the log deliver to sink every entry added to stream
	// after last, the ID of the stream's newest entry when Watch is called
	// ("0-0" for a stream with none), which it returns. Watching a watched
	// stream replaces its sink and returns its place: the ID after which
	// delivery goes on.
	Watch(ctx context.Context, stream string, sink Sink) (last string, err error)

	// Unwatch stops the delivery of stream's entries. A batch the reader
	// had already taken may still reach the sink after Unwatch returns;
	// a sink that must not see it checks for itself.
	Unwatch(stream string)

	// Range returns stream's entries with IDs after `after`, up to and
	// including upto (to the newest when upto is ""), oldest first, at
	// most max of them (all when max <= 0). complete is false when entries
	// after `after` were trimmed from the stream and are lost.
	Range(ctx context.Context, stream, after, upto string, max int) (entries []Entry, complete bool, err error)

	// Compare orders two entry IDs as -1, 0 or +1. An ID the log would
	// never give compares below every valid one, and equal to another
	// such; ValidID tells them apart.
	Compare(a, b string) int

	// ValidID reports whether id has the form of an entry ID of this log.
	ValidID(id string) bool
}

// Errors of a Log.
var (
	ErrQueueFull = errors.New("bus: too many appends waiting for the log")
	ErrClosed    = errors.New("bus: log closed")
	// ErrTimeout is given to an Append's done when the entry waited
	// longer than the log allows for it to be written.
	ErrTimeout = errors.New("bus: timed out waiting for the log")
)

// Presence is a table of counts kept per node, which any node can sum over
// every live node: how many connections a group or a uid has across the
// cluster. A node that stops refreshing its counts (it died) drops out of
// the sums after the backend's expiry.
//
// Its methods are safe for concurrent use. SetCount and NodeID never wait
// for the network; Count does.
type Presence interface {
	// NodeID names this node; it is unique among the live nodes.
	NodeID() string
	// SetCount records this node's count for key; 0 removes it. It is
	// written in the background: the newest value wins, and a backend that
	// lost its state (a restarted Redis) is given all of them again.
	SetCount(key string, n int)
	// Count is the sum of key's counts over the live nodes, this one
	// included as last written.
	Count(ctx context.Context, key string) (int, error)
}

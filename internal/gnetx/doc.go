// Package gnetx reaches into gnet where its API stops: it turns a
// connection's read interest off and on, which gnet v2 has no call for
// (its maintainers declined one, gnet#712). A connection piping into a
// slow destination must stop reading, or gnet drains the socket into an
// unbounded buffer and the process grows with what the peer sends.
//
// It finds the event loop's epoll descriptor by reflection (gnet's
// eventloop.poller.fd, read-only) and changes the connection's interest
// with EPOLL_CTL_MOD, keeping the event data gnet's default reactor
// dispatches on (the descriptor itself). gnet re-arms reading whenever it
// changes a connection's interest itself (after it buffers output, and
// when that output drains), so a paused connection's owner re-applies
// the pause after every write and tolerates one stray read per drain.
//
// The field path is checked by this package's tests against the gnet
// version in go.mod: an upgrade that moves it fails them, and Supported
// reports false rather than a wrong descriptor. Elsewhere than Linux, and
// with gnet's poll_opt build tag, pausing is unsupported and SetReading
// returns ErrUnsupported.
package gnetx

import "errors"

// ErrUnsupported is returned where read interest cannot be changed.
var ErrUnsupported = errors.New("gnetx: pausing reads is not supported here")

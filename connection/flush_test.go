package connection

import (
	"bytes"
	"context"
	"net"
	"testing"

	"github.com/panjf2000/gnet/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/protocols"
)

// fakeConn is the part of a gnet.Conn a connection uses to write, with
// the loop's calls recorded instead of done.
type fakeConn struct {
	gnet.Conn
	loop    *fakeLoop
	written bytes.Buffer
	wakes   int
	closed  bool
	in      []byte // what the next Next(-1) returns
}

func (f *fakeConn) Write(b []byte) (int, error) { return f.written.Write(b) }
func (f *fakeConn) OutboundBuffered() int       { return 0 }
func (f *fakeConn) Next(int) ([]byte, error) {
	b := f.in
	f.in = nil
	return b, nil
}
func (f *fakeConn) Wake(gnet.AsyncCallback) error { f.wakes++; return nil }
func (f *fakeConn) Close() error                  { f.closed = true; return nil }
func (f *fakeConn) Fd() int                       { return -1 }
func (f *fakeConn) RemoteAddr() net.Addr          { return nil }
func (f *fakeConn) EventLoop() gnet.EventLoop     { return f.loop }

// fakeLoop records the tasks queued on it; the test runs them.
type fakeLoop struct {
	gnet.EventLoop
	tasks []gnet.Runnable
}

func (l *fakeLoop) Execute(_ context.Context, r gnet.Runnable) error {
	l.tasks = append(l.tasks, r)
	return nil
}

func (l *fakeLoop) Close(gc gnet.Conn) error { return gc.Close() }

// runTasks runs what was queued on the loop, as the loop would.
func (l *fakeLoop) runTasks(t *testing.T) {
	t.Helper()
	tasks := l.tasks
	l.tasks = nil
	for _, r := range tasks {
		require.NoError(t, r.Run(context.Background()))
	}
}

func newFakeConns(n int) (*fakeLoop, []*fakeConn, []*TcpConnection) {
	loop := &fakeLoop{}
	g := &group{}
	fcs := make([]*fakeConn, n)
	cs := make([]*TcpConnection, n)
	for i := range n {
		fcs[i] = &fakeConn{loop: loop}
		cs[i] = newConn(fcs[i], 0, protocols.Raw{}, g)
	}
	return loop, fcs, cs
}

// Sends from outside the connections' callbacks (a broadcast) wake their
// loop once for all of them, not once per connection.
func TestSendsOutsideCallbacksShareOneLoopTask(t *testing.T) {
	loop, fcs, cs := newFakeConns(100)
	for round := range 2 {
		for _, c := range cs {
			require.NoError(t, c.SendRaw("event\n"))
			require.NoError(t, c.SendRaw("more\n"))
		}
		assert.Len(t, loop.tasks, 1, "round %d: one task for the whole broadcast", round)
		loop.runTasks(t)
	}
	for i, fc := range fcs {
		assert.Equal(t, "event\nmore\nevent\nmore\n", fc.written.String(), "connection %d", i)
		assert.Zero(t, fc.wakes, "no per-connection Wake")
		assert.Zero(t, cs[i].BufferedOutput())
	}
}

// A connection closed before its loop task runs is skipped.
func TestLoopTaskSkipsClosedConnections(t *testing.T) {
	loop, fcs, cs := newFakeConns(2)
	require.NoError(t, cs[0].SendRaw("a"))
	require.NoError(t, cs[1].SendRaw("b"))
	cs[0].handleClose()
	assert.Nil(t, cs[0].out, "closing gives the staged buffer back")
	loop.runTasks(t)
	assert.Empty(t, fcs[0].written.String())
	assert.Equal(t, "b", fcs[1].written.String())

	// The queue keeps no connection once its task ran.
	q := cs[0].flushQueue()
	require.NotNil(t, q)
	assert.Empty(t, q.conns)
	for _, c := range q.spare[:cap(q.spare)] {
		assert.Nil(t, c, "a flushed connection is still referenced")
	}
}

// A close asked from outside the callbacks goes through the same task.
func TestLoopTaskCarriesOutClose(t *testing.T) {
	loop, fcs, cs := newFakeConns(1)
	require.NoError(t, cs[0].Close("bye"))
	loop.runTasks(t)
	assert.Equal(t, "bye", fcs[0].written.String())
	assert.True(t, fcs[0].closed, "the loop closed the connection once its output was written")
}

// A Shared slice is staged by reference, copied only when more is sent
// behind it, and never written into.
func TestSharedIsNeverModified(t *testing.T) {
	backing := make([]byte, 0, 64) // spare capacity an append could write into
	backing = append(backing, "data: shared\n\n"...)
	s := NewShared(backing)

	loop, fcs, cs := newFakeConns(3)
	require.NoError(t, cs[0].SendRaw(s))
	assert.True(t, cs[0].outShared, "staged by reference")

	require.NoError(t, cs[1].SendRaw(s))
	require.NoError(t, cs[1].SendRaw("after\n"))
	assert.False(t, cs[1].outShared, "copied before appending")

	require.NoError(t, cs[2].SendRaw("before\n"))
	require.NoError(t, cs[2].SendRaw(s))

	assert.Equal(t, "data: shared\n\n", string(*s))
	assert.Equal(t, "data: shared\n\n", string(backing[:cap(backing)][:len(backing)]))
	assert.Zero(t, backing[:cap(backing)][len(backing)], "nothing appended into the shared array")

	loop.runTasks(t)
	assert.Equal(t, "data: shared\n\n", fcs[0].written.String())
	assert.Equal(t, "data: shared\n\nafter\n", fcs[1].written.String())
	assert.Equal(t, "before\ndata: shared\n\n", fcs[2].written.String())
	assert.Equal(t, "data: shared\n\n", string(*s))

	// An empty Shared sends nothing.
	require.NoError(t, cs[0].SendRaw(NewShared(nil)))
	assert.Zero(t, cs[0].BufferedOutput())
}

// OnBufferFull and OnError(CodeSendFail) run in the loop's task, after
// the send that caused them returned, not inside it.
func TestSendReportsRunOnTheLoop(t *testing.T) {
	loop := &fakeLoop{}
	var full, failed int
	var failErr error
	g := &group{
		config: glue.Config{MaxSendBufferSize: 8},
		events: callbacks{
			OnBufferFull: func(*TcpConnection) { full++ },
			OnError: func(_ *TcpConnection, code int, err error) {
				failed++
				failErr = err
				assert.Equal(t, CodeSendFail, code)
			},
		},
	}
	fc := &fakeConn{loop: loop}
	c := newConn(fc, 0, protocols.Raw{}, g)
	require.NoError(t, c.SendRaw("12345678")) // reaches the limit
	require.ErrorIs(t, c.SendRaw("more"), ErrSendBufferFull)
	assert.Zero(t, full, "not inside the send")
	assert.Zero(t, failed, "not inside the send")
	require.Len(t, loop.tasks, 1, "one task for the output and both reports")

	loop.runTasks(t)
	assert.Equal(t, 1, full)
	assert.Equal(t, 1, failed)
	assert.ErrorIs(t, failErr, ErrSendBufferFull)
	assert.Equal(t, "12345678", fc.written.String())
}

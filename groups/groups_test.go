package groups_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/bus"
	"github.com/gnetworker/gnetworker/bus/memlog"
	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/groups"
	"github.com/gnetworker/gnetworker/internal/leaktest"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

// wait bounds every wait for something asynchronous: generous, as CI
// machines are busy.
const wait = 15 * time.Second

// errorLog is an OnError that keeps what it is given.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

// count is how many errors match target.
func (l *errorLog) count(target error) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, err := range l.errs {
		if errors.Is(err, target) {
			n++
		}
	}
	return n
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// node is one node of a test cluster: a Groups on a memlog node, and a
// ws://, a text:// and an http:// worker whose connections it groups.
type node struct {
	log     *memlog.Node
	g       *groups.Groups
	errs    *errorLog
	ws      string // addresses
	text    string
	http    string
	workers []*worker.Worker
}

// startNode starts a node on a memlog node (nil: no backend).
//
//   - ws:// binds a connection to the handshake's ?uid= and joins it to
//     ?groups= (comma-separated), then sends "ready".
//   - text:// takes commands, one per line, and answers "ok" or the
//     error: "bind <uid>", "unbind", "join <group>", "leave <group>",
//     "add", "remove".
//   - http:// answers with an event stream, binds and joins as ws://
//     does, then sends the event "ready".
func startNode(t *testing.T, log *memlog.Node) *node {
	t.Helper()
	var backend groups.Backend
	if log != nil {
		backend = log
	}
	n := startNodeOn(t, backend)
	n.log = log
	return n
}

// startNodeOn starts a node on any backend (nil: none); the caller closes
// the backend.
func startNodeOn(t *testing.T, backend groups.Backend) *node {
	t.Helper()
	n := &node{errs: &errorLog{}}
	g, err := groups.New(groups.Options{Backend: backend, OnError: n.errs.add})
	require.NoError(t, err)
	n.g = g
	t.Cleanup(n.stop)

	n.ws = n.start(t, "ws", func(w *worker.Worker) {
		w.Protocol.(*websocket.Server).OnWebSocketConnected = func(c *connection.TcpConnection, req *http.Request) {
			_ = c.Send(n.enter(c, req.Get("uid"), req.Get("groups")))
		}
		w.OnMessage = func(*connection.TcpConnection, websocket.Message) {}
	})
	n.text = n.start(t, "text", func(w *worker.Worker) {
		w.OnMessage = func(c *connection.TcpConnection, line string) {
			cmd, arg, _ := strings.Cut(line, " ")
			var err error
			switch cmd {
			case "bind":
				err = g.Bind(c, arg)
			case "unbind":
				g.Unbind(c)
			case "join":
				err = g.Join(c, arg)
			case "leave":
				g.Leave(c, arg)
			case "add":
				g.Add(c)
			case "remove":
				g.Remove(c)
			default:
				err = errors.New("unknown command")
			}
			if err != nil {
				_ = c.Send("error: " + err.Error())
				return
			}
			_ = c.Send("ok")
		}
	})
	n.http = n.start(t, "http", func(w *worker.Worker) {
		w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
			_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/event-stream"}, ""))
			_ = c.Send(http.ServerSentEvents{Event: n.enter(c, req.Get("uid"), req.Get("groups"))})
		}
	})
	return n
}

// enter binds c to uid and joins it to groups, and says "ready" or the
// error.
func (n *node) enter(c *connection.TcpConnection, uid, groups string) string {
	if uid != "" {
		if err := n.g.Bind(c, uid); err != nil {
			return "error: " + err.Error()
		}
	}
	for group := range strings.SplitSeq(groups, ",") {
		if group == "" {
			continue
		}
		if err := n.g.Join(c, group); err != nil {
			return "error: " + err.Error()
		}
	}
	return "ready"
}

func (n *node) start(t *testing.T, scheme string, setup func(*worker.Worker)) string {
	t.Helper()
	w, err := worker.New(scheme + "://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 1
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	setup(w)
	require.NoError(t, w.Start())
	n.workers = append(n.workers, w)
	return w.Addr().String()
}

// stop stops the workers and closes the Groups and its memlog node.
func (n *node) stop() {
	var wg sync.WaitGroup
	for _, w := range n.workers {
		wg.Go(func() { _ = w.Stop() }) // a gnet engine takes a while to stop
	}
	wg.Wait()
	n.workers = nil
	_ = n.g.Close()
	if n.log != nil {
		_ = n.log.Close()
	}
}

// member is a test client: next returns the next message it received, in
// a form that shows how it was framed.
type member interface {
	next(t *testing.T) string
	close()
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, wait)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(4*wait)))
	return conn, bufio.NewReader(conn)
}

// wsMember reads WebSocket frames: "text:<payload>" or "binary:<payload>".
type wsMember struct {
	conn net.Conn
	r    *bufio.Reader
}

func joinWS(t *testing.T, addr, uid, groups string) *wsMember {
	t.Helper()
	conn, r := dial(t, addr)
	_, err := io.WriteString(conn, "GET /?uid="+uid+"&groups="+groups+" HTTP/1.1\r\nHost: x\r\n"+
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	require.NoError(t, err)
	resp, err := nethttp.ReadResponse(r, &nethttp.Request{Method: "GET"})
	require.NoError(t, err)
	require.Equal(t, 101, resp.StatusCode)
	m := &wsMember{conn: conn, r: r}
	require.Equal(t, "text:ready", m.next(t))
	return m
}

func (m *wsMember) next(t *testing.T) string {
	t.Helper()
	var h [2]byte
	_, err := io.ReadFull(m.r, h[:])
	require.NoError(t, err)
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		_, err = io.ReadFull(m.r, l[:])
		require.NoError(t, err)
		n = int(binary.BigEndian.Uint16(l[:]))
	case 127:
		t.Fatal("a frame too large for this test")
	}
	payload := make([]byte, n)
	_, err = io.ReadFull(m.r, payload)
	require.NoError(t, err)
	switch h[0] {
	case 0x81:
		return "text:" + string(payload)
	case 0x82:
		return "binary:" + string(payload)
	}
	t.Fatalf("unexpected frame %#x", h[0])
	return ""
}

func (m *wsMember) close() { _ = m.conn.Close() }

// textMember reads lines.
type textMember struct {
	conn net.Conn
	r    *bufio.Reader
}

// joinText connects and sends commands (see startNode), each answered
// with "ok".
func joinText(t *testing.T, addr string, commands ...string) *textMember {
	t.Helper()
	conn, r := dial(t, addr)
	m := &textMember{conn: conn, r: r}
	m.do(t, commands...)
	return m
}

func (m *textMember) do(t *testing.T, commands ...string) {
	t.Helper()
	for _, cmd := range commands {
		_, err := io.WriteString(m.conn, cmd+"\n")
		require.NoError(t, err)
		require.Equal(t, "ok", m.next(t), cmd)
	}
}

func (m *textMember) next(t *testing.T) string {
	t.Helper()
	line, err := m.r.ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSuffix(line, "\n")
}

func (m *textMember) close() { _ = m.conn.Close() }

// sseMember reads events: their lines joined with "|".
type sseMember struct {
	conn net.Conn
	r    *bufio.Reader
}

func joinSSE(t *testing.T, addr, uid, groups string) *sseMember {
	t.Helper()
	conn, r := dial(t, addr)
	_, err := io.WriteString(conn, "GET /events?uid="+uid+"&groups="+groups+" HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	status, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "HTTP/1.1 200 OK\r\n", status)
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		if line == "\r\n" {
			break
		}
	}
	m := &sseMember{conn: conn, r: r}
	require.Equal(t, "event: ready|data:", m.next(t))
	return m
}

func (m *sseMember) next(t *testing.T) string {
	t.Helper()
	var lines []string
	for {
		line, err := m.r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			return strings.Join(lines, "|")
		}
		lines = append(lines, line)
	}
}

func (m *sseMember) close() { _ = m.conn.Close() }

// expect reads len(want) messages from m and checks them.
func expect(t *testing.T, name string, m member, want ...string) {
	t.Helper()
	for i, w := range want {
		require.Equal(t, w, m.next(t), "%s, message %d", name, i)
	}
}

// waitCount waits until count() is want.
func waitCount(t *testing.T, what string, count func(context.Context) (int, error), want int) {
	t.Helper()
	var n int
	var err error
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if n, err = count(context.Background()); err == nil && n == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: %d (%v), want %d", what, n, err, want)
}

// cluster is two nodes on one memlog Store, each with a WebSocket, a text
// and an SSE member:
//
//	node A: ws u1 {g1}   text u2 {g1,g2}   sse u3 {g2}
//	node B: ws u1 {g2}   text u4 {g1}      sse u2 {g1}
type cluster struct {
	store        *memlog.Store
	a, b         *node
	aWS, bWS     *wsMember
	aText, bText *textMember
	aSSE, bSSE   *sseMember
	members      map[string]member
}

func startCluster(t *testing.T, opts memlog.Options) *cluster {
	t.Helper()
	c := &cluster{store: memlog.New(opts)}
	t.Cleanup(c.store.Close)
	c.a = startNode(t, c.store.Node())
	c.b = startNode(t, c.store.Node())
	c.aWS = joinWS(t, c.a.ws, "u1", "g1")
	c.aText = joinText(t, c.a.text, "bind u2", "join g1", "join g2")
	c.aSSE = joinSSE(t, c.a.http, "u3", "g2")
	c.bWS = joinWS(t, c.b.ws, "u1", "g2")
	c.bText = joinText(t, c.b.text, "bind u4", "join g1")
	c.bSSE = joinSSE(t, c.b.http, "u2", "g1")
	c.members = map[string]member{
		"A.ws": c.aWS, "A.text": c.aText, "A.sse": c.aSSE,
		"B.ws": c.bWS, "B.text": c.bText, "B.sse": c.bSSE,
	}
	return c
}

// stop stops both nodes and the Store.
func (c *cluster) stop() {
	for _, m := range c.members {
		m.close()
	}
	c.a.stop()
	c.b.stop()
	c.store.Close()
}

// everyone expects msg, in each member's form, on every member of nodes
// ("A", "B" or "AB").
func (c *cluster) everyone(t *testing.T, nodes, msg string) {
	t.Helper()
	for name, m := range c.members {
		if !strings.Contains(nodes, name[:1]) {
			continue
		}
		switch m.(type) {
		case *wsMember:
			expect(t, name, m, "text:"+msg)
		case *textMember:
			expect(t, name, m, msg)
		case *sseMember:
			expect(t, name, m, "data: "+msg)
		}
	}
}

// Messages sent on node A reach the members of both nodes exactly once,
// in order, each in its protocol's form; and node B's reach node A's.
func TestAcrossNodes(t *testing.T) {
	c := startCluster(t, memlog.Options{})
	ga := c.a.g
	ev := http.ServerSentEvents{Event: "e", ID: "7", Data: "to g1", Retry: 1500 * time.Millisecond}
	require.NoError(t, ga.SendToUid("u1", "hello u1"))
	require.NoError(t, ga.SendToUid("u2", []byte("bin u2")))
	require.NoError(t, ga.SendToGroup("g1", ev))
	require.NoError(t, ga.SendToGroup("g2", "to g2"))
	require.NoError(t, ga.SendToAll("everyone"))
	require.NoError(t, ga.SendToGroup("nobody", "lost on no one"))
	require.NoError(t, ga.SendToAll("end"))

	expect(t, "A.ws", c.aWS, "text:hello u1", "text:to g1", "text:everyone", "text:end")
	expect(t, "A.text", c.aText, "bin u2", "to g1", "to g2", "everyone", "end")
	expect(t, "A.sse", c.aSSE, "data: to g2", "data: everyone", "data: end")
	expect(t, "B.ws", c.bWS, "text:hello u1", "text:to g2", "text:everyone", "text:end")
	expect(t, "B.text", c.bText, "to g1", "everyone", "end")
	expect(t, "B.sse", c.bSSE, "data: bin u2", "event: e|id: 7|retry: 1500|data: to g1", "data: everyone", "data: end")

	require.NoError(t, c.b.g.SendToGroup("g2", []byte("from B")))
	expect(t, "A.text", c.aText, "from B")
	expect(t, "A.sse", c.aSSE, "data: from B")
	expect(t, "B.ws", c.bWS, "binary:from B")

	// Another process publishes an entry in the documented format, with
	// no origin: every node delivers it.
	pub := c.store.Node()
	defer pub.Close()
	require.NoError(t, pub.Append(groups.DefaultStream, []string{
		"to", "group", "name", "g1", "type", "sse", "data", "ext", "event", "x", "retry", "2000",
	}, nil))
	expect(t, "A.ws", c.aWS, "text:ext")
	expect(t, "A.text", c.aText, "ext")
	expect(t, "B.text", c.bText, "ext")
	expect(t, "B.sse", c.bSSE, "event: x|retry: 2000|data: ext")

	require.NoError(t, c.b.g.SendToAll("end"))
	c.everyone(t, "AB", "end")

	assert.Empty(t, c.a.errs.all())
	assert.Empty(t, c.b.errs.all())
}

// The counts are the sums over both nodes, as either node sees them, and
// a connection that closes leaves them.
func TestCountsAcrossNodes(t *testing.T) {
	c := startCluster(t, memlog.Options{})
	ctx := context.Background()
	for _, n := range []*node{c.a, c.b} {
		g := n.g
		total, err := g.Connections(ctx)
		require.NoError(t, err)
		assert.Equal(t, 6, total)
		for group, want := range map[string]int{"g1": 4, "g2": 3, "g3": 0} {
			got, err := g.GroupConnections(ctx, group)
			require.NoError(t, err)
			assert.Equal(t, want, got, group)
		}
		for uid, want := range map[string]int{"u1": 2, "u2": 2, "u3": 1, "u4": 1, "u5": 0} {
			got, err := g.UidConnections(ctx, uid)
			require.NoError(t, err)
			assert.Equal(t, want, got, uid)
			online, err := g.IsUidOnline(ctx, uid)
			require.NoError(t, err)
			assert.Equal(t, want > 0, online, uid)
		}
	}

	c.bWS.close() // u1 {g2} on B
	ga := c.a.g
	waitCount(t, "connections", ga.Connections, 5)
	waitCount(t, "u1", func(ctx context.Context) (int, error) { return ga.UidConnections(ctx, "u1") }, 1)
	waitCount(t, "g2", func(ctx context.Context) (int, error) { return ga.GroupConnections(ctx, "g2") }, 2)

	// Membership changes on node A's text member (u2 {g1,g2}).
	c.aText.do(t, "bind u9")
	waitCount(t, "u2 after rebinding", func(ctx context.Context) (int, error) { return ga.UidConnections(ctx, "u2") }, 1)
	waitCount(t, "u9", func(ctx context.Context) (int, error) { return c.b.g.UidConnections(ctx, "u9") }, 1)
	c.aText.do(t, "leave g1", "leave g1", "unbind")
	waitCount(t, "g1 after leaving", func(ctx context.Context) (int, error) { return ga.GroupConnections(ctx, "g1") }, 3)
	waitCount(t, "u9 after unbinding", func(ctx context.Context) (int, error) { return ga.UidConnections(ctx, "u9") }, 0)
	waitCount(t, "still a member", ga.Connections, 5)
	c.aText.do(t, "remove")
	waitCount(t, "g2 after remove", func(ctx context.Context) (int, error) { return ga.GroupConnections(ctx, "g2") }, 1)
	waitCount(t, "connections after remove", ga.Connections, 4)

	// A removed connection gets nothing; added back, it gets SendToAll.
	require.NoError(t, ga.SendToAll("not for text"))
	c.aText.do(t, "add")
	require.NoError(t, ga.SendToAll("for text"))
	expect(t, "A.text", c.aText, "for text")
	waitCount(t, "connections after add", c.b.g.Connections, 5)
}

// With its node off the backend, a Groups still delivers to its own
// members at once; its sends wait in the backend's queue and reach the
// other node once it is back, and a send beyond the queue says it
// reached this node only. Appends that fail later, and a gap, go to
// OnError.
func TestBackendDown(t *testing.T) {
	c := startCluster(t, memlog.Options{MaxLen: 50, QueueSize: 2})
	ga, gb := c.a.g, c.b.g
	ctx := context.Background()

	c.a.log.SetDown(true)
	require.NoError(t, ga.SendToAll("down 1"))
	require.NoError(t, ga.SendToAll("down 2"))
	err := ga.SendToAll("down 3")
	require.ErrorIs(t, err, groups.ErrLocalOnly)
	require.ErrorIs(t, err, bus.ErrQueueFull)
	for _, msg := range []string{"down 1", "down 2", "down 3"} {
		c.everyone(t, "A", msg) // while the backend is still down
	}
	_, err = ga.Connections(ctx)
	assert.ErrorIs(t, err, memlog.ErrDown, "counting needs the backend")

	c.a.log.SetDown(false)
	require.NoError(t, ga.SendToAll("up"))
	for _, msg := range []string{"down 1", "down 2", "up"} {
		c.everyone(t, "B", msg) // "down 3" never left node A
	}
	c.everyone(t, "A", "up")

	// Node B misses more than the stream holds: a gap, reported.
	c.b.log.SetDown(true)
	for range 60 {
		require.NoError(t, ga.SendToGroup("nobody", "x"))
	}
	c.b.log.SetDown(false)
	require.Eventually(t, func() bool { return c.b.errs.count(groups.ErrGap) == 1 }, wait, 5*time.Millisecond)
	require.NoError(t, ga.SendToAll("after the gap"))
	c.everyone(t, "AB", "after the gap")

	// An entry another process appended that does not read as a message.
	require.NoError(t, c.a.log.Append(groups.DefaultStream, []string{"to", "nowhere"}, nil))
	require.Eventually(t, func() bool { return c.b.errs.count(groups.ErrBadEntry) == 1 }, wait, 5*time.Millisecond)

	// An append that fails after it was queued: OnError.
	c.a.log.SetDown(true)
	require.NoError(t, ga.SendToAll("queued, then lost"))
	require.NoError(t, c.a.log.Close())
	require.Eventually(t, func() bool { return c.a.errs.count(groups.ErrLocalOnly) == 1 }, wait, 5*time.Millisecond)
	for _, err := range c.a.errs.all() {
		if errors.Is(err, groups.ErrLocalOnly) {
			assert.ErrorIs(t, err, bus.ErrClosed)
		}
	}
	err = ga.SendToAll("backend closed")
	assert.ErrorIs(t, err, groups.ErrLocalOnly)
	assert.ErrorIs(t, err, bus.ErrClosed)
	c.everyone(t, "A", "queued, then lost")
	c.everyone(t, "A", "backend closed")
	require.NoError(t, gb.Close())
}

// Bad names and messages are refused with clear errors, and nothing is
// sent.
func TestBadInput(t *testing.T) {
	store := memlog.New(memlog.Options{})
	defer store.Close()
	n := startNode(t, store.Node())
	g := n.g
	m := joinText(t, n.text, "add")

	for _, name := range []string{"", strings.Repeat("x", groups.MaxNameLen+1), "a\x00b", "tab\t", "bad\xffutf8", "del\x7f", "c1\u0085"} {
		assert.ErrorIs(t, g.SendToUid(name, "x"), groups.ErrBadUID, "%q", name)
		assert.ErrorIs(t, g.SendToGroup(name, "x"), groups.ErrBadGroup, "%q", name)
		_, err := g.UidConnections(context.Background(), name)
		assert.ErrorIs(t, err, groups.ErrBadUID, "%q", name)
		_, err = g.GroupConnections(context.Background(), name)
		assert.ErrorIs(t, err, groups.ErrBadGroup, "%q", name)
		_, err = g.IsUidOnline(context.Background(), name)
		assert.ErrorIs(t, err, groups.ErrBadUID, "%q", name)
	}
	for _, name := range []string{"a", strings.Repeat("x", groups.MaxNameLen), "über:42", "with space"} {
		assert.NoError(t, g.SendToUid(name, "x"), "%q", name)
		assert.NoError(t, g.SendToGroup(name, "x"), "%q", name)
	}
	m.do(t, "bind ok", "join ok")
	for _, cmd := range []string{"bind ", "join ", "bind a\x01"} {
		_, err := io.WriteString(m.conn, cmd+"\n")
		require.NoError(t, err)
		assert.Contains(t, m.next(t), "error: groups: a ", cmd)
	}
	assert.ErrorContains(t, g.SendToUid("", "x"), "uid", "the error says what is wrong")
	assert.ErrorContains(t, g.SendToGroup("a\x00b", "x"), "control character")

	assert.ErrorIs(t, g.SendToAll(42), protocols.ErrUnsupportedMessage)
	assert.ErrorIs(t, g.SendToAll((*http.ServerSentEvents)(nil)), protocols.ErrUnsupportedMessage)
	assert.ErrorIs(t, g.SendToAll(http.ServerSentEvents{ID: "a\nb"}), http.ErrInvalidEventField)
	assert.ErrorIs(t, g.SendToAll(&http.ServerSentEvents{Event: "x\ry"}), http.ErrInvalidEventField)
	assert.ErrorIs(t, g.SendToAll(http.ServerSentEvents{Retry: -time.Second}), http.ErrInvalidEventField)
	require.NoError(t, g.SendToAll(&http.ServerSentEvents{Data: "valid"}))
	assert.Equal(t, "valid", m.next(t), "the first message that got through")

	require.NoError(t, g.Close())
	assert.ErrorIs(t, g.SendToAll("x"), groups.ErrClosed)
	assert.ErrorIs(t, g.Bind(nil, "u"), groups.ErrClosed)
	assert.ErrorIs(t, g.Join(nil, "g"), groups.ErrClosed)
	_, err := g.Connections(context.Background())
	assert.ErrorIs(t, err, groups.ErrClosed)
	assert.NoError(t, g.Close(), "Close after Close")
}

// Without a backend a Groups serves its own members, and counts them.
func TestLocal(t *testing.T) {
	n := startNode(t, nil)
	g := n.g
	ctx := context.Background()
	ws := joinWS(t, n.ws, "u1", "g1,g2")
	text := joinText(t, n.text, "bind u1", "join g2")
	sse := joinSSE(t, n.http, "u2", "g1")

	require.NoError(t, g.SendToUid("u1", "to u1"))
	require.NoError(t, g.SendToGroup("g1", http.ServerSentEvents{Event: "e", Data: "to g1"}))
	require.NoError(t, g.SendToAll([]byte("all")))
	expect(t, "ws", ws, "text:to u1", "text:to g1", "binary:all")
	expect(t, "text", text, "to u1", "all")
	expect(t, "sse", sse, "event: e|data: to g1", "data: all")

	count := func(f func(context.Context, string) (int, error), name string) int {
		t.Helper()
		v, err := f(ctx, name)
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, 2, count(g.UidConnections, "u1"))
	assert.Equal(t, 2, count(g.GroupConnections, "g2"))
	total, err := g.Connections(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, total)
	sse.close()
	waitCount(t, "connections", g.Connections, 2)
	assert.Zero(t, count(g.UidConnections, "u2"))
	assert.Equal(t, 1, count(g.GroupConnections, "g1"))
	assert.Empty(t, n.errs.all())
}

// Nothing outlives a cluster once its nodes and Store are closed.
func TestNoGoroutineLeak(t *testing.T) {
	round := func() {
		c := startCluster(t, memlog.Options{})
		require.NoError(t, c.a.g.SendToAll("hi"))
		c.everyone(t, "AB", "hi")
		c.stop()
	}
	round() // gnet and the timer wheel start goroutines that stay
	before := leaktest.Goroutines()
	round()
	leaktest.WaitGoroutines(t, before, wait)
}

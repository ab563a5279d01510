package groups_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/bus/redisbus"
	"github.com/gnetworker/gnetworker/internal/redistest"
)

// dialBus dials a redisbus node; it closes after the nodes using it
// (cleanups run last first).
func dialBus(t *testing.T, url string) *redisbus.Bus {
	t.Helper()
	b, err := redisbus.Dial(url, redisbus.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// Two nodes on a real redis-server, node A through a proxy that can cut
// it off: messages and counts cross nodes, and while A is cut off each
// node still serves its own members at once, and the other node's
// members get the messages when the link is back.
func TestRedis(t *testing.T) {
	srv := redistest.Start(t)
	proxy := redistest.NewProxy(t, srv)
	a := startNodeOn(t, dialBus(t, proxy.URL()))
	b := startNodeOn(t, dialBus(t, srv.URL()))
	aWS := joinWS(t, a.ws, "u1", "g1")
	aSSE := joinSSE(t, a.http, "u2", "g1")
	bText := joinText(t, b.text, "bind u1", "join g1")
	bSSE := joinSSE(t, b.http, "u3", "g1")

	require.NoError(t, a.g.SendToGroup("g1", "to g1"))
	expect(t, "A.ws", aWS, "text:to g1")
	expect(t, "A.sse", aSSE, "data: to g1")
	expect(t, "B.text", bText, "to g1")
	expect(t, "B.sse", bSSE, "data: to g1")
	require.NoError(t, b.g.SendToUid("u1", []byte("to u1")))
	expect(t, "B.text", bText, "to u1")
	expect(t, "A.ws", aWS, "binary:to u1")

	for _, n := range []*node{a, b} {
		waitCount(t, "g1", func(ctx context.Context) (int, error) { return n.g.GroupConnections(ctx, "g1") }, 4)
		waitCount(t, "u1", func(ctx context.Context) (int, error) { return n.g.UidConnections(ctx, "u1") }, 2)
		waitCount(t, "all", n.g.Connections, 4)
	}

	proxy.Cut()
	require.NoError(t, a.g.SendToGroup("g1", "from A, cut off"))
	expect(t, "A.ws", aWS, "text:from A, cut off")
	expect(t, "A.sse", aSSE, "data: from A, cut off")
	require.NoError(t, b.g.SendToGroup("g1", "from B"))
	expect(t, "B.text", bText, "from B")
	expect(t, "B.sse", bSSE, "data: from B")
	proxy.Heal()
	expect(t, "A.ws", aWS, "text:from B")
	expect(t, "A.sse", aSSE, "data: from B")
	expect(t, "B.text", bText, "from A, cut off")
	expect(t, "B.sse", bSSE, "data: from A, cut off")

	aSSE.close()
	waitCount(t, "g1 after a close", func(ctx context.Context) (int, error) { return b.g.GroupConnections(ctx, "g1") }, 3)
	waitCount(t, "u2 after a close", func(ctx context.Context) (int, error) { return b.g.UidConnections(ctx, "u2") }, 0)
	assert.Empty(t, a.errs.all())
	assert.Empty(t, b.errs.all())
}

package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/proctest"
	"github.com/gnetworker/gnetworker/internal/redistest"
)

// Two wschat processes on one Redis are one chat room: each browser hears
// the others join and speak, whichever node it is on.
func TestTwoNodesOnRedis(t *testing.T) {
	srv := redistest.Start(t)
	var addrs []string
	for range 2 {
		c := proctest.NewCommander(t, "wschat")
		out, err := c.Run("-addr", "127.0.0.1:0", "-redis", srv.URL(), "start", "-d")
		require.NoError(t, err, out)
		addrs = append(addrs, c.Addr())
		t.Cleanup(func() { _, _ = c.Run("stop") })
	}
	a := join(t, addrs[0])
	aJoined := a.hear(t)
	assert.True(t, strings.HasSuffix(aJoined, "joined"), "a hears itself join")
	b := join(t, addrs[1])
	// b may hear a's join, if node B reads it from Redis after b joined
	// there (a remote member gets what its node reads while it is in the
	// group), before or after its own: skip it.
	bHear := func() string {
		if m := b.hear(t); m != aJoined {
			return m
		}
		return b.hear(t)
	}
	bJoined := bHear()
	assert.True(t, strings.HasSuffix(bJoined, "joined"))
	assert.Equal(t, bJoined, a.hear(t), "a, on the other node, hears b join")

	a.say(t, "hi from node A")
	heard := a.hear(t)
	assert.True(t, strings.HasSuffix(heard, ": hi from node A"), heard)
	assert.Equal(t, heard, bHear())
	b.say(t, "hi from node B")
	heard = b.hear(t)
	assert.Equal(t, heard, a.hear(t))
	assert.NotEqual(t, strings.TrimSuffix(aJoined, " joined"), strings.TrimSuffix(bJoined, " joined"), "names differ by node")
}

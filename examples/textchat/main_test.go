package main

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRelay: each client is welcomed, and a line from one reaches the
// other prefixed with the sender's id, but not the sender itself.
func TestRelay(t *testing.T) {
	w, err := newWorker("127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 2
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })

	type client struct {
		conn net.Conn
		r    *bufio.Reader
		id   string
	}
	join := func() client {
		conn, err := net.Dial("tcp", w.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
		r := bufio.NewReader(conn)
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(line, "welcome, you are client "), line)
		id := strings.TrimSpace(strings.TrimPrefix(line, "welcome, you are client "))
		_, err = strconv.Atoi(id)
		require.NoError(t, err)
		return client{conn, r, id}
	}
	a, b := join(), join()
	require.Eventually(t, func() bool { return w.ConnectionCount() == 2 }, 5*time.Second, 5*time.Millisecond)

	_, err = a.conn.Write([]byte("hello b\n"))
	require.NoError(t, err)
	line, err := b.r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, a.id+": hello b\n", line)

	_, err = b.conn.Write([]byte("hi a\r\n"))
	require.NoError(t, err)
	line, err = a.r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, b.id+": hi a\n", line, "a gets b's line, not its own")
}

package main

import (
	"bufio"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/protocols/http/ssehub"
	"github.com/gnetworker/gnetworker/timer"
)

// TestTabsSeeEachOthersMessages: two event streams (tabs) both get a
// message POSTed by a third client, and the clock ticks.
func TestTabsSeeEachOthersMessages(t *testing.T) {
	hub := ssehub.New(ssehub.Options{})
	w, err := newWorker("127.0.0.1:0", hub)
	require.NoError(t, err)
	w.Count = 1
	require.NoError(t, w.Start())
	clock := startClock(hub, "")
	t.Cleanup(func() { timer.Del(clock); _ = w.Stop(); hub.Close() })
	addr := w.Addr().String()

	open := func() *bufio.Reader {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
		_, err = conn.Write([]byte("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"))
		require.NoError(t, err)
		return bufio.NewReader(conn)
	}
	tabs := []*bufio.Reader{open(), open()}
	require.Eventually(t, func() bool { return hub.Subscribers("chat") == 2 }, 5*time.Second, 5*time.Millisecond)

	body := url.Values{"message": {"hi from a tab"}}.Encode()
	post, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer post.Close()
	_, err = post.Write([]byte("POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body))
	require.NoError(t, err)
	status, err := bufio.NewReader(post).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1 202 Accepted\r\n", status)

	for _, tab := range tabs {
		sawChat, sawClock := false, false
		for !sawChat || !sawClock {
			line, err := tab.ReadString('\n')
			require.NoError(t, err)
			sawChat = sawChat || line == "data: hi from a tab\n"
			sawClock = sawClock || line == "event: clock\n"
		}
	}
}

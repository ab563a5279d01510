package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/groups"
)

// wsClient is a bare WebSocket client: enough to chat.
type wsClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func join(t *testing.T, addr string) *wsClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	fmt.Fprint(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	r := bufio.NewReader(conn)
	resp, err := nethttp.ReadResponse(r, &nethttp.Request{Method: "GET"})
	require.NoError(t, err)
	require.Equal(t, 101, resp.StatusCode)
	return &wsClient{conn, r}
}

// say sends a masked text frame (under 126 bytes).
func (c *wsClient) say(t *testing.T, s string) {
	key := []byte{9, 8, 7, 6}
	f := append([]byte{0x81, 0x80 | byte(len(s))}, key...)
	for i := range len(s) {
		f = append(f, s[i]^key[i&3])
	}
	_, err := c.conn.Write(f)
	require.NoError(t, err)
}

// hear reads one text frame (under 126 bytes).
func (c *wsClient) hear(t *testing.T) string {
	var h [2]byte
	_, err := io.ReadFull(c.r, h[:])
	require.NoError(t, err)
	require.Equal(t, byte(0x81), h[0])
	p := make([]byte, h[1])
	_, err = io.ReadFull(c.r, p)
	require.NoError(t, err)
	return string(p)
}

// TestChat: the page is served at /, and a message from one browser
// reaches every browser in the room over /ws, on the same port.
func TestChat(t *testing.T) {
	w, err := newWorker("127.0.0.1:0", localRoom(t))
	require.NoError(t, err)
	w.Count = 2
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })
	addr := w.Addr().String()

	resp, err := nethttp.Get("http://" + addr + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "new WebSocket(")

	a := join(t, addr)
	assert.True(t, strings.HasSuffix(a.hear(t), "joined"))
	b := join(t, addr)
	assert.True(t, strings.HasSuffix(a.hear(t), "joined"), "a hears b join")
	assert.True(t, strings.HasSuffix(b.hear(t), "joined"))

	a.say(t, "hello room")
	heardA, heardB := a.hear(t), b.hear(t)
	assert.Equal(t, heardA, heardB)
	assert.True(t, strings.HasSuffix(heardB, ": hello room"), heardB)
}

// localRoom is the chat's groups on this process only.
func localRoom(t *testing.T) *groups.Groups {
	t.Helper()
	g, err := groups.New(groups.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = g.Close() })
	return g
}

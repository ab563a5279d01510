package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/proctest"
	"github.com/gnetworker/gnetworker/internal/redistest"
)

// stream is an open event stream of one node.
type stream struct {
	conn net.Conn
	r    *bufio.Reader
}

func openStream(t *testing.T, addr, lastID string) *stream {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	req := "GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
	if lastID != "" {
		req += "Last-Event-ID: " + lastID + "\r\n"
	}
	_, err = io.WriteString(conn, req+"\r\n")
	require.NoError(t, err)
	s := &stream{conn: conn, r: bufio.NewReader(conn)}
	status, err := s.r.ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, status, " 200 ")
	for {
		line, err := s.r.ReadString('\n')
		require.NoError(t, err)
		if line == "\r\n" {
			return s
		}
	}
}

// nextChat returns the id and data of the next chat event, skipping the
// clocks.
func (s *stream) nextChat(t *testing.T) (id, data string) {
	t.Helper()
	var name string
	for {
		line, err := s.r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if name == "chat" {
				return id, data
			}
			name, id, data = "", "", ""
		case strings.HasPrefix(line, "event: "):
			name = line[7:]
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		}
	}
}

// post publishes a chat message on a node and returns its event id.
func post(t *testing.T, addr, msg string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	body := url.Values{"message": {msg}}.Encode()
	_, err = fmt.Fprintf(conn, "POST /messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	require.NoError(t, err)
	resp, err := io.ReadAll(conn)
	require.NoError(t, err)
	head, id, _ := strings.Cut(string(resp), "\r\n\r\n")
	require.Contains(t, head, " 202 ", string(resp))
	return id
}

// Two ssehub processes on one Redis are one hub: a message posted to
// either reaches the tabs of both with one id; a tab that reconnects to
// the other node, with Last-Event-ID, gets exactly what it missed; and
// when a node stops, its tabs carry on at the other.
func TestTwoNodesOnRedis(t *testing.T) {
	srv := redistest.Start(t)
	var addrs []string
	var nodes []*proctest.Commander
	for range 2 {
		c := proctest.NewCommander(t, "ssehub")
		out, err := c.Run("-addr", "127.0.0.1:0", "-count", "2", "-redis", srv.URL(), "start", "-d")
		require.NoError(t, err, out)
		nodes = append(nodes, c)
		addrs = append(addrs, c.Addr())
	}
	a, b := openStream(t, addrs[0], ""), openStream(t, addrs[1], "")

	id := post(t, addrs[1], "hello from B")
	assert.Regexp(t, `^\d+-\d+$`, id)
	for _, s := range []*stream{a, b} {
		gotID, data := s.nextChat(t)
		assert.Equal(t, id, gotID)
		assert.Equal(t, "hello from B", data)
	}

	// Tab a drops; three messages go to node A meanwhile; it comes back
	// on node B.
	_ = a.conn.Close()
	var missed []string
	for i := range 3 {
		missed = append(missed, post(t, addrs[0], fmt.Sprintf("missed %d", i)))
	}
	again := openStream(t, addrs[1], id)
	for _, s := range []*stream{again, b} { // b was there all along
		for i, want := range missed {
			gotID, data := s.nextChat(t)
			assert.Equal(t, want, gotID)
			assert.Equal(t, fmt.Sprintf("missed %d", i), data)
		}
	}

	// Node A stops; node B goes on serving both the old and new tabs.
	out, err := nodes[0].Run("stop")
	require.NoError(t, err, out)
	last := post(t, addrs[1], "after A stopped")
	for _, s := range []*stream{b, again} {
		gotID, data := s.nextChat(t)
		assert.Equal(t, last, gotID)
		assert.Equal(t, "after A stopped", data)
	}
	out, err = nodes[1].Run("stop")
	require.NoError(t, err, out)
}

// With -redis, a reload loses nothing: clients whose streams end at the
// reload reconnect to the new process with Last-Event-ID and get every
// message posted meanwhile, once, in order.
func TestReloadOnRedisLosesNothing(t *testing.T) {
	srv := redistest.Start(t)
	c := proctest.NewCommander(t, "ssehub")
	out, err := c.Run("-addr", "127.0.0.1:0", "-count", "2", "-redis", srv.URL(), "start", "-d")
	require.NoError(t, err, out)
	addr := c.Addr()

	const clients, messages = 100, 200
	stop := make(chan struct{})
	ready := make(chan struct{}, clients)
	fs := make([]*follower, clients)
	errs := make(chan error, clients)
	for i := range fs {
		fs[i] = &follower{addr: addr}
		go func() { errs <- fs[i].run(stop, ready) }()
	}
	for range clients {
		<-ready
	}
	reloaded := make(chan error, 1)
	for i := range messages {
		if i == messages/4 {
			go func() {
				out, err := c.Run("reload")
				if err != nil {
					err = fmt.Errorf("%w: %s", err, out)
				}
				reloaded <- err
			}()
		}
		post(t, addr, fmt.Sprintf("m%d", i))
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, <-reloaded)
	want := make([]string, messages)
	for i := range want {
		want[i] = fmt.Sprintf("m%d", i)
	}
	require.Eventually(t, func() bool {
		for _, f := range fs {
			f.mu.Lock()
			n := len(f.chats)
			f.mu.Unlock()
			if n < messages {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "every client gets every message")
	close(stop)
	ends := 0
	for _, f := range fs {
		f.mu.Lock()
		assert.Equal(t, want, f.chats)
		ends += f.ends
		f.mu.Unlock()
	}
	for range clients {
		assert.NoError(t, <-errs)
	}
	t.Logf("%d clients, %d streams ended by the reload, %d messages each", clients, ends, messages)
	assert.Equal(t, clients, ends, "each stream ended once, at the reload")
	out, err = c.Run("stop")
	require.NoError(t, err, out)
}

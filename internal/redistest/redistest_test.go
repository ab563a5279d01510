package redistest_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/redistest"
)

// do sends one command to addr over raw RESP and returns its reply: a
// simple string or error line as sent ("+OK", "-ERR ..."), a bulk string's
// contents, or "(nil)" for a null bulk string.
func do(addr string, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return "", err
	}
	var req strings.Builder
	fmt.Fprintf(&req, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(req.String())); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if !strings.HasPrefix(line, "$") {
		return line, nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil {
		return "", fmt.Errorf("bad bulk length %q", line)
	}
	if n < 0 {
		return "(nil)", nil
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func TestStartKillRestart(t *testing.T) {
	s := redistest.Start(t)
	require.True(t, s.Alive())
	require.Regexp(t, `^127\.0\.0\.1:\d+$`, s.Addr())
	require.Equal(t, "redis://"+s.Addr()+"/0", s.URL())
	require.NotEqual(t, "127.0.0.1:6379", s.Addr(), "never the system redis")

	reply, err := do(s.Addr(), "PING")
	require.NoError(t, err)
	require.Equal(t, "+PONG", reply)

	reply, err = do(s.Addr(), "SET", "k", "v")
	require.NoError(t, err)
	require.Equal(t, "+OK", reply)

	s.Kill()
	require.False(t, s.Alive())
	_, err = do(s.Addr(), "PING")
	require.Error(t, err, "PING answered after Kill")
	s.Kill() // a second Kill does nothing

	s.Restart()
	require.True(t, s.Alive())
	reply, err = do(s.Addr(), "PING")
	require.NoError(t, err)
	require.Equal(t, "+PONG", reply)

	reply, err = do(s.Addr(), "GET", "k")
	require.NoError(t, err)
	require.Equal(t, "v", reply, "the write acknowledged before SIGKILL is lost")
}

// TestRestartWhileRunning: Restart on a live server kills it first.
func TestRestartWhileRunning(t *testing.T) {
	s := redistest.Start(t)
	reply, err := do(s.Addr(), "SET", "k", "v2")
	require.NoError(t, err)
	require.Equal(t, "+OK", reply)
	s.Restart()
	reply, err = do(s.Addr(), "GET", "k")
	require.NoError(t, err)
	require.Equal(t, "v2", reply)
}

// TestServersAreSeparate: two servers in one test have their own ports and
// data.
func TestServersAreSeparate(t *testing.T) {
	a, b := redistest.Start(t), redistest.Start(t)
	require.NotEqual(t, a.Addr(), b.Addr())
	_, err := do(a.Addr(), "SET", "k", "a")
	require.NoError(t, err)
	reply, err := do(b.Addr(), "GET", "k")
	require.NoError(t, err)
	require.Equal(t, "(nil)", reply)
}

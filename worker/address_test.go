package worker_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// Listen addresses as users write them: a host name, an IPv6 literal.
func TestListenAddressForms(t *testing.T) {
	for _, tc := range []struct{ name, network string }{
		{"text://localhost:0", "tcp4"},
		{"text://[::1]:0", "tcp6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.network == "tcp6" {
				if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
					t.Skipf("no IPv6 loopback here: %v", err)
				} else {
					ln.Close()
				}
			}
			w, err := worker.New(tc.name)
			require.NoError(t, err)
			w.Count = 1
			w.OnMessage = func(c *connection.TcpConnection, line string) { _ = c.Send("re " + line) }
			require.NoError(t, w.Start())
			defer w.Stop()
			conn := dial(t, w.Addr().String())
			fmt.Fprint(conn, "x\n")
			assert.Equal(t, "re x", readLine(t, bufio.NewReader(conn)))
		})
	}
}

// unix:///path listens on a unix socket with raw bytes, as workerman's
// unix:// transport; http+unix:// speaks HTTP there. A stale socket file
// is replaced, a live one refused, and the file is gone after Stop.
func TestUnixSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "raw.sock")
	w, err := worker.New("unix://" + path)
	require.NoError(t, err)
	w.Count = 1
	w.OnMessage = func(c *connection.TcpConnection, b []byte) { _ = c.Send(append([]byte("re "), b...)) }
	require.NoError(t, w.Start())
	assert.Equal(t, path, w.Addr().String())
	conn, err := net.Dial("unix", path)
	require.NoError(t, err)
	_, err = conn.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 7)
	_, err = io.ReadFull(conn, buf)
	require.NoError(t, err)
	assert.Equal(t, "re ping", string(buf))
	conn.Close()

	again, err := worker.New("unix://" + path)
	require.NoError(t, err)
	again.OnMessage = w.OnMessage
	assert.ErrorContains(t, again.Start(), "address already in use", "a live socket is not taken over")

	require.NoError(t, w.Stop())
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "the socket file is removed on Stop")

	hpath := filepath.Join(dir, "http.sock")
	stale, err := net.Listen("unix", hpath) // a file a dead process left behind
	require.NoError(t, err)
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	hw, err := worker.New("http+unix://" + hpath)
	require.NoError(t, err)
	hw.Count = 1
	hw.OnMessage = func(c *connection.TcpConnection, req *http.Request) { _ = c.Send("over unix " + req.Path()) }
	require.NoError(t, hw.Start(), "a stale socket file is replaced")
	defer hw.Stop()
	client := &nethttp.Client{Transport: &nethttp.Transport{Dial: func(string, string) (net.Conn, error) { return net.Dial("unix", hpath) }}}
	resp, err := client.Get("http://unix/x")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "over unix /x", string(body))
}

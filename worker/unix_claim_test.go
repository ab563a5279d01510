package worker_test

// Second reader's reproducer (review of the changes since bc73216).

import (
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/worker"
)

// claimUnixSocket treats any dial error as "nobody listens" and removes
// the socket file. A live server whose accept backlog is full makes a
// unix connect fail at once with EAGAIN: a second instance started then
// deletes the live server's socket and takes the path over.
func TestUnixClaimRemovesBusyLiveSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.sock")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer syscall.Close(fd)
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}))
	require.NoError(t, syscall.Listen(fd, 0)) // a live server that is busy: it accepts nothing now
	var held []net.Conn
	for range 4 { // fill the backlog
		c, err := net.DialTimeout("unix", path, 100*time.Millisecond)
		if err != nil {
			t.Logf("backlog full: %v", err)
			break
		}
		held = append(held, c)
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	st1, err := os.Stat(path)
	require.NoError(t, err)

	w, err := worker.New("unix://" + path)
	require.NoError(t, err)
	w.Count = 1
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w.OnMessage = func(*connection.TcpConnection, []byte) {}
	err = w.Start()
	if err == nil {
		defer w.Stop()
		st2, _ := os.Stat(path)
		t.Fatalf("Start took over a live server's socket (same file: %v)", os.SameFile(st1, st2))
	}
	t.Logf("refused as it should: %v", err)
}

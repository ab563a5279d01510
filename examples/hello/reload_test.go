package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/proctest"
)

// loadResult counts what keep-alive clients saw.
type loadResult struct {
	ok, non2xx, errs, reconnects atomic.Int64
	mu                           sync.Mutex
	firstErr                     error
	done                         chan struct{} // closed once every client returned
}

func (r *loadResult) fail(err error) {
	r.errs.Add(1)
	r.mu.Lock()
	if r.firstErr == nil {
		r.firstErr = err
	}
	r.mu.Unlock()
}

// keepAliveLoad runs conns clients until stop closes, each sending GET /
// over one keep-alive connection after another: a new connection only
// when the server said "Connection: close". Nothing is retried, so any
// request the server drops counts as an error.
func keepAliveLoad(addr string, conns int, stop <-chan struct{}) *loadResult {
	r := &loadResult{done: make(chan struct{})}
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			var c net.Conn
			var br *bufio.Reader
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if c == nil {
					var err error
					if c, err = net.DialTimeout("tcp", addr, 5*time.Second); err != nil {
						r.fail(err)
						return
					}
					br = bufio.NewReader(c)
				}
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
					r.fail(fmt.Errorf("write: %w", err))
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					r.fail(fmt.Errorf("read: %w", err))
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					r.ok.Add(1)
				} else {
					r.non2xx.Add(1)
				}
				if resp.Close {
					c.Close()
					c = nil
					r.reconnects.Add(1)
				}
			}
		})
	}
	go func() { wg.Wait(); close(r.done) }()
	return r
}

// Two reloads during 8 s of 50 keep-alive clients: no request is lost or refused,
// and the serving process changes each time.
func TestReloadUnderLoad(t *testing.T) {
	c := proctest.NewCommander(t, "hello")
	out, err := c.Run("-addr", "127.0.0.1:0", "-count", "2", "start", "-d")
	require.NoError(t, err, out)
	addr := strings.TrimPrefix(c.Status().Workers[0].Listen, "http://")
	pids := []int{c.Status().PID}

	stop := make(chan struct{})
	load := keepAliveLoad(addr, 50, stop)
	// 8 s of load, as the wrk run, with a reload at about 2.7 s
	// and 5.3 s.
	for range 2 {
		time.Sleep(2666 * time.Millisecond)
		out, err := c.Run("reload")
		require.NoError(t, err, out)
		assert.Contains(t, out, "reloaded: pid ")
		pids = append(pids, c.Status().PID)
	}
	time.Sleep(2666 * time.Millisecond)
	close(stop)
	select {
	case <-load.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the clients did not finish")
	}
	t.Logf("%d requests answered 2xx, %d reconnects after Connection: close, serving pids %v",
		load.ok.Load(), load.reconnects.Load(), pids)
	assert.Zero(t, load.errs.Load(), "socket errors (first: %v)", load.firstErr)
	assert.Zero(t, load.non2xx.Load())
	assert.Positive(t, load.ok.Load())
	assert.Positive(t, load.reconnects.Load(), "the old processes ended their keep-alive connections")
	assert.Len(t, pids, 3)
	assert.NotEqual(t, pids[0], pids[1])
	assert.NotEqual(t, pids[1], pids[2])
	for _, pid := range pids[:2] {
		assert.Eventually(t, func() bool { return !proctest.Alive(pid) }, 10*time.Second, 20*time.Millisecond,
			"old process %d exits", pid)
	}
	out, err = c.Run("stop")
	require.NoError(t, err, out)
}

// A reload whose new binary cannot start leaves the old process serving,
// and the command says why.
func TestReloadWithBrokenBinary(t *testing.T) {
	c := proctest.NewCommander(t, "hello")
	out, err := c.Run("-addr", "127.0.0.1:0", "start", "-d")
	require.NoError(t, err, out)
	st := c.Status()
	addr := strings.TrimPrefix(st.Workers[0].Listen, "http://")

	// Deploy a broken build over the binary (renamed into place, as a
	// deploy does: a running binary cannot be written).
	good := c.Bin + ".good"
	require.NoError(t, os.Link(c.Bin, good))
	broken := filepath.Join(filepath.Dir(c.Bin), "broken")
	require.NoError(t, os.WriteFile(broken, []byte("#!/bin/sh\necho 'config error: no such database' >&2\nexit 3\n"), 0o755))
	require.NoError(t, os.Rename(broken, c.Bin))

	ctl := *c
	ctl.Bin = good // the command itself runs the good build
	out, err = ctl.Run("reload")
	assert.Error(t, err)
	assert.Contains(t, out, "did not start")
	assert.Contains(t, out, "goes on serving")

	require.NoError(t, os.Rename(good, c.Bin)) // for the commands below
	assert.Equal(t, st.PID, c.Status().PID, "the old process still serves")
	resp, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	out, err = c.Run("stop")
	require.NoError(t, err, out)
}

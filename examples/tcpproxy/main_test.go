package main

import (
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/proctest"
)

// size is more than the 10 MiB, so that a proxy keeping what
// passes through would show it plainly.
const size = 32 << 20

// pattern is size bytes of a seeded random stream.
func pattern() io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{1, 4}), size)
}

// slowReader reads r at about rate bytes a second, hashing what it reads.
func slowRead(r io.Reader, rate int) ([32]byte, int64, error) {
	h := sha256.New()
	buf := make([]byte, 32<<10)
	var n int64
	start := time.Now()
	for {
		k, err := r.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			var sum [32]byte
			copy(sum[:], h.Sum(nil))
			return sum, n, nil
		}
		if err != nil {
			return [32]byte{}, n, err
		}
		if ahead := time.Duration(float64(n)/float64(rate)*float64(time.Second)) - time.Since(start); ahead > 0 {
			time.Sleep(ahead)
		}
	}
}

// startProxy starts the built example, daemonized, in front of upstream.
func startProxy(t *testing.T, upstream string) (*proctest.Commander, string, int) {
	c := proctest.NewCommander(t, "tcpproxy")
	out, err := c.Run("-addr", "127.0.0.1:0", "-upstream", upstream, "-count", "1", "start", "-d")
	require.NoError(t, err, out)
	t.Cleanup(func() { _, _ = c.Run("stop") })
	pid, err := c.PID()
	require.NoError(t, err)
	return c, c.Addr(), pid
}

// 32 MiB through the proxy arrive intact at a slow reader, in each
// direction, and the proxy's memory grows by its send buffers (1 MiB
// each way, held twice: staged and in gnet's buffer) and the Go
// runtime's slack, not by what passes through it. Without the pause
// (gnetx), the proxy reads everything at once: its peak RSS grew by more
// than 100 MiB in this test.
func TestSlowReaderBoundsTheProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("32 MiB at a slow pace: not with -short")
	}
	const rate = 8 << 20 // bytes a second at the far end
	for _, dir := range []string{"client to upstream", "upstream to client"} {
		t.Run(dir, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer ln.Close()
			_, addr, pid := startProxy(t, ln.Addr().String())
			before := proctest.PeakRSS(t, pid)

			want := sha256.New()
			_, err = io.Copy(want, pattern())
			require.NoError(t, err)

			type result struct {
				sum [32]byte
				n   int64
				err error
			}
			got := make(chan result, 1)
			sendAll := func(c net.Conn) {
				_, err := io.Copy(c, pattern())
				assert.NoError(t, err)
				_ = c.Close()
			}
			readSlowly := func(c net.Conn) {
				sum, n, err := slowRead(c, rate)
				got <- result{sum, n, err}
			}
			client, err := net.DialTimeout("tcp", addr, 5*time.Second)
			require.NoError(t, err)
			defer client.Close()
			require.NoError(t, client.SetDeadline(time.Now().Add(2*time.Minute)))
			up, err := ln.Accept()
			require.NoError(t, err)
			defer up.Close()
			require.NoError(t, up.SetDeadline(time.Now().Add(2*time.Minute)))
			if dir == "client to upstream" {
				go sendAll(client)
				go readSlowly(up)
			} else {
				go sendAll(up)
				go readSlowly(client)
			}
			r := <-got
			require.NoError(t, r.err)
			assert.Equal(t, int64(size), r.n)
			assert.Equal(t, [32]byte(want.Sum(nil)), r.sum, "the bytes arrive intact")

			peak := proctest.PeakRSS(t, pid)
			t.Logf("proxy peak RSS: %.1f MiB before, %.1f MiB after 32 MiB %s", float64(before)/(1<<20), float64(peak)/(1<<20), dir)
			// Without a pause the whole 10 MiB would wait in the proxy.
			assert.Less(t, peak-before, int64(16<<20), "the proxy's peak RSS grew with what passed through it")
		})
	}
}

// When the upstream closes, the client's connection closes; when the
// upstream cannot be reached, too.
func TestUpstreamGoneClosesTheClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, addr, _ := startProxy(t, ln.Addr().String())

	client, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer client.Close()
	require.NoError(t, client.SetDeadline(time.Now().Add(20*time.Second)))
	up, err := ln.Accept()
	require.NoError(t, err)
	_, err = client.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	require.NoError(t, up.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.ReadFull(up, buf)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(buf))
	_, err = up.Write([]byte("pong"))
	require.NoError(t, err)
	require.NoError(t, up.Close())
	b, err := io.ReadAll(client)
	require.NoError(t, err, "the client's connection closes cleanly")
	assert.Equal(t, "pong", string(b), "what the upstream sent before closing is delivered first")

	// Nothing listens any more: the client is closed at once.
	require.NoError(t, ln.Close())
	client2, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer client2.Close()
	require.NoError(t, client2.SetDeadline(time.Now().Add(20*time.Second)))
	b, err = io.ReadAll(client2)
	if err != nil {
		assert.ErrorIs(t, err, syscallECONNRESET())
	}
	assert.Empty(t, b)
}

package tlstransport

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/leaktest"
)

// While the handshake's goroutine is busy (here: a GetCertificate that
// takes its time, as one that fetches a certificate does), what the peer
// sends waits unread, up to MaxHandshakeInput plus the connection's
// MaxPackageSize; past it the connection fails rather than grow the
// process. (Found by a second reader.)
func TestHandshakeInputIsBounded(t *testing.T) {
	scfg, ccfg := configs(t)
	release := make(chan struct{})
	cfg := scfg.Clone()
	cert := cfg.Certificates[0]
	cfg.Certificates = nil
	cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		return &cert, nil
	}
	before := leaktest.Goroutines()
	host := newHost()
	tr := (&Config{TLS: cfg}).NewTransport(host).(*Transport)
	_, _, err := tr.Receive(nil, nil, firstFlight(t, ccfg))
	require.NoError(t, err)
	junk := make([]byte, 64<<10)
	for range 512 { // up to 32 MiB, as reads of the socket
		if _, _, err = tr.Receive(nil, nil, junk); err != nil {
			break
		}
	}
	assert.ErrorIs(t, err, ErrHandshakeInput)
	tr.feed.mu.Lock()
	held := len(tr.feed.in)
	tr.feed.mu.Unlock()
	close(release)
	tr.Close()
	leaktest.WaitGoroutines(t, before, 5*time.Second)
	assert.LessOrEqual(t, held, tr.inputLimit(), "bytes the peer sent during the handshake, held unread")
	assert.Equal(t, MaxHandshakeInput+1<<20, tr.inputLimit(), "the flights' bound plus the connection's MaxPackageSize")
}

// A client sends its first request right after its Finished, before the
// handshake's goroutine has seen the Finished (on a busy single-core
// server that can take a while): several MiB of it wait unread, within
// the connection's MaxPackageSize, and reach the codec intact once the
// handshake ends. A bound of the flights alone broke uploads this way.
func TestRequestRightAfterFinishedWaits(t *testing.T) {
	scfg, ccfg := configs(t)
	stall := make(chan struct{})
	var release sync.Once
	defer release.Do(func() { close(stall) }) // should the test fail first
	hook := func() { <-stall }
	testHookHandshakeDone.Store(&hook)
	defer testHookHandshakeDone.Store(nil)

	host := newHost()
	host.maxPackage = 10 << 20
	tr := (&Config{TLS: scfg}).NewTransport(host).(*Transport)
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- loop(tr, host, a, 64<<10) }()

	client := tls.Client(b, ccfg)
	require.NoError(t, client.SetDeadline(time.Now().Add(30*time.Second)))
	require.NoError(t, client.Handshake())
	data := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16) // 4 MiB
	go func() {
		_, _ = client.Write(data)
	}()
	// Let the loop take it all in while the handshake is not marked done.
	require.Eventually(t, func() bool {
		tr.feed.mu.Lock()
		defer tr.feed.mu.Unlock()
		return len(tr.feed.in) > 2<<20
	}, 10*time.Second, time.Millisecond, "the request waits in the feed")
	release.Do(func() { close(stall) })
	got := make([]byte, len(data))
	_, err := io.ReadFull(client, got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "echoed intact")
	client.Close()
	<-done
	a.Close()
}

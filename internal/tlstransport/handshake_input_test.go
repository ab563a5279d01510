package tlstransport

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/leaktest"
)

// While the handshake's goroutine is busy (here: a GetCertificate that
// takes its time, as one that fetches a certificate does), what the peer
// sends waits unread, up to MaxHandshakeInput; past it the connection
// fails rather than grow the process. (Found by a second reader.)
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
	assert.LessOrEqual(t, held, MaxHandshakeInput, "bytes the peer sent during the handshake, held unread")
}

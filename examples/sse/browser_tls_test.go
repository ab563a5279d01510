package main

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/browsertest"
	"github.com/gnetworker/gnetworker/internal/testcert"
	"github.com/gnetworker/gnetworker/timer"
)

// TestBrowserEventSourceTLS is TestBrowserEventSource over HTTPS: Chromium
// loads the example's page over TLS 1.3 with HTTP/1.1 chosen by ALPN
// (Chromium offers h2 first), from a certificate it accepts only by its
// public key (browsertest.Trusting), and an EventSource on the page's
// https:// origin receives the seed's "hello" events. Once the browser
// is gone, every event stream's timer deletes itself, as over plain TCP.
func TestBrowserEventSourceTLS(t *testing.T) {
	env := browsertest.Require(t)
	ca, err := testcert.NewCA("gnetworker sse test CA")
	require.NoError(t, err)
	leaf, err := ca.Leaf("sse")
	require.NoError(t, err)

	before := timer.Len()
	w, err := newWorker("127.0.0.1:0")
	require.NoError(t, err)
	w.Transport = "ssl"
	w.TLSConfig = &tls.Config{Certificates: []tls.Certificate{leaf}}
	require.NoError(t, w.Start())
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = w.Stop()
		}
	}
	defer stop()
	url := "https://" + w.Addr().String() + "/"

	res := runEventSource(t, env.Trusting(leaf.Leaf), url)
	assertSeedEvents(t, res, url)
	require.NotNil(t, res.Connection.TLS, "the page came over TLS")
	assert.Equal(t, "TLS 1.3", res.Connection.TLS.Protocol)
	assert.Equal(t, "sse", res.Connection.TLS.SubjectName, "the test's certificate")
	assert.Equal(t, "http/1.1", res.Connection.NextHopProtocol, "ALPN chose HTTP/1.1")

	stop()
	assert.Equal(t, before, waitTimerLen(before, 5*time.Second), "event-stream timers left after the browser closed")
}

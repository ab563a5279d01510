package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Post-handshake messages a client may start: a TLS 1.2 renegotiation,
// which the server refuses, and a TLS 1.3 key update, which it follows.

// testRenegotiation: a client-initiated renegotiation over TLS 1.2 is
// refused. The server must answer the new ClientHello with an alert and
// close: s_client then ends by itself while its input is still open, and
// a request typed after "R" gets no answer. Had the server renegotiated,
// s_client would still be connected at its deadline.
func testRenegotiation(t *testing.T, openssl string, srv tlsServer) {
	s := startSession(t, openssl, srv, "-tls1_2")
	// The handshake is done, and the server says it would renegotiate
	// securely (RFC 5746), which is not the same as doing it.
	require.True(t, s.waitLine("Secure Renegotiation IS supported"), "no TLS 1.2 session:\n%s", s.output())
	require.NoError(t, s.send("R\n"))
	require.True(t, s.waitLine("RENEGOTIATING"), "s_client did not renegotiate:\n%s", s.output())
	_ = s.send(request) // s_client may well be gone already

	require.True(t, s.waitExit(), "s_client is still connected after renegotiating: the server did not refuse\n%s", s.output())
	_, after, _ := strings.Cut(s.output(), "RENEGOTIATING\n")
	t.Logf("s_client after R: %s", after)
	assert.Contains(t, after, "SSL alert number", "the server's alert")
	assert.NotContains(t, after, "HTTP/1.1", "no request answered after the renegotiation")
}

// testKeyUpdate: over TLS 1.3 the client updates its keys and asks the
// server to update its own (s_client's "K", RFC 8446 §4.6.3). The server
// sends its KeyUpdate, and a request after it is answered under the new
// keys.
func testKeyUpdate(t *testing.T, openssl string, srv tlsServer) {
	s := startSession(t, openssl, srv, "-tls1_3", "-msg") // -msg shows each handshake message
	require.True(t, s.waitLine("Verify return code: 0 (ok)"), "no TLS 1.3 session:\n%s", s.output())
	require.NoError(t, s.send("K\n"))
	require.True(t, s.waitLine("KEYUPDATE"), "s_client did not update its keys:\n%s", s.output())
	require.True(t, s.waitLine("<<< TLS 1.3, Handshake [length 0005], KeyUpdate"),
		"the server sent no KeyUpdate of its own:\n%s", s.output())
	require.NoError(t, s.send(request))
	assert.True(t, s.waitLine("HTTP/1.1 200 OK"), "no answer after the key update:\n%s", s.output())
}

package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenSSLClient: openssl s_client, an independent TLS client, against
// the built hello binary serving the PEM files given by -cert and -key.
func TestOpenSSLClient(t *testing.T) {
	openssl := requireTool(t, "openssl")
	srv := startTLSServer(t)

	// TLS 1.3 with ALPN http/1.1 offered and chosen; the certificate
	// verifies; the request is answered, and the connection closed after
	// it with a close_notify (s_client's exit status 0).
	t.Run("TLS1.3-ALPN", func(t *testing.T) {
		out, err := sClient(t, openssl, srv, "-tls1_3", "-alpn", "http/1.1")
		require.NoError(t, err, "s_client:\n%s", out)
		assert.Contains(t, out, "New, TLSv1.3, Cipher is ")
		assert.Contains(t, out, "ALPN protocol: http/1.1")
		assert.Contains(t, out, "Verify return code: 0 (ok)")
		assert.Contains(t, out, "HTTP/1.1 200 OK\r\n")
		assert.Contains(t, out, "\r\n\r\nHello, World!")
	})

	// TLS 1.2 works too, with an ECDHE suite (the leaf key is ECDSA), and
	// ends with close_notify as well.
	t.Run("TLS1.2", func(t *testing.T) {
		out, err := sClient(t, openssl, srv, "-tls1_2", "-alpn", "http/1.1")
		require.NoError(t, err, "s_client:\n%s", out)
		assert.Contains(t, out, "New, TLSv1.2, Cipher is ECDHE-ECDSA-")
		assert.Contains(t, out, "ALPN protocol: http/1.1")
		assert.Contains(t, out, "HTTP/1.1 200 OK\r\n")
	})

	// A client offering h2 alone never gets it: the server, which speaks
	// no HTTP/2, ends the handshake with a no_application_protocol alert
	// (RFC 7301 §3.2) and no request is answered. Offered beside
	// http/1.1, h2 loses to it.
	t.Run("ALPN-h2", func(t *testing.T) {
		out, err := sClient(t, openssl, srv, "-alpn", "h2")
		assert.Error(t, err, "the handshake fails")
		assert.NotContains(t, out, "ALPN protocol: h2")
		assert.Contains(t, out, "alert no application protocol")
		assert.NotContains(t, out, "HTTP/1.1")

		out, err = sClient(t, openssl, srv, "-alpn", "h2,http/1.1")
		require.NoError(t, err, "s_client:\n%s", out)
		assert.Contains(t, out, "ALPN protocol: http/1.1")
		assert.Contains(t, out, "HTTP/1.1 200 OK\r\n")
	})

	t.Run("Renegotiation", func(t *testing.T) { testRenegotiation(t, openssl, srv) })
	t.Run("KeyUpdate", func(t *testing.T) { testKeyUpdate(t, openssl, srv) })
}

package main

import (
	"context"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// curlArgs start every curl run: no ~/.curlrc (-q), no proxy from the
// environment, errors shown, nothing else on stderr.
var curlArgs = []string{"-q", "--noproxy", "*", "--silent", "--show-error"}

// TestCurlHTTPSKeepAlive: curl, an independent client on OpenSSL, fetches
// three URLs in one run from the built hello binary serving the PEM files
// given by -cert and -key. It verifies the certificate against the test CA
// (--cacert), offers h2 and HTTP/1.1 by ALPN and gets HTTP/1.1, and sends
// all three requests on the connection it opened for the first: keep-alive
// over TLS. The last URL is answered 404, also on that connection.
func TestCurlHTTPSKeepAlive(t *testing.T) {
	curl := requireTool(t, "curl")
	srv := startTLSServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	base := "https://" + srv.addr
	// After each transfer: connections opened for it, status, HTTP version
	// and the certificate check's result (0: verified).
	format := "|%{num_connects} %{http_code} %{http_version} %{ssl_verify_result}\n"
	args := slices.Concat(curlArgs, []string{"--cacert", srv.caFile, "--write-out", format, base + "/", base + "/", base + "/nope"})
	out, err := exec.CommandContext(ctx, curl, args...).CombinedOutput()
	require.NoError(t, err, "curl:\n%s", out)
	assert.Equal(t, "Hello, World!|1 200 1.1 0\n"+
		"Hello, World!|0 200 1.1 0\n"+
		"Not Found|0 404 1.1 0\n", string(out),
		"one connection for three requests, each answered on it")
}

// TestCurlRefusesUnknownCA: without the test CA, curl refuses the server's
// certificate (exit status 60, "peer certificate cannot be authenticated"):
// the keep-alive test above passes because the certificate is checked, not
// in spite of it.
func TestCurlRefusesUnknownCA(t *testing.T) {
	curl := requireTool(t, "curl")
	srv := startTLSServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Without --cacert curl trusts the system's roots, none of which
	// signed the test CA.
	args := slices.Concat(curlArgs, []string{"https://" + srv.addr + "/"})
	out, err := exec.CommandContext(ctx, curl, args...).CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "curl must fail:\n%s", out)
	assert.Equal(t, 60, exit.ExitCode(), "CURLE_PEER_FAILED_VERIFICATION:\n%s", out)
}

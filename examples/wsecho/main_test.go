package main

import (
	"context"
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/certfile"
	"github.com/gnetworker/gnetworker/internal/testcert"
	"github.com/gnetworker/gnetworker/worker"
)

// debianPython is the interpreter Debian's python3-websockets installs for
// (a python3 earlier on PATH may be another installation).
const debianPython = "/usr/bin/python3"

// wantEcho is what testdata/client.py prints for a server that echoes
// everything, plain or over TLS.
const wantEcho = "extensions ['PerMessageDeflate']\ntext ok\nbinary ok\nfragments ok\nlarge ok\nping ok\nclose 4000 \n"

// requirePython skips t without Debian's python3-websockets.
func requirePython(t *testing.T) {
	t.Helper()
	if err := exec.Command(debianPython, "-c", "import websockets").Run(); err != nil {
		t.Skipf("python3-websockets is not installed (make test installs it): %v", err)
	}
}

// startEcho starts the example's worker on a free loopback port, after
// setup, and stops it when the test ends.
func startEcho(t *testing.T, setup func(*worker.Worker)) string {
	t.Helper()
	w, err := newWorker("127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 1
	setup(w)
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })
	return w.Addr().String()
}

// runClient runs testdata/client.py with args and returns what it printed,
// failing t when it fails.
func runClient(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, debianPython, append([]string{"testdata/client.py"}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "client output:\n%s", out)
	return string(out)
}

// TestIndependentClient: Debian's python3-websockets (installed by make
// test) talks to the echo server: text, binary, fragments, a large
// message, ping, and the close handshake, echoing the client's code, all
// with permessage-deflate.
func TestIndependentClient(t *testing.T) {
	requirePython(t)
	addr := startEcho(t, func(*worker.Worker) {})
	assert.Equal(t, wantEcho, runClient(t, "ws://"+addr+"/"))
}

// TestIndependentClientWSS: the same client over wss://, through Python's
// ssl module (OpenSSL), which verifies the server's certificate against
// the test CA alone and negotiates TLS 1.3. The server is set up as -cert
// and -key set it up (serverflags.TLSFiles): from PEM files, through
// package certfile. Every exchange of the plain test passes unchanged,
// compression included.
func TestIndependentClientWSS(t *testing.T) {
	requirePython(t)
	dir := t.TempDir()
	ca, err := testcert.NewCA("gnetworker wsecho test CA")
	require.NoError(t, err)
	leaf, err := ca.Leaf("wsecho")
	require.NoError(t, err)
	certFile, keyFile, err := testcert.WriteFiles(dir, "wsecho", leaf)
	require.NoError(t, err)
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, ca.WriteCA(caFile))
	files, err := certfile.Load(certFile, keyFile)
	require.NoError(t, err)

	addr := startEcho(t, func(w *worker.Worker) {
		w.Transport = "ssl"
		w.TLSConfig = &tls.Config{GetCertificate: files.GetCertificate}
	})
	assert.Equal(t, "tls TLSv1.3\n"+wantEcho, runClient(t, "wss://"+addr+"/", caFile))
}

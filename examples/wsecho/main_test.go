package main

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// debianPython is the interpreter Debian's python3-websockets installs for
// (a python3 earlier on PATH may be another installation).
const debianPython = "/usr/bin/python3"

// TestIndependentClient: Debian's python3-websockets (installed by make
// test) talks to the echo server: text, binary, fragments, a large
// message, ping, and the close handshake, echoing the client's code, all
// with permessage-deflate.
func TestIndependentClient(t *testing.T) {
	if err := exec.Command(debianPython, "-c", "import websockets").Run(); err != nil {
		t.Skipf("python3-websockets is not installed (make test installs it): %v", err)
	}
	w, err := newWorker("127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 1
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, debianPython, "testdata/client.py", "ws://"+w.Addr().String()+"/")
	cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "client output:\n%s", out)
	assert.Equal(t, "extensions ['PerMessageDeflate']\ntext ok\nbinary ok\nfragments ok\nlarge ok\nping ok\nclose 4000 \n", string(out))
}

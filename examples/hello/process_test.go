package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/proctest"
	"github.com/gnetworker/gnetworker/internal/testcert"
)

// tlsServer is the hello example built with go build and running as a
// process of its own with -cert and -key: the command line path users
// take, for clients that are processes too (curl, openssl).
type tlsServer struct {
	addr   string // host:port, as the server logged it
	caFile string // the PEM of the CA that signed its certificate
}

// listening is the line the example logs once it is bound.
var listening = regexp.MustCompile(`hello listening on https://([0-9.]+:[0-9]+)/`)

// startTLSServer builds the example, writes a throwaway CA and a leaf
// certificate for 127.0.0.1 as PEM files, and starts the binary on a port
// the kernel picks, with one event loop. It returns once the server has
// logged its address. The server gets SIGTERM when the test ends and must
// exit cleanly; its log is shown should the test fail.
func startTLSServer(t *testing.T) tlsServer {
	t.Helper()
	dir := t.TempDir()
	bin := proctest.Build(t, dir, "hello")

	ca, err := testcert.NewCA("gnetworker hello test CA")
	require.NoError(t, err)
	leaf, err := ca.Leaf("hello")
	require.NoError(t, err)
	certFile, keyFile, err := testcert.WriteFiles(dir, "hello", leaf)
	require.NoError(t, err)
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, ca.WriteCA(caFile))

	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-count", "1", "-cert", certFile, "-key", keyFile)
	cmd.Stdout, cmd.Stderr = pw, pw // the log goes to stderr; one pipe keeps the order
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		require.NoError(t, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var (
		mu  sync.Mutex
		log strings.Builder
	)
	addr := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	logText := func() string {
		mu.Lock()
		defer mu.Unlock()
		return log.String()
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			assert.NoError(t, err, "hello did not exit cleanly on SIGTERM")
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Error("hello did not exit within 10 s of SIGTERM: killed")
		}
		<-scanned // the pipe's writer was the process alone
		if t.Failed() {
			t.Logf("hello's log:\n%s", logText())
		}
	})

	select {
	case a := <-addr:
		return tlsServer{addr: a, caFile: caFile}
	case err := <-exited:
		exited <- err // for the cleanup
		t.Fatalf("hello exited before logging its address (%v)", err)
	case <-time.After(15 * time.Second):
		t.Fatal("hello logged no address within 15 s")
	}
	return tlsServer{}
}

// requireTool skips t when name is not on PATH.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (make test installs it with scripts/install-test-deps.sh): %v", name, err)
	}
	return p
}

// Package browsertest runs the real-browser checks of tests/browser:
// Debian's Chromium driven by playwright-core through node. A test that
// needs them skips, saying how to install them, when any is missing.
package browsertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The browser tests need Debian's Chromium and tests/browser's npm
// packages (playwright-core); `make deps` (scripts/install-test-deps.sh)
// installs both.
var (
	chromiumPaths  = []string{"/usr/bin/chromium"} // then "chromium" on PATH
	chromiumOnPath = "chromium"
	playwrightDir  = filepath.Join("tests", "browser", "node_modules", "playwright-core")
)

const installHint = "run `make deps` (scripts/install-test-deps.sh) to install them"

// Env is what a browser run needs.
type Env struct {
	Root     string // the repository root
	Chromium string
	Node     string
	// trustSPKI: base64 SHA-256 hashes of the public keys whose
	// certificates Chromium accepts (see Trusting).
	trustSPKI []string
}

// Trusting returns e with Chromium accepting certificates whose public key
// is cert's, though no CA it knows signed them, for the HTTPS and wss://
// runs against servers with throwaway certificates (internal/testcert).
// It is Chromium's --ignore-certificate-errors-spki-list (launch.mjs's
// CHROMIUM_TRUST_SPKI): any other certificate stays an error, so a run
// fails should the server present another one.
func (e Env) Trusting(cert *x509.Certificate) Env {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	e.trustSPKI = append(slices.Clip(e.trustSPKI), base64.StdEncoding.EncodeToString(sum[:]))
	return e
}

// Require finds Chromium, node and playwright-core, or skips t.
func Require(t testing.TB) Env {
	t.Helper()
	root := RepoRoot(t)
	e := Env{Root: root, Chromium: findChromium()}
	if e.Chromium == "" {
		t.Skipf("Chromium not found (%v, or %q on PATH); %s", chromiumPaths, chromiumOnPath, installHint)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skipf("node not found on PATH; %s", installHint)
	}
	e.Node = node
	if _, err := os.Stat(filepath.Join(root, playwrightDir)); err != nil {
		t.Skipf("%s is missing; %s", playwrightDir, installHint)
	}
	return e
}

// Run runs the tests/browser script with args, killing it after limit,
// and returns what it printed; err is its exit error, if any.
func (e Env) Run(t testing.TB, script string, limit time.Duration, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.Node, append([]string{filepath.Join(e.Root, "tests", "browser", script)}, args...)...)
	cmd.Dir = e.Root
	cmd.Env = append(os.Environ(), "CHROMIUM_PATH="+e.Chromium, "CHROMIUM_TRUST_SPKI="+strings.Join(e.trustSPKI, ","))
	// On timeout: SIGTERM (Playwright then closes Chromium), SIGKILL 5 s later.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("node %s did not finish within %v (killed): %v\nstdout: %s\nstderr: %s", script, limit, ctx.Err(), out.String(), errOut.String())
	}
	return out.Bytes(), errOut.Bytes(), err
}

// RepoRoot finds the module root (the directory with go.mod) above the
// test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.Contains(b, []byte("module github.com/gnetworker/gnetworker\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root (go.mod of github.com/gnetworker/gnetworker) not found above the working directory")
		}
		dir = parent
	}
}

func findChromium() string {
	for _, p := range chromiumPaths {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath(chromiumOnPath); err == nil {
		return p
	}
	return ""
}

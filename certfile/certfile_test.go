package certfile_test

import (
	"crypto/tls"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/certfile"
	"github.com/gnetworker/gnetworker/internal/testcert"
)

// A certificate rewritten on disk is served from the next check on; a
// half-written pair keeps the old one.
func TestReloadWhenFilesChange(t *testing.T) {
	dir := t.TempDir()
	ca, err := testcert.NewCA("ca")
	require.NoError(t, err)
	first, err := ca.Leaf("first")
	require.NoError(t, err)
	certFile, keyFile, err := testcert.WriteFiles(dir, "site", first)
	require.NoError(t, err)

	f, err := certfile.Load(certFile, keyFile)
	require.NoError(t, err)
	f.CheckInterval = time.Nanosecond
	name := func() string {
		c, err := f.GetCertificate(&tls.ClientHelloInfo{})
		require.NoError(t, err)
		return c.Leaf.Subject.CommonName
	}
	assert.Equal(t, "first", name())

	// A new certificate whose key is not written yet: the old pair stays.
	second, err := ca.Leaf("second")
	require.NoError(t, err)
	d2 := t.TempDir()
	c2, k2, err := testcert.WriteFiles(d2, "site", second)
	require.NoError(t, err)
	b, err := os.ReadFile(c2)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, b, 0o600))
	assert.Equal(t, "first", name())
	assert.Error(t, f.Err())

	// The key follows: the new pair is served.
	b, err = os.ReadFile(k2)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keyFile, b, 0o600))
	assert.Equal(t, "second", name())
	assert.NoError(t, f.Err())

	_, err = certfile.Load(certFile, dir+"/missing.key")
	assert.Error(t, err)
}

package tlstransport

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ClientConfig clones what it is given and fills in only what is empty.
func TestClientConfig(t *testing.T) {
	cfg, err := ClientConfig(nil, "example.com", []string{"http/1.1"})
	require.NoError(t, err)
	assert.Equal(t, "example.com", cfg.ServerName)
	assert.Equal(t, []string{"http/1.1"}, cfg.NextProtos)
	assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
	assert.Nil(t, cfg.RootCAs, "the system's roots")

	user := &tls.Config{ServerName: "other.example", NextProtos: []string{"h2", "x-custom"}, MinVersion: tls.VersionTLS13}
	cfg, err = ClientConfig(user, "example.com", []string{"http/1.1"})
	require.NoError(t, err)
	assert.Equal(t, "other.example", cfg.ServerName)
	assert.Equal(t, []string{"x-custom"}, cfg.NextProtos)
	assert.Equal(t, uint16(tls.VersionTLS13), cfg.MinVersion)
	assert.Equal(t, []string{"h2", "x-custom"}, user.NextProtos, "the user's configuration is left alone")

	_, err = ClientConfig(nil, "", nil)
	assert.ErrorIs(t, err, ErrNoServerName)
	cfg, err = ClientConfig(&tls.Config{InsecureSkipVerify: true}, "", nil)
	require.NoError(t, err)
	assert.Empty(t, cfg.ServerName)
}

// An IP literal is the name verified, without the brackets or zone that
// x509 would not match (crypto/tls sends no SNI for it).
func TestClientConfigIPLiteral(t *testing.T) {
	for host, want := range map[string]string{
		"127.0.0.1":    "127.0.0.1",
		"[::1]":        "::1",
		"::1":          "::1",
		"fe80::1%eth0": "fe80::1",
		"localhost":    "localhost",
	} {
		cfg, err := ClientConfig(nil, host, nil)
		require.NoError(t, err)
		assert.Equal(t, want, cfg.ServerName, host)
	}
}

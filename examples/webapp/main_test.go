package main

import (
	"io"
	nethttp "net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/proctest"
	"github.com/gnetworker/gnetworker/internal/redistest"
)

// start runs a webapp process with args and returns its base URL.
func start(t *testing.T, args ...string) string {
	t.Helper()
	c := proctest.NewCommander(t, "webapp")
	out, err := c.Run(append(append([]string{"-addr", "127.0.0.1:0"}, args...), "start", "-d")...)
	require.NoError(t, err, out)
	t.Cleanup(func() { _, _ = c.Run("stop") })
	return "http://" + c.Addr()
}

func get(t *testing.T, client *nethttp.Client, u string, header ...string) (int, string) {
	t.Helper()
	req, err := nethttp.NewRequest("GET", u, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func browser(t *testing.T) *nethttp.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &nethttp.Client{Jar: jar}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestCounterParamsStatic(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "hello.txt"), []byte("hello\n"), 0o644))
	secret := filepath.Join(filepath.Dir(root), "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte("SECRET"), 0o644))
	base := start(t, "-root", root)

	alice, bob := browser(t), browser(t)
	for _, want := range []string{"1\n", "2\n", "3\n"} {
		_, body := get(t, alice, base+"/counter")
		assert.Equal(t, want, body, "alice's session")
	}
	_, body := get(t, bob, base+"/counter", "Accept", "application/json")
	assert.Equal(t, "{\"counter\":1}\n", body, "bob has his own session")

	_, body = get(t, alice, base+"/params?a[]=1&a[]=2&b[x]=y")
	assert.Equal(t, "{\"a\":[\"1\",\"2\"],\"b\":{\"x\":\"y\"}}\n", body)

	status, body := get(t, alice, base+"/static/hello.txt")
	assert.Equal(t, 200, status)
	assert.Equal(t, "hello\n", body)
	for _, p := range []string{"../secret.txt", "..%2fsecret.txt", "%2e%2e/secret.txt", "%252e%252e%252fsecret.txt", "..%5csecret.txt", "hello.txt%00", "//" + secret} {
		u := base + "/static/" + p
		status, body := get(t, alice, u)
		assert.NotContains(t, body, "SECRET", "%s", u)
		assert.NotEqual(t, 200, status, "%s", u)
	}
	status, _ = get(t, alice, base+"/nothing")
	assert.Equal(t, 404, status)
}

// Two webapp processes share sessions through files on one machine and
// through Redis: a counter started on one goes on on the other.
func TestSessionsSharedByTwoProcesses(t *testing.T) {
	stores := map[string]func(t *testing.T) []string{
		"files": func(t *testing.T) []string { return []string{"-session-dir", t.TempDir()} },
		"redis": func(t *testing.T) []string { return []string{"-redis", redistest.Start(t).URL()} },
	}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			args := store(t)
			a, b := start(t, args...), start(t, args...)
			client := browser(t)
			_, body := get(t, client, a+"/counter")
			assert.Equal(t, "1\n", body)
			// The cookie was set for node a's host:port; node b is another
			// port of the same host, so the jar sends it there too.
			ub, _ := url.Parse(b)
			require.NotEmpty(t, client.Jar.Cookies(ub), "the session cookie")
			_, body = get(t, client, b+"/counter")
			assert.Equal(t, "2\n", body, "node b continues node a's session")
			_, body = get(t, client, a+"/counter")
			assert.Equal(t, "3\n", body)
			assert.True(t, strings.HasPrefix(a, "http://127.0.0.1:"))
		})
	}
}

package http_test

import (
	"bytes"
	"context"
	"io"
	nethttp "net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/worker"
)

// These tests talk to the server with real clients: curl and ab when they
// are installed (skipped otherwise), and Go's net/http client.

// echoBody answers with "METHOD path body".
func echoBody(c *connection.TcpConnection, req *http.Request) {
	_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/plain"},
		req.Method()+" "+req.Path()+" "+string(req.RawBody())))
}

// run runs a command for at most 20 seconds and returns its standard
// output and standard error.
func run(t *testing.T, name string, args ...string) (string, string) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s %v:\n%s%s", name, args, stdout.String(), stderr.String())
	return stdout.String(), stderr.String()
}

func TestCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	_, addr := startServer(t, echoBody, nil)
	url := "http://" + addr + "/path?q=1"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"GET", []string{url}, "GET /path "},
		{"POST", []string{"--data-binary", "hello=world", url}, "POST /path hello=world"},
		{"POST with 100-continue", []string{"-H", "Expect: 100-continue", "--data-binary", "abc", url}, "POST /path abc"},
		{"HEAD", []string{"-I", url}, "HTTP/1.1 200 OK"},
		{"two requests, one connection", []string{url, url}, "Re-using existing connection"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-sS", "--max-time", "5", "-v"}, tc.args...)
			stdout, stderr := run(t, "curl", args...)
			out := stdout + stderr
			assert.Contains(t, out, tc.want)
			if tc.name == "HEAD" {
				assert.Contains(t, out, "Content-Length: 11", "the length of a GET's body")
			}
			if strings.HasSuffix(tc.name, "100-continue") {
				assert.Contains(t, out, "< HTTP/1.1 100 Continue")
			}
			if strings.HasPrefix(tc.name, "two") {
				assert.Equal(t, "GET /path GET /path ", stdout)
			}
		})
	}
}

func TestNetHTTPClientKeepAlive(t *testing.T) {
	var connects atomic.Int32
	_, addr := startServer(t, echoBody, func(w *worker.Worker) {
		w.OnConnect = func(*connection.TcpConnection) { connects.Add(1) }
	})
	client, _ := newClient(t)
	for i := range 100 {
		method := "GET"
		var body io.Reader
		if i%2 == 1 {
			method, body = "POST", strings.NewReader("n")
		}
		req, err := nethttp.NewRequest(method, "http://"+addr+"/seq", body)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, 200, resp.StatusCode)
		if method == "POST" {
			require.Equal(t, "POST /seq n", string(b))
		} else {
			require.Equal(t, "GET /seq ", string(b))
		}
	}
	assert.Equal(t, int32(1), connects.Load(), "100 sequential requests on one connection")
}

// ab speaks HTTP/1.0 with "Connection: Keep-Alive" under -k.
func TestApacheBench(t *testing.T) {
	if _, err := exec.LookPath("ab"); err != nil {
		t.Skip("ab not installed")
	}
	_, addr := startServer(t, respondPath, nil)
	out, _ := run(t, "ab", "-k", "-n", "1000", "-c", "10", "-s", "10", "http://"+addr+"/")
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `:\s+(\d+)`).FindStringSubmatch(out)
		if m == nil {
			return ""
		}
		return m[1]
	}
	assert.Equal(t, "1000", field("Complete requests"), out)
	assert.Equal(t, "0", field("Failed requests"), out)
	assert.Equal(t, "1000", field("Keep-Alive requests"), out)
	assert.Equal(t, "", field("Non-2xx responses"), out)
}

package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/browsertest"
	"github.com/gnetworker/gnetworker/protocols/websocket"
	"github.com/gnetworker/gnetworker/worker"
)

// chatResult is what tests/browser/websocket.mjs prints.
type chatResult struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error"`
	ChatLog []string `json:"chatLog"`
	Echo    struct {
		Extensions string `json:"extensions"`
		CloseCode  int    `json:"closeCode"`
	} `json:"echo"`
	Console    []string `json:"console"`
	Connection struct {
		NextHopProtocol string `json:"nextHopProtocol"`
		TLS             *struct {
			Protocol    string `json:"protocol"`
			SubjectName string `json:"subjectName"`
		} `json:"tls"`
	} `json:"connection"`
}

// startServers starts the example's worker and an echo worker beside it
// (scheme "ws" or "wss"), both on free loopback ports and over TLS with
// cfg when it is not nil, and stops them when the test ends. It returns
// their addresses.
func startServers(t *testing.T, echoScheme string, cfg *tls.Config) (chatAddr, echoAddr string) {
	t.Helper()
	chat, err := newWorker("127.0.0.1:0", localRoom(t))
	require.NoError(t, err)
	if cfg != nil {
		chat.Transport, chat.TLSConfig = "ssl", cfg
	}
	require.NoError(t, chat.Start())
	t.Cleanup(func() { _ = chat.Stop() })

	echo, err := worker.New(echoScheme + "://127.0.0.1:0")
	require.NoError(t, err)
	echo.Count = 1
	echo.TLSConfig = cfg
	echo.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	echo.Protocol.(*websocket.Server).Compression = true
	echo.OnMessage = func(c *connection.TcpConnection, m websocket.Message) { _ = c.Send(m) }
	require.NoError(t, echo.Start())
	t.Cleanup(func() { _ = echo.Stop() })
	return chat.Addr().String(), echo.Addr().String()
}

// runChat runs tests/browser/websocket.mjs on the chat page and the echo
// URL, failing t unless it succeeds. The screenshot goes to a temp dir, or
// where WS_SCREENSHOT says.
func runChat(t *testing.T, env browsertest.Env, chatURL, echoURL string) chatResult {
	t.Helper()
	shot := os.Getenv("WS_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "chat-page.png")
	}
	out, errOut, runErr := env.Run(t, "websocket.mjs", 45*time.Second, chatURL, echoURL, shot)
	var res chatResult
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(out), &res), "websocket.mjs printed no JSON (run: %v)\nstdout: %s\nstderr: %s", runErr, out, errOut)
	require.NoError(t, runErr, "websocket.mjs failed: %s\nresult: %s\nstderr: %s", res.Error, out, errOut)
	require.True(t, res.OK, res.Error)
	t.Logf("chat log %q, echo extensions %q", res.ChatLog, res.Echo.Extensions)
	return res
}

// TestBrowserChatAndEcho: Chromium's own WebSocket, in a real headless
// browser, chats through the example's page and round-trips text, binary
// and a large (compressed) message through a ws:// echo worker.
func TestBrowserChatAndEcho(t *testing.T) {
	env := browsertest.Require(t)
	chat, echo := startServers(t, "ws", nil)
	res := runChat(t, env, "http://"+chat+"/", "ws://"+echo+"/")
	assert.Contains(t, res.ChatLog, "(connected)")
	assert.Contains(t, res.Echo.Extensions, "permessage-deflate", "Chromium negotiated compression")
	assert.Equal(t, 4000, res.Echo.CloseCode)
	assert.Nil(t, res.Connection.TLS, "plain HTTP")
}

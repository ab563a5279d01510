package main

import (
	"bytes"
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

// TestBrowserChatAndEcho: Chromium's own WebSocket, in a real headless
// browser, chats through the example's page and round-trips text, binary
// and a large (compressed) message through a ws:// echo worker.
func TestBrowserChatAndEcho(t *testing.T) {
	env := browsertest.Require(t)
	chat, err := newWorker("127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, chat.Start())
	t.Cleanup(func() { _ = chat.Stop() })

	echo, err := worker.New("ws://127.0.0.1:0")
	require.NoError(t, err)
	echo.Count = 1
	echo.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	echo.Protocol.(*websocket.Server).Compression = true
	echo.OnMessage = func(c *connection.TcpConnection, m websocket.Message) { _ = c.Send(m) }
	require.NoError(t, echo.Start())
	t.Cleanup(func() { _ = echo.Stop() })

	shot := os.Getenv("WS_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "chat-page.png")
	}
	out, errOut, runErr := env.Run(t, "websocket.mjs", 45*time.Second,
		"http://"+chat.Addr().String()+"/", "ws://"+echo.Addr().String()+"/", shot)
	var res struct {
		OK      bool     `json:"ok"`
		Error   string   `json:"error"`
		ChatLog []string `json:"chatLog"`
		Echo    struct {
			Extensions string `json:"extensions"`
			CloseCode  int    `json:"closeCode"`
		} `json:"echo"`
		Console []string `json:"console"`
	}
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(out), &res), "websocket.mjs printed no JSON (run: %v)\nstdout: %s\nstderr: %s", runErr, out, errOut)
	require.NoError(t, runErr, "websocket.mjs failed: %s\nresult: %s\nstderr: %s", res.Error, out, errOut)
	require.True(t, res.OK, res.Error)
	t.Logf("chat log %q, echo extensions %q", res.ChatLog, res.Echo.Extensions)
	assert.Contains(t, res.ChatLog, "(connected)")
	assert.Contains(t, res.Echo.Extensions, "permessage-deflate", "Chromium negotiated compression")
	assert.Equal(t, 4000, res.Echo.CloseCode)
}

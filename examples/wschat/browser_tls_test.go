package main

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/browsertest"
	"github.com/gnetworker/gnetworker/internal/testcert"
)

// TestBrowserChatAndEchoTLS is TestBrowserChatAndEcho over TLS: Chromium
// loads the chat page over https:// (TLS 1.3, HTTP/1.1 by ALPN), whose
// script then opens its WebSocket over wss:// on the same port, chats
// through the page's form, and round-trips text, binary and a compressed
// 100 KB message through a wss:// echo worker, closing with 4000.
// Chromium accepts the servers' certificate only by its public key
// (browsertest.Trusting).
func TestBrowserChatAndEchoTLS(t *testing.T) {
	env := browsertest.Require(t)
	ca, err := testcert.NewCA("gnetworker wschat test CA")
	require.NoError(t, err)
	leaf, err := ca.Leaf("wschat")
	require.NoError(t, err)

	chat, echo := startServers(t, "wss", &tls.Config{Certificates: []tls.Certificate{leaf}})
	res := runChat(t, env.Trusting(leaf.Leaf), "https://"+chat+"/", "wss://"+echo+"/")
	assert.Contains(t, res.ChatLog, "(connected)", "the page's wss:// WebSocket opened")
	assert.Contains(t, res.Echo.Extensions, "permessage-deflate", "Chromium negotiated compression over wss://")
	assert.Equal(t, 4000, res.Echo.CloseCode)
	require.NotNil(t, res.Connection.TLS, "the page came over TLS")
	assert.Equal(t, "TLS 1.3", res.Connection.TLS.Protocol)
	assert.Equal(t, "wschat", res.Connection.TLS.SubjectName, "the test's certificate")
	assert.Equal(t, "http/1.1", res.Connection.NextHopProtocol, "ALPN chose HTTP/1.1")
}

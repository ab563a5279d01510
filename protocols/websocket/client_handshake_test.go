package websocket_test

import (
	"bufio"
	"encoding/base64"
	nethttp "net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/websocket"
)

// greeting returns the request a codec of cl sends, parsed.
func greeting(t *testing.T, cl *websocket.Client) (*nethttp.Request, string) {
	t.Helper()
	raw := string(cl.NewCodec(&testConn{}).(protocols.Greeter).Greeting())
	req, err := nethttp.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	require.NoError(t, err, "%q", raw)
	return req, raw
}

func TestClientGreeting(t *testing.T) {
	cl := newClient(t, "ws://example.com:8080/chat/room?id=7&x=%20y#frag", &websocket.ClientOptions{
		Header: nethttp.Header{
			"Authorization": {"Bearer t0ken"},
			"Cookie":        {"a=1", "b=2"},
		},
		Origin:       "https://example.com",
		Subprotocols: []string{"v2.chat", "chat"},
	})
	req, raw := greeting(t, cl)
	assert.True(t, strings.HasPrefix(raw, "GET /chat/room?id=7&x=%20y HTTP/1.1\r\nHost: example.com:8080\r\n"), raw)
	assert.True(t, strings.HasSuffix(raw, "\r\n\r\n"))
	assert.Equal(t, "example.com:8080", req.Host)
	assert.Equal(t, "websocket", req.Header.Get("Upgrade"))
	assert.Equal(t, "Upgrade", req.Header.Get("Connection"))
	assert.Equal(t, "13", req.Header.Get("Sec-WebSocket-Version"))
	assert.Equal(t, "https://example.com", req.Header.Get("Origin"))
	assert.Equal(t, "v2.chat, chat", req.Header.Get("Sec-WebSocket-Protocol"))
	assert.Equal(t, "Bearer t0ken", req.Header.Get("Authorization"))
	assert.Equal(t, []string{"a=1", "b=2"}, req.Header.Values("Cookie"))
	assert.Empty(t, req.Header.Get("Sec-WebSocket-Extensions"), "no extension offered")

	key, err := base64.StdEncoding.DecodeString(req.Header.Get("Sec-WebSocket-Key"))
	require.NoError(t, err)
	assert.Len(t, key, 16)
	other, _ := greeting(t, cl)
	assert.NotEqual(t, req.Header.Get("Sec-WebSocket-Key"), other.Header.Get("Sec-WebSocket-Key"), "a key per connection")

	for _, tc := range []struct{ url, host, target string }{
		{"ws://example.com", "example.com", "/"},
		{"ws://example.com:80/a", "example.com", "/a"},
		{"wss://example.com:443/a", "example.com", "/a"},
		{"wss://example.com:80/a", "example.com:80", "/a"},
		{"ws://[::1]:9000/?q", "[::1]:9000", "/?q"},
		{"ws://[::1]/", "[::1]", "/"},
		{"WS://Example.com/p%2Fq", "Example.com", "/p%2Fq"},
		{"websocket://example.com:80/", "example.com", "/"},
	} {
		req, _ := greeting(t, newClient(t, tc.url, nil))
		assert.Equal(t, tc.host, req.Host, tc.url)
		assert.Equal(t, tc.target, req.RequestURI, tc.url)
	}

	req, _ = greeting(t, newClient(t, "ws://u%40x:p%3Ass@example.com/", nil))
	user, pass, ok := req.BasicAuth()
	assert.True(t, ok)
	assert.Equal(t, "u@x", user)
	assert.Equal(t, "p:ss", pass)

	req, _ = greeting(t, newClient(t, "ws://10.0.0.1:81/", &websocket.ClientOptions{
		Header: map[string][]string{"Host": {"virtual.example"}}, Compression: true,
	}))
	assert.Equal(t, "virtual.example", req.Host, "Header's Host wins")
	assert.Equal(t, "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		req.Header.Get("Sec-WebSocket-Extensions"))
}

func TestNewClientRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		opts      *websocket.ClientOptions
		want      string
	}{
		{"http scheme", "http://example.com/", nil, "ws:// or wss://"},
		{"no host", "ws:///path", nil, "has no host"},
		{"a reserved field", "ws://example.com/", &websocket.ClientOptions{Header: map[string][]string{"Sec-WebSocket-Key": {"x"}}}, "the handshake's own"},
		{"a subprotocol field", "ws://example.com/", &websocket.ClientOptions{Header: map[string][]string{"sec-websocket-protocol": {"x"}}}, "the handshake's own"},
		{"a line break in a value", "ws://example.com/", &websocket.ClientOptions{Header: map[string][]string{"X-A": {"1\r\nX-Injected: 2"}}}, "invalid value"},
		{"a bad field name", "ws://example.com/", &websocket.ClientOptions{Header: map[string][]string{"X A": {"1"}}}, "invalid header field name"},
		{"a field twice", "ws://example.com/", &websocket.ClientOptions{Header: map[string][]string{"X-A": {"1"}, "x-a": {"2"}}}, "given twice"},
		{"two Hosts", "ws://example.com/", &websocket.ClientOptions{Header: map[string][]string{"Host": {"a", "b"}}}, "one value"},
		{"two Origins", "ws://example.com/", &websocket.ClientOptions{Origin: "https://a", Header: map[string][]string{"Origin": {"https://b"}}}, "Origin given both"},
		{"a bad subprotocol", "ws://example.com/", &websocket.ClientOptions{Subprotocols: []string{"a b"}}, "subprotocol"},
		{"a repeated subprotocol", "ws://example.com/", &websocket.ClientOptions{Subprotocols: []string{"a", "a"}}, "subprotocol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			require.NoError(t, err)
			_, err = websocket.NewClient(u, tc.opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := websocket.NewClient(nil, nil)
	assert.Error(t, err)
}

// NewClient copies its options: changing them later changes nothing.
func TestNewClientCopies(t *testing.T) {
	opts := &websocket.ClientOptions{Subprotocols: []string{"chat"}, Header: map[string][]string{"X-A": {"1"}}}
	cl := newClient(t, "ws://example.com/", opts)
	opts.Subprotocols[0] = "other"
	opts.Header["X-A"][0] = "2"
	req, _ := greeting(t, cl)
	assert.Equal(t, "chat", req.Header.Get("Sec-WebSocket-Protocol"))
	assert.Equal(t, "1", req.Header.Get("X-A"))
	assert.Equal(t, "websocket", cl.Name())
}

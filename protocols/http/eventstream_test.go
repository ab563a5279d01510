package http_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/protocoltest"
)

// EventStream is true from a text/event-stream response's header until
// the stream ends, and only then.
func TestEventStream(t *testing.T) {
	eventStream := map[string]string{"Content-Type": "text/event-stream"}
	for _, tc := range []struct {
		name    string
		method  string
		resp    any
		streams bool
	}{
		{"event stream", "GET", http.NewResponse(200, eventStream, ""), true},
		{"event stream to HEAD", "HEAD", http.NewResponse(200, eventStream, ""), false},
		{"complete response", "GET", http.NewResponse(200, nil, "page"), false},
		{"string", "GET", "page", false},
		{"chunked", "GET", http.NewResponse(200, map[string]string{"Transfer-Encoding": "chunked"}, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codec := http.NewProtocol().NewCodec(&protocoltest.Conn{})
			defer codec.(protocols.Releaser).Release()
			es, ok := codec.(protocols.EventStreamer)
			require.True(t, ok, "the http codec is an EventStreamer")
			assert.False(t, es.EventStream(), "before any request")

			r := protocoltest.Feed(codec, []byte(tc.method+" /events HTTP/1.1\r\nHost: x\r\n\r\n"))
			require.NoError(t, r.Err)
			require.Len(t, r.Messages, 1)
			assert.False(t, es.EventStream(), "before the response")

			_, err := codec.Encode(nil, tc.resp)
			require.NoError(t, err)
			assert.Equal(t, tc.streams, es.EventStream(), "after the response's header")
			if !tc.streams {
				return
			}
			_, err = codec.Encode(nil, http.ServerSentEvents{Data: "hi"})
			require.NoError(t, err)
			assert.True(t, es.EventStream(), "while events are sent")
			_, err = codec.Encode(nil, http.NewChunk(nil)) // ends the stream
			require.NoError(t, err)
			assert.False(t, es.EventStream(), "after the stream ended")
		})
	}
}

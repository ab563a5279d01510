package http

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSSEFormat(t *testing.T) {
	tests := []struct {
		name string
		ev   ServerSentEvents
		want string
	}{
		{"seed example", ServerSentEvents{Event: "message", Data: "hello", ID: "1"},
			"event: message\nid: 1\ndata: hello\n\n"},
		{"field order", ServerSentEvents{Data: "d", Retry: time.Second, ID: "7", Event: "e", Comment: "c"},
			": c\nevent: e\nid: 7\nretry: 1000\ndata: d\n\n"},
		{"data only", ServerSentEvents{Data: "x"}, "data: x\n\n"},
		{"event only dispatches empty data", ServerSentEvents{Event: "ping"}, "event: ping\ndata:\n\n"},
		{"heartbeat comment", ServerSentEvents{Comment: "ping"}, ": ping\n\n"},
		{"id only", ServerSentEvents{ID: "42"}, "id: 42\n\n"},
		{"retry only", ServerSentEvents{Retry: 3 * time.Second}, "retry: 3000\n\n"},
		{"zero value", ServerSentEvents{}, ""},
		{"data LF", ServerSentEvents{Data: "a\nb"}, "data: a\ndata: b\n\n"},
		{"data CR", ServerSentEvents{Data: "a\rb"}, "data: a\ndata: b\n\n"},
		{"data CRLF", ServerSentEvents{Data: "a\r\nb"}, "data: a\ndata: b\n\n"},
		{"data mixed", ServerSentEvents{Data: "a\r\nb\rc\nd\n\re"}, "data: a\ndata: b\ndata: c\ndata: d\ndata:\ndata: e\n\n"},
		{"data LF CR is two breaks", ServerSentEvents{Data: "a\n\rb"}, "data: a\ndata:\ndata: b\n\n"},
		{"data trailing LF", ServerSentEvents{Data: "a\n"}, "data: a\ndata:\n\n"},
		{"data trailing CRLF", ServerSentEvents{Data: "a\r\n"}, "data: a\ndata:\n\n"},
		{"data only breaks", ServerSentEvents{Data: "\n\n"}, "data:\ndata:\ndata:\n\n"},
		{"data leading space kept", ServerSentEvents{Data: " x"}, "data:  x\n\n"},
		{"data colon", ServerSentEvents{Data: "a: b"}, "data: a: b\n\n"},
		{"inject event", ServerSentEvents{Data: "x\n\nevent: evil"}, "data: x\ndata:\ndata: event: evil\n\n"},
		{"inject id via CR", ServerSentEvents{Data: "x\rid: 9"}, "data: x\ndata: id: 9\n\n"},
		{"comment multi-line", ServerSentEvents{Comment: "a\r\nb\rc\n"}, ": a\n: b\n: c\n:\n\n"},
		{"comment injection", ServerSentEvents{Comment: "x\ndata: evil"}, ": x\n: data: evil\n\n"},
		{"retry rounds up", ServerSentEvents{Retry: 1500 * time.Microsecond}, "retry: 2\n\n"},
		{"retry sub-ms", ServerSentEvents{Retry: time.Nanosecond}, "retry: 1\n\n"},
		{"retry exact", ServerSentEvents{Retry: 2 * time.Millisecond}, "retry: 2\n\n"},
		{"retry max", ServerSentEvents{Retry: time.Duration(1<<63 - 1)}, "retry: 9223372036855\n\n"},
		{"NUL in data is data", ServerSentEvents{Data: "a\x00b"}, "data: a\x00b\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ev.AppendTo([]byte("<"))
			require.NoError(t, err)
			assert.Equal(t, "<"+tt.want, string(got))
			enc, err := tt.ev.Encode()
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(enc))
		})
	}
}

func TestSSEInvalidFields(t *testing.T) {
	tests := []ServerSentEvents{
		{Event: "a\nb", Data: "x"},
		{Event: "a\rb"},
		{Event: "a\x00b"},
		{ID: "1\n"},
		{ID: "\r1"},
		{ID: "1\x00"},
		{Retry: -time.Millisecond},
		{Retry: -1},
	}
	for _, ev := range tests {
		out, err := ev.AppendTo([]byte("keep"))
		assert.ErrorIs(t, err, ErrInvalidEventField, "%+v", ev)
		assert.Equal(t, "keep", string(out), "nothing appended")
		enc, err := ev.Encode()
		assert.ErrorIs(t, err, ErrInvalidEventField)
		assert.Nil(t, enc)
	}
}

// sseEvent is an event as dispatched by a WHATWG EventSource.
type sseEvent struct {
	Type, Data, LastEventID string
}

// sseClient is the event-stream interpretation algorithm of the WHATWG HTML
// standard (section 9.2.6), written independently of the encoder. It works
// on bytes: UTF-8 decoding, which the spec performs first, never turns an
// ASCII byte into something else, so it cannot change line structure.
type sseClient struct {
	events      []sseEvent
	eventType   string
	data        strings.Builder
	lastIDBuf   string
	lastEventID string
	retry       int64
	retrySet    bool
}

// feed interprets a whole stream; a final line without its line break is
// discarded, as at end of file.
func (c *sseClient) feed(stream string) {
	stream = strings.TrimPrefix(stream, "\uFEFF")
	for {
		i := strings.IndexAny(stream, "\r\n")
		if i < 0 {
			return // incomplete line at EOF: discarded
		}
		line := stream[:i]
		if stream[i] == '\r' && i+1 < len(stream) && stream[i+1] == '\n' {
			i++
		}
		stream = stream[i+1:]
		c.line(line)
	}
}

func (c *sseClient) line(line string) {
	switch {
	case line == "":
		c.dispatch()
		return
	case line[0] == ':':
		return
	}
	field, value := line, ""
	if i := strings.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], line[i+1:]
		value = strings.TrimPrefix(value, " ")
	}
	switch field {
	case "event":
		c.eventType = value
	case "data":
		c.data.WriteString(value)
		c.data.WriteByte('\n')
	case "id":
		if !strings.Contains(value, "\x00") {
			c.lastIDBuf = value
		}
	case "retry":
		if value != "" && strings.Trim(value, "0123456789") == "" {
			if n, err := strconv.ParseInt(value, 10, 64); err == nil {
				c.retry, c.retrySet = n, true
			}
		}
	}
}

func (c *sseClient) dispatch() {
	c.lastEventID = c.lastIDBuf
	data := c.data.String()
	if data == "" {
		c.eventType = ""
		return
	}
	data = strings.TrimSuffix(data, "\n")
	typ := c.eventType
	if typ == "" {
		typ = "message"
	}
	c.events = append(c.events, sseEvent{Type: typ, Data: data, LastEventID: c.lastEventID})
	c.data.Reset()
	c.eventType = ""
}

// normalizeBreaks turns CRLF and CR into LF, as a client sees data.
func normalizeBreaks(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// checkSSERoundTrip encodes ev, parses the result like a browser, and checks
// that exactly what ev describes arrives.
func checkSSERoundTrip(t *testing.T, ev ServerSentEvents) {
	t.Helper()
	out, err := ev.AppendTo(nil)
	require.NoError(t, err)
	var c sseClient
	c.feed(string(out))
	if ev.Event != "" || ev.Data != "" {
		typ := ev.Event
		if typ == "" {
			typ = "message"
		}
		require.Equal(t, []sseEvent{{Type: typ, Data: normalizeBreaks(ev.Data), LastEventID: ev.ID}}, c.events, "%q", out)
	} else {
		require.Empty(t, c.events, "%q", out)
	}
	require.Equal(t, ev.ID, c.lastEventID)
	require.Equal(t, ev.Retry > 0, c.retrySet)
	if ev.Retry > 0 {
		ms := int64(ev.Retry / time.Millisecond)
		if ev.Retry%time.Millisecond != 0 {
			ms++
		}
		require.Equal(t, ms, c.retry)
	}
	// The event is self-contained: the parser holds no pending state.
	require.Zero(t, c.data.Len())
	require.Empty(t, c.eventType)
}

func TestSSERoundTrip(t *testing.T) {
	datas := []string{"", "hello", "a\nb", "a\rb", "a\r\nb", "\n", "\r", "\r\n", "a\n", "\na", "x\n\nevent: evil",
		"x\rid: 9", "x\r\n\r\ndata: y", " lead", ":colon", "data: nested", "\r\r\n\n", "ünïcode ✓", "a\x00b"}
	events := []string{"", "message", "update", " spaced", "a:b"}
	ids := []string{"", "1", "abc", " x"}
	for _, d := range datas {
		for _, e := range events {
			for _, id := range ids {
				checkSSERoundTrip(t, ServerSentEvents{Comment: "c\nd", Event: e, ID: id, Data: d, Retry: 1500 * time.Microsecond})
				checkSSERoundTrip(t, ServerSentEvents{Event: e, ID: id, Data: d})
			}
		}
	}
}

// TestSSEStream checks that consecutive events stay separate.
func TestSSEStream(t *testing.T) {
	var out []byte
	var err error
	evs := []ServerSentEvents{
		{Comment: "hello"},
		{Event: "message", Data: "hello", ID: "1"},
		{Data: "x\n\nevent: evil"},
		{Comment: "ping"},
		{ID: "5"},
		{Event: "e", Data: "multi\r\nline\r"},
	}
	for _, ev := range evs {
		out, err = ev.AppendTo(out)
		require.NoError(t, err)
	}
	var c sseClient
	c.feed(string(out))
	assert.Equal(t, []sseEvent{
		{Type: "message", Data: "hello", LastEventID: "1"},
		{Type: "message", Data: "x\n\nevent: evil", LastEventID: "1"},
		{Type: "e", Data: "multi\nline\n", LastEventID: "5"},
	}, c.events)
}

func FuzzSSERoundTrip(f *testing.F) {
	f.Add(": c", "message", "1", "hello", int64(1000))
	f.Add("", "", "", "x\n\nevent: evil", int64(0))
	f.Add("a\rb", "e", "id", "x\rid: 9\r\n", int64(-1))
	f.Add("", "a\nb", "\x00", "", int64(1))
	f.Add("", "", "", "", int64(1<<63-1))
	f.Fuzz(func(t *testing.T, comment, event, id, data string, retry int64) {
		ev := ServerSentEvents{Comment: comment, Event: event, ID: id, Data: data, Retry: time.Duration(retry)}
		invalid := strings.ContainsAny(event, "\r\n\x00") || strings.ContainsAny(id, "\r\n\x00") || retry < 0
		out, err := ev.AppendTo(nil)
		if invalid {
			require.ErrorIs(t, err, ErrInvalidEventField)
			require.Empty(t, out)
			return
		}
		checkSSERoundTrip(t, ev)
	})
}

func BenchmarkSSEAppend(b *testing.B) {
	ev := ServerSentEvents{Event: "message", Data: "hello\nworld", ID: "12345", Retry: 3 * time.Second}
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		out, err := ev.AppendTo(dst[:0])
		if err != nil {
			b.Fatal(err)
		}
		dst = out
	}
	b.SetBytes(int64(len(dst)))
}

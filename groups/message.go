package groups

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gnetworker/gnetworker/bus"
	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/http"
)

// ErrBadEntry is reported to OnError for an entry of the stream that does
// not read as a group message (see the package doc); it is skipped.
var ErrBadEntry = errors.New("groups: malformed entry in the stream")

// target is who a message is for: a uid, a group or every member.
type target uint8

const (
	toUID target = iota
	toGroup
	toAll
)

var targetNames = [...]string{toUID: "uid", toGroup: "group", toAll: "all"}

func (t target) String() string { return targetNames[t] }

// kind is a message's type.
type kind uint8

const (
	kindText kind = iota
	kindBinary
	kindSSE
)

var kindNames = [...]string{kindText: "text", kindBinary: "binary", kindSSE: "sse"}

// message is one group message, ready in both its forms: it is what
// c.Send gets, and Adapt picks the form for c's codec. Both forms are
// boxed once per message, not once per member.
type message struct {
	kind   kind
	event  http.ServerSentEvents
	stream any // for a connection streaming events: http.ServerSentEvents
	plain  any // for other codecs: a string or a []byte
}

// Adapt gives a codec streaming an event-stream response the event form,
// and every other codec the plain form (protocols.Adapter).
func (m *message) Adapt(codec protocols.Codec) any {
	if es, ok := codec.(protocols.EventStreamer); ok && es.EventStream() {
		return m.stream
	}
	return m.plain
}

// newMessage checks msg and prepares its forms. A []byte is not copied:
// a message lives only while the send that made it runs.
func newMessage(msg any) (*message, error) {
	var m *message
	switch v := msg.(type) {
	case string:
		m = &message{kind: kindText, event: http.ServerSentEvents{Data: v}, plain: v}
	case []byte:
		m = &message{kind: kindBinary, event: http.ServerSentEvents{Data: string(v)}, plain: v}
	case http.ServerSentEvents:
		m = &message{kind: kindSSE, event: v, plain: v.Data}
	case *http.ServerSentEvents:
		if v != nil {
			m = &message{kind: kindSSE, event: *v, plain: v.Data}
		}
	}
	if m == nil {
		return nil, fmt.Errorf("groups: a message is a string, a []byte or an http.ServerSentEvents, not %T: %w",
			msg, protocols.ErrUnsupportedMessage)
	}
	if m.kind == kindSSE {
		// Encoding the fields other than Data and Comment validates it.
		e := m.event
		if _, err := (http.ServerSentEvents{Event: e.Event, ID: e.ID, Retry: e.Retry}).Encode(); err != nil {
			return nil, err
		}
	}
	m.stream = m.event
	return m, nil
}

// fields is the stream entry of m, sent by node to t (see the package
// doc).
func (m *message) fields(node string, t target, name string) []string {
	f := make([]string, 0, 18)
	if node != "" {
		f = append(f, "origin", node)
	}
	f = append(f, "to", t.String())
	if t != toAll {
		f = append(f, "name", name)
	}
	f = append(f, "type", kindNames[m.kind], "data", m.event.Data)
	if m.kind != kindSSE {
		return f
	}
	e := m.event
	if e.Event != "" {
		f = append(f, "event", e.Event)
	}
	if e.ID != "" {
		f = append(f, "id", e.ID)
	}
	if e.Comment != "" {
		f = append(f, "comment", e.Comment)
	}
	if e.Retry > 0 {
		ms := e.Retry / time.Millisecond // rounded up, as the event is written
		if e.Retry%time.Millisecond != 0 {
			ms++
		}
		f = append(f, "retry", strconv.FormatInt(int64(ms), 10))
	}
	return f
}

// parseEntry reads a stream entry back: who it is for, and the message.
func parseEntry(e bus.Entry) (target, string, *message, error) {
	to, _ := e.Field("to")
	var t target
	switch to {
	case "uid":
		t = toUID
	case "group":
		t = toGroup
	case "all":
		t = toAll
	default:
		return 0, "", nil, fmt.Errorf("%w %s: to %q", ErrBadEntry, e.ID, to)
	}
	name, _ := e.Field("name")
	switch t {
	case toUID:
		if err := checkName(name, ErrBadUID); err != nil {
			return 0, "", nil, fmt.Errorf("%w %s: %w", ErrBadEntry, e.ID, err)
		}
	case toGroup:
		if err := checkName(name, ErrBadGroup); err != nil {
			return 0, "", nil, fmt.Errorf("%w %s: %w", ErrBadEntry, e.ID, err)
		}
	}
	typ, _ := e.Field("type")
	data, _ := e.Field("data")
	var m *message
	var err error
	switch typ {
	case "text":
		m, err = newMessage(data)
	case "binary":
		m, err = newMessage([]byte(data))
	case "sse":
		ev := http.ServerSentEvents{Data: data}
		ev.Event, _ = e.Field("event")
		ev.ID, _ = e.Field("id")
		ev.Comment, _ = e.Field("comment")
		if r, ok := e.Field("retry"); ok {
			ms, perr := strconv.ParseInt(r, 10, 64)
			if perr != nil || ms < 0 || ms > int64(time.Duration(1<<63-1)/time.Millisecond) {
				return 0, "", nil, fmt.Errorf("%w %s: retry %q", ErrBadEntry, e.ID, r)
			}
			ev.Retry = time.Duration(ms) * time.Millisecond
		}
		m, err = newMessage(ev)
	default:
		return 0, "", nil, fmt.Errorf("%w %s: type %q", ErrBadEntry, e.ID, typ)
	}
	if err != nil {
		return 0, "", nil, fmt.Errorf("%w %s: %w", ErrBadEntry, e.ID, err)
	}
	return t, name, m, nil
}

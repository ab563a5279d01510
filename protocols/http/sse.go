package http

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidEventField is returned when a ServerSentEvents cannot be
// encoded faithfully: its Event or ID contains CR, LF or NUL (which would
// end the field early or make browsers ignore the id), or its Retry is
// negative.
var ErrInvalidEventField = errors.New("http: invalid server-sent event field")

// ServerSentEvents is one message of a text/event-stream response, after
// workerman's ServerSentEvents. Send it on a connection whose response had
// "Content-Type: text/event-stream". workerman's
// new ServerSentEvents(['event' => 'message', 'data' => 'hello', 'id' => 1])
// is ServerSentEvents{Event: "message", Data: "hello", ID: "1"}.
//
// It is written in the WHATWG event-stream format, in workerman's field
// order, skipping empty fields:
//
//	: comment
//	event: type
//	id: id
//	retry: milliseconds
//	data: line
//	<blank line>
//
// Data is split at every line break (LF, CR or CRLF, each counting once)
// into several "data:" lines, so no value can inject a field or end the
// message early; the client sees the breaks as LF. A Comment with line
// breaks likewise becomes several comment lines.
//
// A message is dispatched to the client's listeners only when Event or Data
// is set. If Event is set and Data is empty, a "data:" line with an empty
// value is written so the client still receives an event whose data is "".
// With neither (only Comment, ID or Retry), no data line is written: the
// message updates the last event id or the reconnection time, or is just a
// comment, without dispatching anything; ServerSentEvents{Comment: "ping"}
// is the heartbeat ": ping\n\n". The zero value encodes to nothing.
type ServerSentEvents struct {
	// Comment is written as comment lines (": text"), ignored by clients;
	// useful as a heartbeat.
	Comment string
	// Event is the event type; clients use "message" when it is empty. It
	// must not contain CR, LF or NUL.
	Event string
	// ID sets the client's last event id, sent back in Last-Event-ID when
	// it reconnects. It must not contain CR, LF or NUL. An empty ID is not
	// written (it cannot reset the client's last event id).
	ID string
	// Data is the event's data; it may contain line breaks.
	Data string
	// Retry, when positive, sets the client's reconnection delay. It is
	// written in whole milliseconds, rounded up so that a positive Retry is
	// never written as 0. A negative Retry is an error.
	Retry time.Duration
}

// validate reports why e cannot be encoded, or nil.
func (e ServerSentEvents) validate() error {
	if hasLineBreakOrNUL(e.Event) {
		return fmt.Errorf("%w: event %q", ErrInvalidEventField, e.Event)
	}
	if hasLineBreakOrNUL(e.ID) {
		return fmt.Errorf("%w: id %q", ErrInvalidEventField, e.ID)
	}
	if e.Retry < 0 {
		return fmt.Errorf("%w: negative retry %v", ErrInvalidEventField, e.Retry)
	}
	return nil
}

// AppendTo appends the wire form of e to dst and returns the extended
// buffer. On error (ErrInvalidEventField) dst is returned unchanged. It
// allocates nothing when dst has room.
func (e ServerSentEvents) AppendTo(dst []byte) ([]byte, error) {
	if err := e.validate(); err != nil {
		return dst, err
	}
	start := len(dst)
	if e.Comment != "" {
		dst = appendEventLines(dst, ":", e.Comment)
	}
	if e.Event != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, e.Event...)
		dst = append(dst, '\n')
	}
	if e.ID != "" {
		dst = append(dst, "id: "...)
		dst = append(dst, e.ID...)
		dst = append(dst, '\n')
	}
	if e.Retry > 0 {
		ms := e.Retry / time.Millisecond
		if e.Retry%time.Millisecond != 0 {
			ms++
		}
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, int64(ms), 10)
		dst = append(dst, '\n')
	}
	if e.Data != "" || e.Event != "" {
		dst = appendEventLines(dst, "data:", e.Data)
	}
	if len(dst) > start {
		dst = append(dst, '\n')
	}
	return dst, nil
}

// Encode returns the wire form of e in a new slice.
func (e ServerSentEvents) Encode() ([]byte, error) {
	n := 32 + len(e.Comment) + len(e.Event) + len(e.ID) + len(e.Data)
	b, err := e.AppendTo(make([]byte, 0, n))
	if err != nil {
		return nil, err
	}
	return b, nil
}

// appendEventLines appends s as one line per line of s (split at LF, CR and
// CRLF), each written as prefix, a space and the line, or just prefix for
// an empty line. An empty s writes one empty line.
func appendEventLines(dst []byte, prefix, s string) []byte {
	for {
		i := indexLineBreak(s)
		line := s
		if i >= 0 {
			line = s[:i]
		}
		dst = append(dst, prefix...)
		if line != "" {
			dst = append(dst, ' ')
			dst = append(dst, line...)
		}
		dst = append(dst, '\n')
		if i < 0 {
			return dst
		}
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
}

// indexLineBreak returns the index of the first CR or LF in s, or -1. It
// scans for LF first and then for CR only before it, so splitting a string
// into lines with it stays linear.
func indexLineBreak(s string) int {
	lf := strings.IndexByte(s, '\n')
	before := s
	if lf >= 0 {
		before = s[:lf]
	}
	if cr := strings.IndexByte(before, '\r'); cr >= 0 {
		return cr
	}
	return lf
}

// hasLineBreakOrNUL reports whether s contains CR, LF or NUL.
func hasLineBreakOrNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\r' || c == '\n' || c == 0 {
			return true
		}
	}
	return false
}

package http

import (
	"sync/atomic"
	"time"
)

// httpTimeFormat is the IMF-fixdate layout of RFC 9110 section 5.6.7, the
// only date format a server may generate.
const httpTimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// httpDateLen is the length of every IMF-fixdate.
const httpDateLen = len(httpTimeFormat)

// cachedDate is one second's Date header value.
type cachedDate struct {
	unix int64
	text [httpDateLen]byte
}

// dateCache holds the Date value of the current second, or nil once that
// second is over. It is filled lazily by the first encoder that needs it;
// filling it arms a one-shot runtime timer that clears it at the next second
// boundary. So an encoder pays one atomic load, the clock is read at most
// once per second while responses are being written, and an idle server
// runs nothing at all (there is no background goroutine or ticker).
var dateCache atomic.Pointer[cachedDate]

// currentDate returns the cached IMF-fixdate for the current second.
func currentDate() *cachedDate {
	if d := dateCache.Load(); d != nil {
		return d
	}
	return refreshDate()
}

// refreshDate formats the current time, publishes it and arms its expiry.
func refreshDate() *cachedDate {
	now := time.Now()
	d := &cachedDate{unix: now.Unix()}
	now.UTC().AppendFormat(d.text[:0], httpTimeFormat)
	if !dateCache.CompareAndSwap(nil, d) {
		if cur := dateCache.Load(); cur != nil {
			return cur // another encoder refreshed it first
		}
		return d
	}
	time.AfterFunc(time.Second-time.Duration(now.Nanosecond()), func() {
		dateCache.CompareAndSwap(d, nil)
	})
	return d
}

// appendDate appends the current time as an IMF-fixdate, from the cache.
func appendDate(dst []byte) []byte {
	d := currentDate()
	return append(dst, d.text[:]...)
}

// appendHTTPDate appends t as an IMF-fixdate ("Mon, 02 Jan 2006 15:04:05 GMT").
func appendHTTPDate(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, httpTimeFormat)
}

// formatHTTPDate returns t as an IMF-fixdate.
func formatHTTPDate(t time.Time) string {
	var b [httpDateLen]byte
	return string(appendHTTPDate(b[:0], t))
}

// parseHTTPDate parses an HTTP date in any of the three formats a recipient
// must accept (RFC 9110 section 5.6.7): IMF-fixdate, the obsolete RFC 850
// format and asctime. ok is false when s is none of them.
func parseHTTPDate(s string) (t time.Time, ok bool) {
	for _, layout := range [...]string{
		httpTimeFormat,
		"Monday, 02-Jan-06 15:04:05 GMT",
		"Mon Jan _2 15:04:05 2006",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

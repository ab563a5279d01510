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

// dateCache holds the most recently formatted Date value. It is refreshed
// lazily, by whichever encoder first notices the second has changed; there
// is no background goroutine.
var dateCache atomic.Pointer[cachedDate]

// currentDate returns the cached IMF-fixdate for the current second,
// formatting a new one at most once per second (racing encoders may both
// format it; either result is correct).
func currentDate() *cachedDate {
	now := time.Now()
	sec := now.Unix()
	if d := dateCache.Load(); d != nil && d.unix == sec {
		return d
	}
	d := &cachedDate{unix: sec}
	now.UTC().AppendFormat(d.text[:0], httpTimeFormat)
	dateCache.Store(d)
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

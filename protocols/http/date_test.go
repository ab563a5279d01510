package http

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDateCache(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	d := string(appendDate(nil))
	after := time.Now()
	require.Len(t, d, httpDateLen)
	parsed, err := time.Parse(httpTimeFormat, d)
	require.NoError(t, err)
	assert.False(t, parsed.Before(before), "%s", d)
	assert.False(t, parsed.After(after), "%s", d)

	// Within one second the cached value is reused.
	a := currentDate()
	b := currentDate()
	if a.unix == b.unix {
		assert.Same(t, a, b)
	}
	assert.Equal(t, "GMT", string(a.text[httpDateLen-3:]))
}

func TestDateCacheExpires(t *testing.T) {
	d1 := currentDate()
	// Sleep past the next second boundary (plus timer slack).
	time.Sleep(time.Second - time.Duration(time.Now().Nanosecond()) + 50*time.Millisecond)
	d2 := currentDate()
	assert.Greater(t, d2.unix, d1.unix)
	parsed, err := time.Parse(httpTimeFormat, string(d2.text[:]))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), parsed, 1100*time.Millisecond)
}

func TestDateFormatAndParse(t *testing.T) {
	ts := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)
	assert.Equal(t, "Sun, 06 Nov 1994 08:49:37 GMT", formatHTTPDate(ts))
	assert.Equal(t, "Sun, 06 Nov 1994 08:49:37 GMT", formatHTTPDate(ts.In(time.FixedZone("X", 3600))))
	for _, s := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
	} {
		got, ok := parseHTTPDate(s)
		assert.True(t, ok, s)
		assert.True(t, got.Equal(ts), "%s: %v", s, got)
	}
	for _, s := range []string{"", "yesterday", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 06 Nov 1994"} {
		_, ok := parseHTTPDate(s)
		assert.False(t, ok, s)
	}
}

func BenchmarkAppendDate(b *testing.B) {
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst = appendDate(dst[:0])
	}
}

package http

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestFilePreconditions(t *testing.T) {
	const etag = `"abc-10"`
	const lm = "Mon, 06 May 2024 07:08:09 GMT"
	mtime := fileMtime.Add(300 * time.Millisecond) // dates have whole seconds
	older := "Mon, 06 May 2024 07:08:08 GMT"
	tests := []struct {
		q    fileConditions
		want int
	}{
		{fileConditions{}, 0},
		{fileConditions{ifNoneMatch: etag}, 304},
		{fileConditions{ifNoneMatch: "W/" + etag}, 304},
		{fileConditions{ifNoneMatch: `"x", ` + etag}, 304},
		{fileConditions{ifNoneMatch: `"a,b",` + etag}, 304},
		{fileConditions{ifNoneMatch: "*"}, 304},
		{fileConditions{ifNoneMatch: `"x"`, ifModifiedSince: lm}, 0},
		{fileConditions{ifNoneMatch: `garbage, ` + etag}, 0},
		{fileConditions{ifNoneMatch: `"unterminated`}, 0},
		{fileConditions{ifModifiedSince: lm}, 304},
		{fileConditions{ifModifiedSince: older}, 0},
		{fileConditions{ifModifiedSince: "yesterday"}, 0},
		{fileConditions{ifMatch: etag}, 0},
		{fileConditions{ifMatch: "*"}, 0},
		{fileConditions{ifMatch: "W/" + etag}, 412},
		{fileConditions{ifMatch: `"x"`}, 412},
		{fileConditions{ifMatch: `"x"`, ifNoneMatch: etag}, 412},
		{fileConditions{ifUnmodifiedSince: lm}, 0},
		{fileConditions{ifUnmodifiedSince: older}, 412},
		{fileConditions{ifMatch: etag, ifUnmodifiedSince: older}, 0},
		{fileConditions{ifUnmodifiedSince: "bad"}, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, evalPreconditions(tt.q, etag, mtime), "%+v", tt.q)
	}
	// Without an entity tag only "*" matches.
	assert.Equal(t, 412, evalPreconditions(fileConditions{ifMatch: etag}, "", mtime))
	assert.Equal(t, 304, evalPreconditions(fileConditions{ifNoneMatch: "*"}, "", mtime))
	assert.Equal(t, 0, evalPreconditions(fileConditions{ifNoneMatch: etag}, "", mtime))
}

func TestFileIfRange(t *testing.T) {
	const lm = "Mon, 06 May 2024 07:08:09 GMT"
	assert.True(t, ifRangeMatches(`"e"`, `"e"`, lm))
	assert.False(t, ifRangeMatches(`"f"`, `"e"`, lm))
	assert.False(t, ifRangeMatches(`W/"e"`, `"e"`, lm), "weak tags never validate a range")
	assert.False(t, ifRangeMatches(`"e"`, `W/"e"`, lm))
	assert.False(t, ifRangeMatches(`"e"`, "", lm))
	assert.True(t, ifRangeMatches(lm, `"e"`, lm))
	assert.False(t, ifRangeMatches("Mon, 06 May 2024 07:08:10 GMT", `"e"`, lm))
	assert.False(t, ifRangeMatches("nonsense", `"e"`, lm))
}

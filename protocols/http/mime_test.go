package http

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFileMimeContentTypeForPath(t *testing.T) {
	tests := map[string]string{
		"index.html":       "text/html; charset=utf-8",
		"/a/b/STYLE.CSS":   "text/css; charset=utf-8",
		"app.js":           "text/javascript; charset=utf-8",
		"data.json":        "application/json",
		"logo.PNG":         "image/png",
		"photo.jpeg":       "image/jpeg",
		"font.woff2":       "font/woff2",
		"noext":            "application/octet-stream",
		"dir.d/noext":      "application/octet-stream",
		"weird.zzzunknown": "application/octet-stream",
		"trailingdot.":     "application/octet-stream",
	}
	for path, want := range tests {
		assert.Equal(t, want, contentTypeForPath(path), path)
	}
	// Extensions outside the table come from the mime package.
	assert.NotEmpty(t, contentTypeForPath("x.mp4"))
}

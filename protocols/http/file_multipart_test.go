package http

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileParseRanges(t *testing.T) {
	tests := []struct {
		h    string
		size int64
		want []byteRange
		res  rangeResult
	}{
		{"bytes=0-1,5-6", 10, []byteRange{{0, 1}, {5, 6}}, rangeSatisfiable},
		{"bytes=5-6,0-1", 10, []byteRange{{0, 1}, {5, 6}}, rangeSatisfiable},
		{"bytes=0-5,3-8", 10, []byteRange{{0, 8}}, rangeSatisfiable},
		{"bytes=0-4,5-9", 10, []byteRange{{0, 9}}, rangeSatisfiable},
		{"bytes=-2,0-0", 10, []byteRange{{0, 0}, {8, 9}}, rangeSatisfiable},
		{"bytes=0-1, ,3-4", 10, []byteRange{{0, 1}, {3, 4}}, rangeSatisfiable},
		{"bytes=0-1,20-", 10, []byteRange{{0, 1}}, rangeSatisfiable},
		{"bytes=20-,30-", 10, nil, rangeUnsatisfiable},
		{"bytes=0-1,-0", 10, []byteRange{{0, 1}}, rangeSatisfiable},
		{"bytes=0-1,x", 10, nil, rangeIgnored},
		{"bytes=0-1,3-2", 10, nil, rangeIgnored},
		{"items=0-1,3-4", 10, nil, rangeIgnored},
		{"bytes=,", 10, nil, rangeIgnored},
		{"bytes=0-0,2-2", 0, nil, rangeUnsatisfiable},
	}
	for _, tt := range tests {
		got, res := parseRanges(tt.h, tt.size)
		assert.Equal(t, tt.res, res, tt.h)
		if res == rangeSatisfiable {
			assert.Equal(t, tt.want, got, tt.h)
		}
	}
	// More than maxRanges after merging: ignored.
	h := "bytes=0-0"
	for i := 2; i < 2*(maxRanges+1); i += 2 {
		h += "," + strconv.Itoa(i) + "-" + strconv.Itoa(i)
	}
	_, res := parseRanges(h, 1000)
	assert.Equal(t, rangeIgnored, res)
}

func TestFileMultipartPrepared(t *testing.T) {
	p := writeTestFile(t, t.TempDir(), "a.txt", []byte("0123456789"))
	head, f, _, n, err := prepareFile((&Response{}).WithFile(p, 0, 0), "", "bytes=0-1,8-")
	require.NoError(t, err)
	require.Nil(t, f)
	assert.Equal(t, 206, head.Status())
	assert.Equal(t, int64(len(head.Body())), n)
	assert.Regexp(t, `^multipart/byteranges; boundary=[A-Za-z0-9]+$`, head.Header("Content-Type"))
	assert.Empty(t, head.Header("Content-Range"))
	body := string(head.Body())
	assert.Contains(t, body, "Content-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-1/10\r\n\r\n01\r\n")
	assert.Contains(t, body, "Content-Range: bytes 8-9/10\r\n\r\n89\r\n")

	// A section chosen by the application is not split again.
	head, _, _, _, err = prepareFile((&Response{}).WithFile(p, 2, 3), "", "bytes=0-0,2-2")
	require.NoError(t, err)
	assert.Equal(t, "bytes 2-4/10", head.Header("Content-Range"))
}

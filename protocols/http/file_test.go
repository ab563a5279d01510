package http

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fileMtime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

const fileMtimeText = "Mon, 06 May 2024 07:08:09 GMT"

// writeTestFile writes content to dir/name with a fixed modification time.
func writeTestFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, content, 0o644))
	require.NoError(t, os.Chtimes(p, fileMtime, fileMtime))
	return p
}

func TestFilePrepare(t *testing.T) {
	dir := t.TempDir()
	content := make([]byte, 100)
	for i := range content {
		content[i] = byte('a' + i%26)
	}
	txt := writeTestFile(t, dir, "a.txt", content)
	empty := writeTestFile(t, dir, "empty.bin", nil)

	tests := []struct {
		name          string
		resp          *Response
		ims, rng      string
		status        int
		body          []byte
		contentRange  string
		contentType   string
		errIs         error
		noLastModHead bool
	}{
		{name: "full", resp: NewResponse(200, nil, "").WithFile(txt, 0, 0),
			status: 200, body: content, contentType: "text/plain; charset=utf-8"},
		{name: "offset and length", resp: (&Response{}).WithFile(txt, 10, 20),
			status: 206, body: content[10:30], contentRange: "bytes 10-29/100"},
		{name: "offset to end", resp: (&Response{}).WithFile(txt, 90, 0),
			status: 206, body: content[90:], contentRange: "bytes 90-99/100"},
		{name: "length past end", resp: (&Response{}).WithFile(txt, 95, 1000),
			status: 206, body: content[95:], contentRange: "bytes 95-99/100"},
		{name: "offset past end", resp: (&Response{}).WithFile(txt, 1000, 0),
			status: 416, body: []byte{}, contentRange: "bytes */100"},
		{name: "offset into empty file", resp: (&Response{}).WithFile(empty, 1, 0),
			status: 416, body: []byte{}, contentRange: "bytes */0"},
		{name: "negative offset and length", resp: (&Response{}).WithFile(txt, -5, -5),
			status: 200, body: content},
		{name: "length of the whole file", resp: (&Response{}).WithFile(txt, 0, 100),
			status: 200, body: content},
		{name: "whole-file length: client range applies", resp: (&Response{}).WithFile(txt, 0, 100), rng: "bytes=1-2",
			status: 206, body: content[1:3], contentRange: "bytes 1-2/100"},
		{name: "range a-b", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=0-9",
			status: 206, body: content[:10], contentRange: "bytes 0-9/100"},
		{name: "range a-", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=90-",
			status: 206, body: content[90:], contentRange: "bytes 90-99/100"},
		{name: "range suffix", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=-10",
			status: 206, body: content[90:], contentRange: "bytes 90-99/100"},
		{name: "range suffix longer than file", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=-1000",
			status: 206, body: content, contentRange: "bytes 0-99/100"},
		{name: "range end clamped", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=50-1000",
			status: 206, body: content[50:], contentRange: "bytes 50-99/100"},
		{name: "range huge end", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=99-99999999999999999999999",
			status: 206, body: content[99:], contentRange: "bytes 99-99/100"},
		{name: "range case and spaces", resp: (&Response{}).WithFile(txt, 0, 0), rng: " Bytes= 1 - 2 ",
			status: 206, body: content[1:3], contentRange: "bytes 1-2/100"},
		// The application chose the section (from the Range itself, as
		// workerman apps do): the client's Range is not applied again.
		{name: "client range with a section", resp: (&Response{}).WithFile(txt, 10, 20), rng: "bytes=0-4",
			status: 206, body: content[10:30], contentRange: "bytes 10-29/100"},
		{name: "client range past a section", resp: (&Response{}).WithFile(txt, 10, 20), rng: "bytes=20-",
			status: 206, body: content[10:30], contentRange: "bytes 10-29/100"},
		{name: "section not modified", resp: (&Response{}).WithFile(txt, 10, 20), ims: fileMtimeText,
			status: 304},
		{name: "unsatisfiable", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=100-",
			status: 416, body: []byte{}, contentRange: "bytes */100"},
		{name: "huge first", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=99999999999999999999999-",
			status: 416, body: []byte{}, contentRange: "bytes */100"},
		{name: "suffix zero", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=-0",
			status: 416, body: []byte{}, contentRange: "bytes */100"},
		{name: "empty file range", resp: (&Response{}).WithFile(empty, 0, 0), rng: "bytes=0-",
			status: 416, body: []byte{}, contentRange: "bytes */0"},
		{name: "empty file", resp: (&Response{}).WithFile(empty, 0, 0),
			status: 200, body: []byte{}},
		{name: "reversed range ignored", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=5-2",
			status: 200, body: content},
		{name: "malformed multi-range ignored", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=0-1,3-x",
			status: 200, body: content},
		{name: "multi-range merged", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=0-1,2-4",
			status: 206, body: content[:5], contentRange: "bytes 0-4/100"},
		{name: "other unit ignored", resp: (&Response{}).WithFile(txt, 0, 0), rng: "items=0-1",
			status: 200, body: content},
		{name: "garbage range ignored", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=abc",
			status: 200, body: content},
		{name: "range without dash ignored", resp: (&Response{}).WithFile(txt, 0, 0), rng: "bytes=5",
			status: 200, body: content},
		{name: "not modified", resp: (&Response{}).WithFile(txt, 0, 0), ims: fileMtimeText,
			status: 304},
		{name: "not modified later date", resp: (&Response{}).WithFile(txt, 0, 0), ims: "Tue, 07 May 2024 00:00:00 GMT",
			status: 304},
		{name: "not modified beats range", resp: (&Response{}).WithFile(txt, 0, 0), ims: fileMtimeText, rng: "bytes=0-1",
			status: 304},
		{name: "modified since", resp: (&Response{}).WithFile(txt, 0, 0), ims: "Mon, 06 May 2024 07:08:08 GMT",
			status: 200, body: content},
		{name: "bad If-Modified-Since ignored", resp: (&Response{}).WithFile(txt, 0, 0), ims: "soon",
			status: 200, body: content},
		{name: "user content type kept", resp: NewResponse(200, map[string]string{"Content-Type": "text/x-mine", "Content-Length": "1"}, "").WithFile(txt, 0, 0),
			status: 200, body: content, contentType: "text/x-mine"},
		{name: "user status: no range, no 304", resp: NewResponse(404, nil, "").WithFile(txt, 0, 5), rng: "bytes=0-1", ims: fileMtimeText,
			status: 404, body: content[:5]},
		{name: "missing", resp: (&Response{}).WithFile(filepath.Join(dir, "nope"), 0, 0),
			status: 404, body: []byte("<h3>404 Not Found</h3>"), errIs: fs.ErrNotExist, noLastModHead: true},
		{name: "directory", resp: (&Response{}).WithFile(dir, 0, 0),
			status: 403, body: []byte("<h3>403 Forbidden</h3>"), errIs: errNotRegularFile, noLastModHead: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head, f, off, n, err := prepareFile(tt.resp, tt.ims, tt.rng)
			require.Nil(t, f, "small files are inlined")
			if tt.errIs != nil {
				assert.ErrorIs(t, err, tt.errIs)
			} else {
				require.NoError(t, err)
			}
			require.NotNil(t, head)
			assert.Equal(t, tt.status, head.Status())
			assert.Equal(t, tt.contentRange, head.Header("Content-Range"))
			if tt.status == 304 {
				assert.Empty(t, head.Body())
				assert.Equal(t, fileMtimeText, head.Header("Last-Modified"))
				out, _, err := appendResponse(nil, head, keepAlive11)
				require.NoError(t, err)
				assert.NotContains(t, string(out), "Content-Length")
				return
			}
			assert.Equal(t, string(tt.body), string(head.Body()))
			if tt.errIs == nil {
				assert.Equal(t, int64(len(tt.body)), n)
				assert.Equal(t, fileMtimeText, head.Header("Last-Modified"))
				assert.NotEqual(t, "1", head.Header("Content-Length"), "user framing headers dropped")
				if tt.status == 200 || tt.status == 206 {
					assert.Equal(t, "bytes", head.Header("Accept-Ranges"))
					assert.GreaterOrEqual(t, off, int64(0))
				}
				if tt.contentType != "" {
					assert.Equal(t, tt.contentType, head.Header("Content-Type"))
				}
			} else if tt.noLastModHead {
				assert.Empty(t, head.Header("Last-Modified"))
			}
			// The head encodes with the right Content-Length.
			out, kind, err := appendResponse(nil, head, keepAlive11)
			require.NoError(t, err)
			assert.Equal(t, kindComplete, kind)
			assert.Contains(t, string(out), "\r\nContent-Length: "+strconv.Itoa(len(tt.body))+"\r\n")
			assert.True(t, bytes.HasSuffix(out, append([]byte("\r\n\r\n"), tt.body...)))
		})
	}
	// prepareFile leaves the user's response alone.
	r := NewResponse(200, nil, "").WithFile(txt, 0, 0)
	_, _, _, _, err := prepareFile(r, "", "bytes=0-1")
	require.NoError(t, err)
	assert.Equal(t, 200, r.Status())
	assert.Empty(t, r.Header("Content-Range"))
	// A response without a file is returned as it is.
	plain := NewResponse(200, nil, "x")
	head, f, _, _, err := prepareFile(plain, "", "")
	assert.Same(t, plain, head)
	assert.Nil(t, f)
	assert.NoError(t, err)
}

func TestFileUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can read any file")
	}
	p := writeTestFile(t, t.TempDir(), "secret.txt", []byte("s"))
	require.NoError(t, os.Chmod(p, 0))
	head, f, _, _, err := prepareFile((&Response{}).WithFile(p, 0, 0), "", "")
	assert.Nil(t, f)
	assert.ErrorIs(t, err, fs.ErrPermission)
	assert.Equal(t, 403, head.Status())
}

func TestFileLargeStreams(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big.bin")
	size := int64(3 << 20)
	fh, err := os.Create(p)
	require.NoError(t, err)
	tail := []byte("the end")
	_, err = fh.WriteAt(tail, size-int64(len(tail)))
	require.NoError(t, err)
	require.NoError(t, fh.Close())

	head, f, off, n, err := prepareFile((&Response{}).WithFile(p, 0, 0), "", "")
	require.NoError(t, err)
	require.NotNil(t, f, "a 3 MiB file streams")
	defer f.Close()
	assert.Equal(t, int64(0), off)
	assert.Equal(t, size, n)
	assert.Empty(t, head.Body())
	out, kind, err := appendResponse(nil, head, keepAlive11)
	require.NoError(t, err)
	assert.Equal(t, kindComplete, kind)
	assert.Contains(t, string(out), "Content-Length: 3145728\r\n")
	assert.Contains(t, string(out), "Content-Type: application/octet-stream\r\n")
	assert.Contains(t, string(out), "Accept-Ranges: bytes\r\n")
	assert.True(t, bytes.HasSuffix(out, []byte("\r\n\r\n")), "header block only")
	got, err := io.ReadAll(io.NewSectionReader(f, off, n))
	require.NoError(t, err)
	assert.Equal(t, tail, got[len(got)-len(tail):])

	// A big range streams too; a small range of a big file is inlined.
	head, f2, off, n, err := prepareFile((&Response{}).WithFile(p, 0, 0), "", "bytes=1-")
	require.NoError(t, err)
	require.NotNil(t, f2)
	f2.Close()
	assert.Equal(t, 206, head.Status())
	assert.Equal(t, int64(1), off)
	assert.Equal(t, size-1, n)
	out, _, err = appendResponse(nil, head, keepAlive11)
	require.NoError(t, err)
	assert.Contains(t, string(out), "Content-Length: 3145727\r\n")
	assert.Contains(t, string(out), "Content-Range: bytes 1-3145727/3145728\r\n")

	var f3 *os.File
	head, f3, off, n, err = prepareFile((&Response{}).WithFile(p, 0, 0), "", "bytes=-7")
	require.NoError(t, err)
	assert.Nil(t, f3)
	assert.Equal(t, size-7, off)
	assert.Equal(t, int64(7), n)
	assert.Equal(t, tail, head.Body())
}

func TestFileRangeParse(t *testing.T) {
	tests := []struct {
		h           string
		size        int64
		first, last int64
		res         rangeResult
	}{
		{"", 10, 0, 0, rangeIgnored},
		{"bytes=", 10, 0, 0, rangeIgnored},
		{"bytes=-", 10, 0, 0, rangeIgnored},
		{"bytes=0-0", 10, 0, 0, rangeSatisfiable},
		{"bytes=9-9", 10, 9, 9, rangeSatisfiable},
		{"bytes=10-10", 10, 0, 0, rangeUnsatisfiable},
		{"bytes=-1", 10, 9, 9, rangeSatisfiable},
		{"bytes=-1", 0, 0, 0, rangeUnsatisfiable},
		{"bytes=+1-2", 10, 0, 0, rangeIgnored},
		{"bytes=1-2-3", 10, 0, 0, rangeIgnored},
		{"bytes=0x1-2", 10, 0, 0, rangeIgnored},
		{"bytes=0-1, ", 10, 0, 0, rangeIgnored},
	}
	for _, tt := range tests {
		first, last, res := parseSingleRange(tt.h, tt.size)
		assert.Equal(t, tt.res, res, tt.h)
		if res == rangeSatisfiable {
			assert.Equal(t, [2]int64{tt.first, tt.last}, [2]int64{first, last}, tt.h)
		}
	}
}

// FuzzFileRange checks that no Range value panics and that a satisfiable
// range always lies within the representation.
func FuzzFileRange(f *testing.F) {
	f.Add("bytes=0-9", int64(100))
	f.Add("bytes=-5", int64(3))
	f.Add("bytes=5-", int64(0))
	f.Add("bytes=9223372036854775807-", int64(1<<62))
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 {
			return
		}
		first, last, res := parseSingleRange(h, size)
		if res == rangeSatisfiable {
			require.True(t, 0 <= first && first <= last && last < size, "%q over %d: %d-%d", h, size, first, last)
		}
		ranges, res := parseRanges(h, size)
		if res == rangeSatisfiable {
			require.NotEmpty(t, ranges)
			require.LessOrEqual(t, len(ranges), maxRanges)
			for i, r := range ranges {
				require.True(t, 0 <= r.first && r.first <= r.last && r.last < size, "%q over %d: %v", h, size, ranges)
				if i > 0 {
					require.Greater(t, r.first, ranges[i-1].last+1, "sorted, apart: %q %v", h, ranges)
				}
			}
		}
	})
}

func TestFileFIFODoesNotBlock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan *Response, 1)
	go func() {
		head, f, _, _, _ := prepareFile((&Response{}).WithFile(p, 0, 0), "", "")
		assert.Nil(t, f)
		done <- head
	}()
	select {
	case head := <-done:
		assert.Equal(t, 403, head.Status(), "not a regular file")
	case <-time.After(5 * time.Second):
		t.Fatal("opening a FIFO waits for a writer")
	}
}

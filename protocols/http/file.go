package http

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/gnetworker/gnetworker/internal/fdbudget"
)

// inlineFileLimit is the size below which a file's bytes are read into the
// response; larger files are streamed by the codec under backpressure.
const inlineFileLimit = 2 << 20

// fileSpec is the file a Response sends as its body.
type fileSpec struct {
	path           string
	offset, length int64

	// root, when set, is where path is opened: os.Root refuses a path
	// that leaves it, through ".." or a symbolic link (Static).
	root *os.Root
	// etag asks for an ETag derived from the opened file's size and
	// modification time, with etagSuffix appended inside the quotes (a
	// precompressed sibling's coding).
	etag       bool
	etagSuffix string
}

// WithFile makes the response send the file at path instead of its body:
// length bytes from offset, where a length of 0 means "to the end of the
// file" (negative values count as 0).
//
// When the response is sent the file is opened and checked: a missing file
// gets 404, a directory, a non-regular or an unreadable file 403 (a FIFO
// is never waited on). With status 200 (the default), a GET or HEAD
// request's preconditions are evaluated as RFC 9110 section 13.2.2 orders:
// If-Match and If-Unmodified-Since may give 412, If-None-Match and
// If-Modified-Since 304; entity tags are compared with an ETag header set
// on the response (WithFile adds none; Static does). Then:
//
//   - for the whole file (offset 0 and a length of 0 or at least the
//     file's size), a GET's Range gives 206 or 416, unless If-Range does
//     not match; several ranges are sorted and merged, and answered with
//     multipart/byteranges while the parts fit in 2 MiB and number at most
//     32, otherwise with the whole file and 200, as RFC 9110 allows;
//   - for part of it, as workerman's withFile, the answer is 206 with
//     "Content-Range: bytes first-last/size", and the client's Range is not
//     applied again (the application chose the part, from the Range
//     header or otherwise); an offset at or past the end gives 416 with
//     "Content-Range: bytes */size".
//
// With another status the part is sent with that status and no
// Content-Range. Content-Type is derived from the extension unless set,
// Last-Modified from the file's modification time unless set.
func (r *Response) WithFile(path string, offset, length int64) *Response {
	r.changed()
	r.file = &fileSpec{path: path, offset: max(offset, 0), length: max(length, 0)}
	return r
}

// hasFile reports whether r sends a file (and must go through prepareFile).
func (r *Response) hasFile() bool { return r != nil && r.file != nil }

// fileConditions are the request header values that decide a file
// response: the preconditions of RFC 9110 section 13 and Range.
type fileConditions struct {
	ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince string
	ifRange, rng                                             string
}

// fileConditionsOf returns the conditions req sets for a file response:
// none but for GET and HEAD, and Range only for GET (RFC 9110 section
// 14.2: range handling is defined for GET alone).
func fileConditionsOf(req *Request) fileConditions {
	if req == nil || req.Method() != "GET" && req.Method() != "HEAD" {
		return fileConditions{}
	}
	q := fileConditions{
		ifMatch:           req.Header("If-Match"),
		ifNoneMatch:       req.Header("If-None-Match"),
		ifModifiedSince:   req.Header("If-Modified-Since"),
		ifUnmodifiedSince: req.Header("If-Unmodified-Since"),
	}
	if req.Method() == "GET" {
		q.ifRange, q.rng = req.Header("If-Range"), req.Header("Range")
	}
	return q
}

// prepareFile is prepareFileFor with only If-Modified-Since and Range.
func prepareFile(r *Response, ifModifiedSince, rangeHeader string) (head *Response, f *os.File, off, n int64, err error) {
	return prepareFileFor(r, fileConditions{ifModifiedSince: ifModifiedSince, rng: rangeHeader})
}

// prepareFileFor resolves the file response r against the request's
// conditions (see fileConditionsOf).
//
// head is always the response to encode with appendResponse; it is a new
// Response and r is not modified. When the file section is smaller than
// inlineFileLimit its bytes are in head's body and f is nil. Otherwise f is
// the open file: after encoding head (which declares Content-Length n) the
// codec must send n bytes of f starting at off, then close f; for a HEAD
// request it just closes f.
//
// err is informational (for logging): a missing file gives a 404 head, a
// directory or permission problem a 403 head, another I/O error a 500 head,
// each with err describing the cause. If r has no file, head is r.
func prepareFileFor(r *Response, q fileConditions) (head *Response, f *os.File, off, n int64, err error) {
	if !r.hasFile() {
		return r, nil, 0, 0, nil
	}
	spec := *r.file
	if !fdbudget.Acquire() {
		return busyResponse, nil, 0, 0, errNoDescriptor
	}
	// O_NONBLOCK: opening a FIFO must not wait for a writer (it would
	// hold the event loop); regular files ignore it.
	if spec.root != nil {
		f, err = spec.root.OpenFile(spec.path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	} else {
		f, err = os.OpenFile(spec.path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	}
	if err != nil {
		fdbudget.Release()
		return fileErrorResponse(err, spec.root != nil), nil, 0, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		closeServed(f)
		return fileErrorResponse(err, spec.root != nil), nil, 0, 0, err
	}
	if !st.Mode().IsRegular() {
		closeServed(f)
		err = &fs.PathError{Op: "open", Path: spec.path, Err: errNotRegularFile}
		return fileErrorResponse(err, spec.root != nil), nil, 0, 0, err
	}

	// The representation is the slice [start, end) of the file.
	size := st.Size()
	start := min(spec.offset, size)
	end := size
	if spec.length > 0 && spec.length < size-start {
		end = start + spec.length
	}
	total := end - start
	// section: the application chose part of the file, as workerman apps
	// do from the Range header themselves.
	section := spec.offset > 0 || end < size

	head = &Response{status: r.Status(), reason: r.reason, http10: r.http10, err: r.err}
	head.headers = make([]headerField, 0, len(r.headers)+6)
	for _, h := range r.headers {
		switch classifyHeader(h.name) {
		case hdrContentLength, hdrTransferEncoding:
			continue // framing is ours
		}
		if strings.EqualFold(h.name, "content-range") {
			continue
		}
		head.headers = append(head.headers, h)
	}
	mtime := st.ModTime()
	lastModified := head.Header("Last-Modified")
	if lastModified == "" {
		lastModified = formatHTTPDate(mtime)
		head.headers = append(head.headers, headerField{"Last-Modified", lastModified})
	}
	etag := head.Header("ETag")
	if etag == "" && spec.etag {
		etag = fileETag(st, spec.etagSuffix)
		head.headers = append(head.headers, headerField{"ETag", etag})
	}

	off, n = start, total
	if head.status == 200 {
		if status := evalPreconditions(q, etag, mtime); status != 0 {
			closeServed(f)
			head.status = status
			if status == 412 {
				head.body = []byte("<h3>412 Precondition Failed</h3>")
			}
			return head, nil, 0, 0, nil
		}
		head.headers = append(head.headers, headerField{"Accept-Ranges", "bytes"})
		rangeHeader := q.rng
		if q.ifRange != "" && !ifRangeMatches(q.ifRange, etag, lastModified) {
			rangeHeader = "" // the client's copy is stale: send it all
		}
		first, last, res := parseSingleRange(rangeHeader, total)
		var ranges []byteRange
		if res == rangeIgnored && !section && strings.IndexByte(rangeHeader, ',') >= 0 {
			ranges, res = parseRanges(rangeHeader, total)
			if len(ranges) == 1 {
				first, last, ranges = ranges[0].first, ranges[0].last, nil
			}
		}
		if len(ranges) > 1 {
			ctype := head.Header("Content-Type")
			if ctype == "" {
				ctype = contentTypeForPath(spec.path)
			}
			boundary := newBoundary()
			body, ok, err := byterangesBody(f, start, ranges, total, ctype, boundary)
			if err != nil {
				closeServed(f)
				return fileErrorResponse(err, false), nil, 0, 0, err
			}
			if ok {
				closeServed(f)
				head.status = 206
				head.WithHeader("Content-Type", "multipart/byteranges; boundary="+boundary)
				head.body = body
				return head, nil, 0, int64(len(body)), nil
			}
			res = rangeIgnored // too large to assemble: the whole
		}
		if section {
			// The section is the answer: the client's Range is not
			// applied to it a second time.
			first, last, res = start, end-1, rangeSatisfiable
			if total == 0 {
				res = rangeUnsatisfiable
			}
			start, total = 0, size
		}
		switch res {
		case rangeSatisfiable:
			head.status = 206
			off, n = start+first, last-first+1
			head.headers = append(head.headers, headerField{"Content-Range",
				"bytes " + strconv.FormatInt(first, 10) + "-" + strconv.FormatInt(last, 10) + "/" + strconv.FormatInt(total, 10)})
		case rangeUnsatisfiable:
			closeServed(f)
			head.status = 416
			head.headers = append(head.headers, headerField{"Content-Range", "bytes */" + strconv.FormatInt(total, 10)})
			return head, nil, 0, 0, nil
		}
	}
	if head.Header("Content-Type") == "" {
		head.headers = append(head.headers, headerField{"Content-Type", contentTypeForPath(spec.path)})
	}

	if n < inlineFileLimit {
		buf := make([]byte, n)
		_, err = io.ReadFull(io.NewSectionReader(f, off, n), buf)
		closeServed(f)
		if err != nil {
			return fileErrorResponse(err, false), nil, 0, 0, err
		}
		head.body = buf
		return head, nil, off, n, nil
	}
	head.declaredLength, head.hasDeclaredLength = n, true
	return head, f, off, n, nil
}

// errNotRegularFile is the cause reported for directories, devices, pipes.
var errNotRegularFile = errors.New("not a regular file")

// fileErrorResponse returns the response for a file that cannot be served.
// Within a root (inRoot), an error opening it other than a permission
// problem is a 404: the path left the root, or names no file in it.
func fileErrorResponse(err error, inRoot bool) *Response {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return NewResponse(404, nil, "<h3>404 Not Found</h3>")
	case errors.Is(err, fs.ErrPermission), errors.Is(err, errNotRegularFile):
		return NewResponse(403, nil, "<h3>403 Forbidden</h3>")
	case inRoot:
		return NewResponse(404, nil, "<h3>404 Not Found</h3>")
	default:
		return NewResponse(500, nil, "<h3>500 Internal Server Error</h3>")
	}
}

// rangeResult is the outcome of parseSingleRange.
type rangeResult int

const (
	// rangeIgnored: no Range, an invalid one, another unit, or several
	// ranges; the whole representation is sent with 200.
	rangeIgnored rangeResult = iota
	// rangeSatisfiable: send bytes first..last with 206.
	rangeSatisfiable
	// rangeUnsatisfiable: answer 416.
	rangeUnsatisfiable
)

// parseSingleRange interprets a Range header value ("bytes=a-b", "bytes=a-"
// or "bytes=-n") against a representation of size bytes, per RFC 9110
// section 14.
func parseSingleRange(h string, size int64) (first, last int64, res rangeResult) {
	h = strings.Trim(h, " \t")
	const unit = "bytes="
	if len(h) < len(unit) || !strings.EqualFold(h[:len(unit)], unit) {
		return 0, 0, rangeIgnored
	}
	spec := strings.Trim(h[len(unit):], " \t")
	if strings.IndexByte(spec, ',') >= 0 {
		return 0, 0, rangeIgnored // multiple ranges: send the whole
	}
	dash := strings.IndexByte(spec, '-')
	if dash < 0 {
		return 0, 0, rangeIgnored
	}
	a, b := strings.Trim(spec[:dash], " \t"), strings.Trim(spec[dash+1:], " \t")
	if a == "" {
		suffix, ok := parseRangeInt(b)
		if !ok {
			return 0, 0, rangeIgnored
		}
		if suffix == 0 || size == 0 {
			return 0, 0, rangeUnsatisfiable
		}
		return size - min(suffix, size), size - 1, rangeSatisfiable
	}
	first, ok := parseRangeInt(a)
	if !ok {
		return 0, 0, rangeIgnored
	}
	last = math.MaxInt64
	if b != "" {
		if last, ok = parseRangeInt(b); !ok || last < first {
			return 0, 0, rangeIgnored
		}
	}
	if first >= size {
		return 0, 0, rangeUnsatisfiable
	}
	return first, min(last, size-1), rangeSatisfiable
}

// parseRangeInt parses a non-empty run of digits; values too large for an
// int64 saturate at math.MaxInt64 (they are past any file's end anyway).
func parseRangeInt(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxInt64-9)/10 {
			v = math.MaxInt64
			continue
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// closeServed closes a file opened by prepareFile and gives its descriptor
// back to the process's budget.
func closeServed(f *os.File) {
	_ = f.Close()
	fdbudget.Release()
}

// errNoDescriptor: the process's descriptor budget is spent, so a file is
// not opened (opening it could starve the acceptor; see internal/fdbudget).
var errNoDescriptor = errors.New("http: no file descriptor to spare for the file")

// busyResponse answers a file request while no descriptor is to spare.
var busyResponse = NewResponse(503, map[string]string{"Content-Type": "text/plain", "Retry-After": "5"}, "Service Unavailable")

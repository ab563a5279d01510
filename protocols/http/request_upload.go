package http

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"mime"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
)

// multipart/form-data bodies and uploaded files.
//
// A multipart body is read in one pass through a window: the whole body
// when it is in memory (so non-file values are views of it), else a
// multipartWindow-byte buffer over bodyReader. Each part's data is searched
// for "\n--boundary" and handed over in pieces as the window moves, so a
// spooled body of any size is parsed in bounded memory: the window, the
// non-file values (at most MaxMultipartFieldBytes) and the part headers (at
// most MaxPartHeaderBytes each, MaxMultipartParts parts), and in bounded
// time: at most MaxUploadFiles temporary files.
//
// Files follow workerman, whose uploads have a tmp_name: a file part goes to
// a temporary file when the body is not in memory (bodySpooled), or when it
// is larger than MaxUploadMemory; otherwise it is copied into Data. Its
// temporary file belongs to the request, which removes it when it ends
// (removeTempFiles); a garbage-collector cleanup removes any the request
// did not.

// Bounds of multipart/form-data parsing.
const (
	// MaxMultipartParts is the most parts a multipart body may have; more:
	// ErrTooManyParts.
	MaxMultipartParts = 1000
	// MaxUploadFiles is the most file parts a multipart body may have (PHP's
	// max_file_uploads); more: ErrTooManyFiles. A temporary file costs its
	// creation, write, close and removal, 35 to 50 µs each on the 2 vCPUs
	// measured, so this keeps a spooled body of tiny files to about 5 ms.
	MaxUploadFiles = 100
	// MaxMultipartFieldBytes is the most bytes the non-file values of a
	// multipart body may hold in total, since they are kept in memory; more:
	// ErrFormTooLarge. Files do not count.
	MaxMultipartFieldBytes = 1 << 20
	// MaxPartHeaderBytes is the most bytes the header section of one part
	// may have, its ending empty line included; more: ErrPartHeaderTooLarge.
	MaxPartHeaderBytes = 16 << 10
	// MaxUploadMemory is the largest uploaded file kept in memory (in Data)
	// when the body is in memory; a larger one goes to a temporary file
	// (TmpName). Every file of a body spooled to disk goes to a temporary
	// file, whatever its size.
	MaxUploadMemory = 1 << 20

	// multipartWindow is the buffer a spooled multipart body is read
	// through. It holds a whole part header and a delimiter line.
	multipartWindow = 64 << 10
	// multipartMaxBoundary is the longest boundary (RFC 2046, section 5.1.1).
	multipartMaxBoundary = 70
	// multipartMaxPadding is the most white space after a boundary on its
	// line (RFC 2046 "transport-padding") that is looked at.
	multipartMaxPadding = 1024
)

// Errors ParseForm reports about multipart/form-data bodies. Each is a
// shared value: compare with errors.Is, as I/O errors are wrapped.
var (
	// ErrTooManyParts: the multipart body has more than MaxMultipartParts parts.
	ErrTooManyParts = errors.New("http: multipart body has too many parts")
	// ErrTooManyFiles: the multipart body has more than MaxUploadFiles
	// files. The files and values before the extra file are kept.
	ErrTooManyFiles = errors.New("http: multipart body has more than MaxUploadFiles files")
	// ErrNoBoundary: a multipart/form-data Content-Type without a valid
	// boundary parameter (missing, empty, longer than 70 bytes, or in a
	// Content-Type that does not parse).
	ErrNoBoundary = errors.New("http: multipart/form-data without a valid boundary")
	// ErrMalformedMultipart: the body ends before its closing delimiter, a
	// delimiter line has more than white space after the boundary, or a
	// part header line has no colon.
	ErrMalformedMultipart = errors.New("http: malformed multipart body")
	// ErrPartHeaderTooLarge: a part's header section is longer than
	// MaxPartHeaderBytes.
	ErrPartHeaderTooLarge = errors.New("http: multipart part header too large")
)

// UploadedFile is one file of a multipart/form-data body (workerman's
// file(): name, type, size, tmp_name, error). A file part that failed has
// no content and an Error other than UploadErrOK.
//
// The content is either in memory, in Data (TmpName is ""), or in a
// temporary file named TmpName (Data is nil): see MaxUploadMemory for
// which. Open reads it either way.
//
// A temporary file belongs to the request: it is removed when the request
// ends (its response is complete, its connection closes, or its handler
// panics) or is reused for the next request, and Open fails after that.
// To keep an upload, MoveTo its place before then. A Clone of the request
// shares the original's temporary files without owning them: the clone's
// UploadedFile has the same TmpName, valid only as long as the original
// request. Data is the file's own copy, which the request never reuses, and
// Clone copies it.
type UploadedFile struct {
	// Field is the form field name.
	Field string
	// Name is the file name the client gave, without any directory (after
	// the last '/' or '\').
	Name string
	// Type is the part's Content-Type, "" when it has none.
	Type string
	// Size is the length of the content in bytes.
	Size int64
	// Data is the content when it is in memory, nil when it is in TmpName.
	Data []byte
	// TmpName is the path of the temporary file holding the content, ""
	// when the content is in Data.
	TmpName string
	// Error is UploadErrOK for a file received, else why it has no
	// content (PHP's $_FILES[...]['error']).
	Error UploadError

	// tmp is TmpName's removal, shared with copies of the UploadedFile.
	tmp *tempFile
	// owner is the UploadedFile whose request removes tmp: itself, not a
	// copy (a Clone's UploadedFile is a copy).
	owner *UploadedFile
}

// Open returns a reader over the file's content, from its temporary file
// or from Data; each call reads from the start. Close it when done. The
// error is the one os.Open gives for a temporary file already removed (see
// UploadedFile). Open may be called from any goroutine.
func (f *UploadedFile) Open() (io.ReadSeekCloser, error) {
	if f.TmpName != "" {
		fh, err := os.Open(f.TmpName)
		if err != nil {
			return nil, err
		}
		return fh, nil
	}
	return uploadReader{bytes.NewReader(f.Data)}, nil
}

// uploadReader reads an UploadedFile's Data.
type uploadReader struct{ *bytes.Reader }

func (uploadReader) Close() error { return nil }

// tempFile is one upload's temporary file, removed once: by its request's
// removeTempFiles or, when the request never did, by the garbage
// collector's cleanup of its UploadedFile.
type tempFile struct {
	name    string
	removed atomic.Bool // the cleanup runs on another goroutine
}

func (t *tempFile) remove() {
	if t.removed.CompareAndSwap(false, true) {
		_ = os.Remove(t.name) // absent already when the application moved it
	}
}

// setTempFile makes f's content the temporary file name, owned by f.
func (f *UploadedFile) setTempFile(name string) {
	f.TmpName = name
	f.tmp = &tempFile{name: name}
	f.owner = f
	runtime.AddCleanup(f, (*tempFile).remove, f.tmp)
}

// removeTempFiles removes the temporary files of r's uploads. It is
// idempotent, allocates nothing, does nothing on a request without uploads
// (or with a nil ext, or a nil r), and leaves the temporary files a Clone
// shares to the original request.
//
// Hook for the codec: call it when the request ends (its response is
// complete, its connection closes, its handler panics). requestExt.reset
// should call (*requestExt).removeTempFiles too, before it forgets the
// files, for a Request decoded into again.
func (r *Request) removeTempFiles() {
	if r == nil || r.ext == nil {
		return
	}
	r.ext.removeTempFiles()
}

// removeTempFiles removes the temporary files e's uploads own.
func (e *requestExt) removeTempFiles() {
	for _, f := range e.files {
		if f.tmp != nil && f.owner == f {
			f.tmp.remove()
		}
	}
}

// bodySpooled reports whether r's body is held in a temporary file rather
// than in r.buf. Form parsing then reads it only through bodyReader (never
// RawBody), and every uploaded file goes to a temporary file.
func (r *Request) bodySpooled() bool { return r.spooled() != nil }

// uploadDir returns the directory for uploads' temporary files: the
// Protocol's TempDir, set by the codec, or "" meaning os.TempDir().
func (r *Request) uploadDir() string {
	if r.ext == nil {
		return ""
	}
	return r.ext.tempDir
}

// setTempDir records the Protocol's TempDir; it allocates the request's
// requestExt only when there is a directory to record.
func (r *Request) setTempDir(dir string) {
	if dir != "" || r.ext != nil {
		r.extension().tempDir = dir
	}
}

// parseMultipart parses a multipart/form-data body of Content-Type ct into
// e's form values and files, creating temporary files in dir.
func (e *requestExt) parseMultipart(ct string, src formSource, dir string) error {
	_, params, err := mime.ParseMediaType(ct)
	boundary := params["boundary"]
	if err != nil || len(boundary) == 0 || len(boundary) > multipartMaxBoundary {
		return ErrNoBoundary
	}
	m := multipartReader{delim: append([]byte("\n--"), boundary...)}
	if src.rd == nil {
		m.buf, m.w, m.eof = src.mem, len(src.mem), true
	} else {
		m.src = io.LimitReader(src.rd, src.size)
		m.buf = make([]byte, multipartWindow)
	}
	spooled := src.rd != nil
	fieldBytes, files := 0, 0
	final, err := m.nextDelim(nil, true)
	for parts := 0; err == nil && !final; parts++ {
		if parts == MaxMultipartParts {
			return ErrTooManyParts
		}
		var block []byte
		if block, err = m.readHeader(); err != nil {
			return err
		}
		var h partHeader
		if h, err = parsePartHeader(block, !spooled); err != nil {
			return err
		}
		s := partSink{spooled: spooled, fieldBytes: &fieldBytes, dir: dir}
		switch {
		case h.name == "":
			s.kind = sinkDiscard
		case h.file:
			if files++; files > MaxUploadFiles {
				return ErrTooManyFiles
			}
			s.kind = sinkFile
		default:
			s.kind = sinkField
		}
		if final, err = m.nextDelim(&s, false); err == nil {
			err = s.finish(e, &h)
		}
		if err != nil {
			s.abort()
			if s.kind == sinkFile {
				e.files = append(e.files, failedUpload(&h, err))
			}
		}
	}
	return err
}

// multipartReader finds delimiters in a multipart body.
type multipartReader struct {
	src   io.Reader // nil: buf is the whole body, in memory
	buf   []byte
	r, w  int    // buf[r:w] is read and not yet consumed
	eof   bool   // src has nothing more
	err   error  // what ended src, when not io.EOF
	delim []byte // "\n--" + boundary
}

// fill moves the unconsumed bytes to the front of the window, reads more
// after them and reports whether it read any. It reads nothing when the
// window is full.
func (m *multipartReader) fill() bool {
	if m.eof {
		return false
	}
	if m.r > 0 {
		m.w = copy(m.buf, m.buf[m.r:m.w])
		m.r = 0
	}
	for tries := 0; m.w < len(m.buf); tries++ {
		if tries == 100 {
			m.eof, m.err = true, io.ErrNoProgress
			return false
		}
		n, err := m.src.Read(m.buf[m.w:])
		m.w += n
		if err != nil {
			m.eof = true
			if err != io.EOF {
				m.err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// fail is the error for a body that ends, or fills the window, before its
// multipart structure does.
func (m *multipartReader) fail() error {
	if m.err != nil {
		return bodyReadError(m.err)
	}
	return ErrMalformedMultipart
}

// What follows "\n--boundary".
const (
	delimNot   = iota // content: another character follows the boundary
	delimPart         // a delimiter line: a part follows
	delimFinal        // the close delimiter: "--" follows
	delimBad          // white space follows, but no line break after it
	delimMore         // undecided: the bytes that decide are not read yet
)

// delimAt decides what the "\n--boundary" at buf[p] is (p may be m.r-1
// for one at the start of the body, with no line break before it) and,
// for a delimiter, returns the index after its line. As mime/multipart
// does, the boundary followed by "--" closes the body; followed by white
// space or a line break it must end a delimiter line (transport padding,
// then CRLF; LF is accepted); followed by anything else it is content.
func (m *multipartReader) delimAt(p int) (kind, end int) {
	at := p + len(m.delim)
	rest := m.buf[at:m.w]
	if len(rest) == 0 {
		return m.undecided()
	}
	switch rest[0] {
	case '-':
		if len(rest) == 1 {
			return m.undecided()
		}
		if rest[1] == '-' {
			return delimFinal, at + 2
		}
	case ' ', '\t', '\r', '\n':
		k := 0
		for k < len(rest) && k <= multipartMaxPadding && (rest[k] == ' ' || rest[k] == '\t') {
			k++
		}
		switch {
		case k > multipartMaxPadding:
			return delimBad, 0
		case k == len(rest):
			if m.eof {
				return delimBad, 0
			}
			return delimMore, 0
		case rest[k] == '\n':
			return delimPart, at + k + 1
		case rest[k] == '\r' && k+1 == len(rest):
			if m.eof {
				return delimBad, 0
			}
			return delimMore, 0
		case rest[k] == '\r' && rest[k+1] == '\n':
			return delimPart, at + k + 2
		}
		return delimBad, 0
	}
	return delimNot, 0
}

func (m *multipartReader) undecided() (kind, end int) {
	if m.eof {
		return delimNot, 0
	}
	return delimMore, 0
}

// nextDelim hands the bytes before the next delimiter line to sink (nil:
// they are dropped), consumes that line and reports whether it was the
// close delimiter. At the start of the body (preamble), a delimiter needs
// no line break before it, and a bad delimiter line is preamble too.
func (m *multipartReader) nextDelim(sink *partSink, preamble bool) (final bool, err error) {
	dl := len(m.delim)
	if preamble {
		for m.w-m.r < dl+1 && m.fill() {
		}
		if bytes.HasPrefix(m.buf[m.r:m.w], m.delim[1:]) {
			kind, end := m.delimAt(m.r - 1)
			for kind == delimMore && m.fill() {
				kind, end = m.delimAt(m.r - 1)
			}
			if kind == delimPart || kind == delimFinal {
				m.r = end
				return kind == delimFinal, nil
			}
		}
	}
	from := 0 // where to search next, from m.r
	for {
		win := m.buf[m.r:m.w]
		i := bytes.Index(win[from:], m.delim)
		if i < 0 {
			if m.eof {
				return false, m.fail()
			}
			// Hand over all but a tail that may start a delimiter ("\r"
			// and part of m.delim), then read more.
			if keep := len(win) - dl; keep > 0 {
				if err := sink.write(win[:keep]); err != nil {
					return false, err
				}
				m.r += keep
			}
			from = 0
			if !m.fill() && !m.eof {
				return false, m.fail()
			}
			continue
		}
		i += from
		end := i // the data ends before "\r\n" or "\n"
		if end > 0 && win[end-1] == '\r' {
			end--
		}
		kind, next := m.delimAt(m.r + i)
		switch {
		case kind == delimMore:
			// Hand over the data before it, so that its line fits.
			if err := sink.write(win[:end]); err != nil {
				return false, err
			}
			m.r += end
			from = 0
			if !m.fill() && !m.eof {
				return false, m.fail()
			}
			continue
		case kind == delimNot, kind == delimBad && preamble:
			from = i + 1
			continue
		case kind == delimBad:
			return false, ErrMalformedMultipart
		}
		if err := sink.write(win[:end]); err != nil {
			return false, err
		}
		m.r = next
		return kind == delimFinal, nil
	}
}

// readHeader returns the header section of the part at m.r, without the
// empty line that ends it, and consumes both. The section is a view of
// the window, valid until the next read.
func (m *multipartReader) readHeader() ([]byte, error) {
	pos := 0 // where the next line starts, from m.r
	for {
		win := m.buf[m.r:m.w]
		limit := min(len(win), MaxPartHeaderBytes)
		i := bytes.IndexByte(win[pos:limit], '\n')
		if i < 0 {
			if len(win) >= MaxPartHeaderBytes {
				return nil, ErrPartHeaderTooLarge
			}
			if !m.fill() {
				return nil, m.fail()
			}
			continue
		}
		line := win[pos : pos+i]
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			m.r += pos + i + 1
			return win[:pos], nil
		}
		pos += i + 1
	}
}

// partHeader is what form parsing uses of a part's header section.
type partHeader struct {
	name     string // Content-Disposition's name; "" for a part to skip
	filename string // its filename, without directories
	ctype    string // Content-Type
	file     bool   // a file part: a non-empty filename
	noFile   bool   // filename="": with no content, an empty file input
}

// parsePartHeader reads the Content-Disposition and Content-Type fields of
// a part's header section (lines ending in CRLF or LF, obs-fold lines
// joined to the field before). A part without a form-data disposition or
// a name is skipped, as mime/multipart's FormName gives "" for it. With
// view the strings may be views of block (a body in memory); otherwise
// they are copies, since the window moves on.
func parsePartHeader(block []byte, view bool) (partHeader, error) {
	var cd, ctype []byte
	var last *[]byte // the field a continuation line continues
	for len(block) > 0 {
		line := block
		if i := bytes.IndexByte(block, '\n'); i >= 0 {
			line, block = block[:i], block[i+1:]
		} else {
			block = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if last != nil {
				v := append((*last)[:len(*last):len(*last)], ' ')
				*last = append(v, reqTrimOWS(line)...)
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return partHeader{}, ErrMalformedMultipart
		}
		name, value := reqTrimOWS(line[:colon]), reqTrimOWS(line[colon+1:])
		last = nil
		switch {
		case len(name) == 0:
			return partHeader{}, ErrMalformedMultipart
		case cd == nil && reqEqualFoldLower(name, "content-disposition"):
			cd, last = value, &cd
		case ctype == nil && reqEqualFoldLower(name, "content-type"):
			ctype, last = value, &ctype
		}
	}
	if cd == nil {
		return partHeader{}, nil
	}
	str := func(b []byte) string {
		if view {
			return reqView(b)
		}
		return string(b)
	}
	disp, params, err := mime.ParseMediaType(str(cd))
	if err != nil || disp != "form-data" {
		return partHeader{}, nil
	}
	h := partHeader{name: params["name"], ctype: str(ctype)}
	if fn, ok := params["filename"]; ok && fn == "" {
		h.noFile = true
	} else if fn != "" {
		h.file = true
		h.filename = fn[strings.LastIndexAny(fn, `/\`)+1:]
	}
	return h, nil
}

// What a part's data is for.
const (
	sinkDiscard = iota
	sinkField
	sinkFile
)

// partSink takes a part's data as nextDelim hands it over: the whole data
// at once for a body in memory, in pieces for a spooled one.
type partSink struct {
	kind       uint8
	spooled    bool // the body is not in memory
	fieldBytes *int // non-file bytes of the body so far
	dir        string

	val   []byte // a field's value: a view of the body in memory, or owned
	owned bool   // val is a copy

	file *os.File // a file's temporary file, once created
	data []byte   // a file's content while in memory
	size int64
}

func (s *partSink) write(p []byte) error {
	if s == nil || len(p) == 0 {
		return nil
	}
	switch s.kind {
	case sinkField:
		if len(p) > MaxMultipartFieldBytes-*s.fieldBytes {
			return ErrFormTooLarge
		}
		*s.fieldBytes += len(p)
		switch {
		case !s.spooled && s.val == nil:
			s.val = p
		case !s.owned:
			s.val = append(append(make([]byte, 0, len(s.val)+len(p)), s.val...), p...)
			s.owned = true
		default:
			s.val = append(s.val, p...)
		}
	case sinkFile:
		if s.file == nil {
			if !s.spooled && s.size+int64(len(p)) <= MaxUploadMemory {
				s.data = append(s.data, p...)
				s.size += int64(len(p))
				return nil
			}
			if err := s.create(); err != nil {
				return err
			}
			if len(s.data) > 0 {
				if _, err := s.file.Write(s.data); err != nil {
					return uploadError(err)
				}
				s.data = nil
			}
		}
		if _, err := s.file.Write(p); err != nil {
			return uploadError(err)
		}
		s.size += int64(len(p))
	}
	return nil
}

func (s *partSink) create() error {
	f, err := os.CreateTemp(s.dir, "gnetworker-upload-*")
	if err != nil {
		return uploadError(err)
	}
	s.file = f
	return nil
}

func uploadError(err error) error {
	return &uploadWriteError{err}
}

// uploadWriteError is a failure to create or write an upload's temporary
// file.
type uploadWriteError struct{ err error }

func (e *uploadWriteError) Error() string {
	return "http: writing an upload's temporary file: " + e.err.Error()
}

func (e *uploadWriteError) Unwrap() error { return e.err }

// failedUpload is the entry of a file part that err stopped: no content,
// and PHP's error code for why.
func failedUpload(h *partHeader, err error) *UploadedFile {
	f := &UploadedFile{
		Field: strings.Clone(h.name),
		Name:  strings.Clone(h.filename),
		Type:  strings.Clone(h.ctype),
		Error: UploadErrPartial,
	}
	var we *uploadWriteError
	if errors.As(err, &we) {
		f.Error = UploadErrCantWrite
		if errors.Is(err, fs.ErrNotExist) {
			f.Error = UploadErrNoTmpDir
		}
	}
	return f
}

// finish adds the part to e: a field's value or a file.
func (s *partSink) finish(e *requestExt, h *partHeader) error {
	switch s.kind {
	case sinkField:
		if h.noFile && len(s.val) == 0 {
			e.files = append(e.files, &UploadedFile{Field: strings.Clone(h.name), Error: UploadErrNoFile})
			break
		}
		e.form = append(e.form, FormValue{h.name, reqView(s.val)})
	case sinkFile:
		f := &UploadedFile{
			Field: strings.Clone(h.name),
			Name:  strings.Clone(h.filename),
			Type:  strings.Clone(h.ctype),
			Size:  s.size,
		}
		if s.file == nil && s.spooled {
			if err := s.create(); err != nil {
				return err
			}
		}
		if s.file == nil {
			f.Data = s.data
			if f.Data == nil {
				f.Data = []byte{}
			}
		} else {
			name := s.file.Name()
			err := s.file.Close()
			s.file = nil
			if err != nil {
				_ = os.Remove(name)
				return uploadError(err)
			}
			f.setTempFile(name)
		}
		e.files = append(e.files, f)
	}
	return nil
}

// abort removes a temporary file the part's data was going to.
func (s *partSink) abort() {
	if s.file != nil {
		name := s.file.Name()
		_ = s.file.Close()
		_ = os.Remove(name)
		s.file = nil
	}
}

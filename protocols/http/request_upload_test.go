package http

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"mime/multipart"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mpPart is one part of a test multipart body.
type mpPart struct {
	name, filename, ctype, data string
	header                      string // when set, the part's whole header block
}

// mpBody builds a multipart/form-data body with CRLF line breaks.
func mpBody(boundary string, parts ...mpPart) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\n")
		if p.header != "" {
			b.WriteString(p.header)
		} else {
			b.WriteString(`Content-Disposition: form-data; name="` + p.name + `"`)
			if p.filename != "" {
				b.WriteString(`; filename="` + p.filename + `"`)
			}
			b.WriteString("\r\n")
			if p.ctype != "" {
				b.WriteString("Content-Type: " + p.ctype + "\r\n")
			}
		}
		b.WriteString("\r\n" + p.data + "\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes()
}

// pattern returns n bytes that are not all alike and hold line breaks and
// dashes, as binary uploads do.
func pattern(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = "ab\r\n-c-\n\rd--"[i%12] + byte(i/12%7)
	}
	return string(b)
}

// tempDirEntries lists dir.
func tempDirEntries(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// readUpload reads f through Open.
func readUpload(t testing.TB, f *UploadedFile) string {
	t.Helper()
	rc, err := f.Open()
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

const mpType = "multipart/form-data; boundary=XyZ"

func TestUploadTempFileLifecycle(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	big := pattern(MaxUploadMemory + 1)
	edge := pattern(MaxUploadMemory)
	body := mpBody("XyZ",
		mpPart{name: "title", data: "hello"},
		mpPart{name: "small", filename: "a.txt", ctype: "text/plain", data: "small"},
		mpPart{name: "edge", filename: "e.bin", data: edge},
		mpPart{name: "big", filename: "b.bin", ctype: "application/octet-stream", data: big},
		mpPart{name: "empty", filename: "z.txt"},
	)
	r := formRequest(t, mpType, body)
	require.NoError(t, r.ParseForm())
	assert.Equal(t, "hello", r.Post("title"))
	require.Len(t, r.Files(), 4)

	small := r.File("small")
	require.NotNil(t, small)
	assert.Equal(t, UploadedFile{Field: "small", Name: "a.txt", Type: "text/plain", Size: 5, Data: []byte("small")},
		UploadedFile{Field: small.Field, Name: small.Name, Type: small.Type, Size: small.Size, Data: small.Data, TmpName: small.TmpName})
	assert.Equal(t, "small", readUpload(t, small))

	// At the threshold a file stays in memory, above it goes to a file.
	assert.Equal(t, "", r.File("edge").TmpName)
	assert.Equal(t, edge, string(r.File("edge").Data))
	empty := r.File("empty")
	assert.Equal(t, int64(0), empty.Size)
	assert.NotNil(t, empty.Data, "an empty in-memory file has empty, non-nil Data")
	assert.Equal(t, "", readUpload(t, empty))

	f := r.File("big")
	require.NotNil(t, f)
	assert.Nil(t, f.Data)
	assert.Equal(t, int64(len(big)), f.Size)
	assert.Equal(t, "b.bin", f.Name)
	assert.Equal(t, "application/octet-stream", f.Type)
	require.NotEmpty(t, f.TmpName)
	assert.Equal(t, dir, filepath.Dir(f.TmpName))
	content, err := os.ReadFile(f.TmpName)
	require.NoError(t, err)
	assert.True(t, string(content) == big, "temporary file content")
	assert.True(t, readUpload(t, f) == big, "Open content")
	rc, err := f.Open()
	require.NoError(t, err)
	_, err = rc.Seek(int64(len(big)-3), io.SeekStart)
	require.NoError(t, err)
	tail, _ := io.ReadAll(rc)
	assert.Equal(t, big[len(big)-3:], string(tail))
	require.NoError(t, rc.Close())
	assert.Len(t, tempDirEntries(t, dir), 1)

	r.removeTempFiles()
	_, err = os.Stat(f.TmpName)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Empty(t, tempDirEntries(t, dir))
	_, err = f.Open()
	assert.ErrorIs(t, err, fs.ErrNotExist)
	r.removeTempFiles() // idempotent

	// Cheap and safe when there is nothing to remove.
	(&Request{}).removeTempFiles()
	var none *Request
	none.removeTempFiles()
	plain := decodeOne(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	assert.Zero(t, testing.AllocsPerRun(10, plain.removeTempFiles))
	assert.Nil(t, plain.ext)
}

func TestUploadSpooledGoesToTempFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	big := pattern(3*multipartWindow + 17)
	body := mpBody("XyZ",
		mpPart{name: "title", data: "hello\r\n--XyZx not a boundary"},
		mpPart{name: "small", filename: "a.txt", ctype: "text/plain", data: "small"},
		mpPart{name: "empty", filename: "z.txt"},
		mpPart{name: "big", filename: "b.bin", data: big},
		mpPart{name: "after", data: "x"},
	)
	r := formRequest(t, mpType, body)
	for name, rd := range map[string]io.Reader{
		"whole":   bytes.NewReader(body),
		"bytes":   iotest.OneByteReader(bytes.NewReader(body)),
		"halves":  iotest.HalfReader(bytes.NewReader(body)),
		"dataerr": iotest.DataErrReader(bytes.NewReader(body)),
	} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, parseSpooled(r, rd, int64(len(body))))
			assert.Equal(t, []FormValue{{"title", "hello\r\n--XyZx not a boundary"}, {"after", "x"}}, r.PostValues())
			require.Len(t, r.Files(), 3)
			for _, f := range r.Files() {
				assert.Nil(t, f.Data, f.Field)
				assert.NotEmpty(t, f.TmpName, "every file of a spooled body has a temporary file")
			}
			assert.Equal(t, "small", readUpload(t, r.File("small")))
			assert.Equal(t, "", readUpload(t, r.File("empty")))
			assert.True(t, readUpload(t, r.File("big")) == big)
			assert.Equal(t, int64(len(big)), r.File("big").Size)
			assert.Len(t, tempDirEntries(t, dir), 3)
			r.removeTempFiles()
			assert.Empty(t, tempDirEntries(t, dir))
		})
	}
}

func TestUploadCloneDoesNotOwnTempFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	big := pattern(MaxUploadMemory + 100)
	body := mpBody("XyZ", mpPart{name: "big", filename: "b.bin", data: big}, mpPart{name: "s", filename: "s", data: "s"})
	r := formRequest(t, mpType, body)
	require.NoError(t, r.ParseForm())
	c := r.Clone()
	cf := c.File("big")
	require.NotNil(t, cf)
	assert.Equal(t, r.File("big").TmpName, cf.TmpName, "the clone shares the temporary file")
	assert.NotSame(t, r.File("big"), cf)
	assert.Equal(t, "s", string(c.File("s").Data))

	c.removeTempFiles()
	assert.True(t, readUpload(t, cf) == big, "the clone does not remove the original's file")
	r.removeTempFiles()
	assert.Empty(t, tempDirEntries(t, dir), "the original does")
}

// A request that is dropped or decoded into again without removeTempFiles
// still loses its temporary files, once the garbage collector runs.
func TestUploadTempFileBackstop(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	body := mpBody("XyZ", mpPart{name: "big", filename: "b.bin", data: pattern(MaxUploadMemory + 1)})
	for _, reuse := range []bool{false, true} {
		var kept *Request
		func() {
			r := formRequest(t, mpType, body)
			require.NoError(t, r.ParseForm())
			require.Len(t, tempDirEntries(t, dir), 1)
			if reuse {
				p := NewParser(Limits{})
				raw := []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
				_, err := p.Input(raw)
				require.NoError(t, err)
				require.NoError(t, p.Decode(raw, r))
				kept = r
			}
		}()
		deadline := time.Now().Add(10 * time.Second)
		for len(tempDirEntries(t, dir)) > 0 && time.Now().Before(deadline) {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
		assert.Empty(t, tempDirEntries(t, dir), "reuse=%v", reuse)
		runtime.KeepAlive(kept)
	}
}

func TestUploadTempDirFailure(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	body := mpBody("XyZ", mpPart{name: "t", data: "v"}, mpPart{name: "big", filename: "b.bin", data: pattern(MaxUploadMemory + 1)})
	r := formRequest(t, mpType, body)
	err := r.ParseForm()
	assert.ErrorIs(t, err, fs.ErrNotExist)
	require.NotNil(t, r.File("big"), "the failed upload is listed, as PHP's $_FILES does")
	assert.Equal(t, UploadErrNoTmpDir, r.File("big").Error)
	assert.Equal(t, "", r.File("big").TmpName)
	assert.Equal(t, "v", r.Post("t"), "values before the error are kept")
	r.removeTempFiles()
}

func TestUploadFailureRemovesPartialFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	body := mpBody("XyZ",
		mpPart{name: "one", filename: "1", data: "first"},
		mpPart{name: "two", filename: "2", data: pattern(5 * multipartWindow)},
	)
	cut := body[:len(body)-2*multipartWindow]
	r := formRequest(t, mpType, body)

	// Truncated in the second file.
	err := parseSpooled(r, bytes.NewReader(cut), int64(len(body)))
	assert.ErrorIs(t, err, ErrMalformedMultipart)
	require.Len(t, r.Files(), 2)
	assert.Equal(t, "first", readUpload(t, r.File("one")))
	assert.Equal(t, UploadErrPartial, r.File("two").Error, "listed without content, as PHP's $_FILES")
	assert.Len(t, tempDirEntries(t, dir), 1, "the partial file is removed at once")
	r.removeTempFiles()
	assert.Empty(t, tempDirEntries(t, dir))

	// A read error in the second file.
	rd := io.MultiReader(bytes.NewReader(cut), iotest.ErrReader(iotest.ErrTimeout))
	err = parseSpooled(r, rd, int64(len(body)))
	assert.ErrorIs(t, err, iotest.ErrTimeout)
	assert.Len(t, tempDirEntries(t, dir), 1)
	r.removeTempFiles()
	assert.Empty(t, tempDirEntries(t, dir))
}

// spooledAndMemory parses body both ways and returns the two errors.
func spooledAndMemory(t *testing.T, ctype string, body []byte) (mem, spooled error) {
	r := formRequest(t, ctype, body)
	mem = r.ParseForm()
	r.removeTempFiles()
	spooled = parseSpooled(r, iotest.HalfReader(bytes.NewReader(body)), int64(len(body)))
	r.removeTempFiles()
	return mem, spooled
}

func TestMultipartCaps(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	half := strings.Repeat("v", MaxMultipartFieldBytes/2)
	atCap := mpBody("XyZ", mpPart{name: "a", data: half}, mpPart{name: "f", filename: "f", data: half + half}, mpPart{name: "b", data: half})
	mem, spooled := spooledAndMemory(t, mpType, atCap)
	assert.NoError(t, mem)
	assert.NoError(t, spooled)
	over := mpBody("XyZ", mpPart{name: "a", data: half}, mpPart{name: "b", data: half + "v"})
	mem, spooled = spooledAndMemory(t, mpType, over)
	assert.ErrorIs(t, mem, ErrFormTooLarge)
	assert.ErrorIs(t, spooled, ErrFormTooLarge)

	longHeader := "Content-Disposition: form-data; name=\"a\"\r\nX-Pad: " + strings.Repeat("p", MaxPartHeaderBytes) + "\r\n"
	mem, spooled = spooledAndMemory(t, mpType, mpBody("XyZ", mpPart{header: longHeader, data: "x"}))
	assert.ErrorIs(t, mem, ErrPartHeaderTooLarge)
	assert.ErrorIs(t, spooled, ErrPartHeaderTooLarge)
	fits := "Content-Disposition: form-data; name=\"a\"\r\nX-Pad: " + strings.Repeat("p", MaxPartHeaderBytes-200) + "\r\n"
	mem, spooled = spooledAndMemory(t, mpType, mpBody("XyZ", mpPart{header: fits, data: "x"}))
	assert.NoError(t, mem)
	assert.NoError(t, spooled)

	// A 10 MiB header line costs neither memory nor much reading.
	huge := append([]byte("--XyZ\r\nContent-Disposition: form-data; name=\"a\"; x=\""), bytes.Repeat([]byte("h"), 10<<20)...)
	r := formRequest(t, mpType, huge)
	var err error
	n := bytesAllocated(func() { err = r.ParseForm() })
	assert.ErrorIs(t, err, ErrPartHeaderTooLarge)
	assert.Less(t, n, uint64(64<<10))
	rd := &countingReader{r: bytes.NewReader(huge)}
	n = bytesAllocated(func() { err = parseSpooled(r, rd, int64(len(huge))) })
	assert.ErrorIs(t, err, ErrPartHeaderTooLarge)
	assert.Less(t, rd.n, int64(MaxPartHeaderBytes+2*multipartWindow))
	assert.Less(t, n, uint64(2*multipartWindow+64<<10))

	// Boundaries: 1 to 70 characters (RFC 2046, section 5.1.1).
	b70 := strings.Repeat("b", 70)
	mem, spooled = spooledAndMemory(t, "multipart/form-data; boundary="+b70, mpBody(b70, mpPart{name: "a", data: "1"}))
	assert.NoError(t, mem)
	assert.NoError(t, spooled)
	b71 := b70 + "b"
	mem, spooled = spooledAndMemory(t, "multipart/form-data; boundary="+b71, mpBody(b71, mpPart{name: "a", data: "1"}))
	assert.ErrorIs(t, mem, ErrNoBoundary)
	assert.ErrorIs(t, spooled, ErrNoBoundary)

	// Files: MaxUploadFiles, whether in memory or in temporary files.
	var files []mpPart
	for i := 0; i < MaxUploadFiles; i++ {
		files = append(files, mpPart{name: "f" + strconv.Itoa(i), filename: "x", data: "tiny"})
	}
	mem, spooled = spooledAndMemory(t, mpType, mpBody("XyZ", files...))
	assert.NoError(t, mem)
	assert.NoError(t, spooled)
	files = append(files, mpPart{name: "over", filename: "x", data: "tiny"}, mpPart{name: "after", data: "v"})
	r = formRequest(t, mpType, mpBody("XyZ", files...))
	assert.ErrorIs(t, r.ParseForm(), ErrTooManyFiles)
	assert.Len(t, r.Files(), MaxUploadFiles, "the files before are kept")
	assert.Equal(t, "", r.Post("after"))
	assert.ErrorIs(t, parseSpooled(r, bytes.NewReader(mpBody("XyZ", files...)), int64(len(mpBody("XyZ", files...)))), ErrTooManyFiles)
	assert.Len(t, r.Files(), MaxUploadFiles)
	r.removeTempFiles()

	// Parts are counted whether named or not.
	var many bytes.Buffer
	for i := 0; i <= MaxMultipartParts; i++ {
		many.WriteString("--XyZ\r\n\r\nv\r\n")
	}
	many.WriteString("--XyZ--")
	mem, spooled = spooledAndMemory(t, mpType, many.Bytes())
	assert.ErrorIs(t, mem, ErrTooManyParts)
	assert.ErrorIs(t, spooled, ErrTooManyParts)
}

// mimeReference is what mime/multipart makes of a body: fields (in order)
// and files by field.
func mimeReference(t testing.TB, boundary string, body []byte) ([]FormValue, map[string]string) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var fields []FormValue
	files := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return fields, files
		}
		require.NoError(t, err)
		data, err := io.ReadAll(p)
		require.NoError(t, err)
		switch {
		case p.FormName() == "":
		case p.FileName() != "":
			files[p.FormName()+"/"+p.FileName()] = string(data)
		default:
			fields = append(fields, FormValue{p.FormName(), string(data)})
		}
	}
}

var validMultipart = []string{
	"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B--\r\n",
	"--B--\r\n",
	"--B--",
	"preamble\r\nmore\r\n--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--B--\r\nepilogue --B\r\n",
	"--B \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B\t\r\n\r\n2\r\n--B--",
	"--B\nContent-Disposition: form-data; name=\"a\"\n\nline\none\n--B\ncontent-disposition: form-data; name=\"f\"; filename=\"dir/x.txt\"\ncontent-type: text/plain\n\nfile\n--B--\n",
	"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--B\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n--Bx\r\n--B-y\r\n\r\n--B--\r\n",
	"--B\r\nContent-Disposition: attachment; name=\"skipped\"\r\n\r\n1\r\n--B\r\n\r\nno header\r\n--B\r\nContent-Disposition: form-data; name=\"ok\"\r\n\r\n2\r\n--B--\r\n",
	"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\nnot a file\r\n--B--\r\n",
	"--B\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''%E2%82%AC.txt\r\n\r\neuro\r\n--B--\r\n",
	"--B\r\nContent-Disposition: form-data;\r\n name=\"folded\"\r\n\r\nv\r\n--B--\r\n",
	"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ny\r\n--B--\r\n",
	"--B\r\nContent-Disposition: form-data; name=\"bad; \r\n\r\nx\r\n--B--\r\n",
	"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xff\x00--B\r\n--B--\r\n",
}

func TestMultipartMatchesMimeMultipart(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	for _, body := range validMultipart {
		fields, files := mimeReference(t, "B", []byte(body))
		r := formRequest(t, "multipart/form-data; boundary=B", []byte(body))
		check := func(mode string) {
			if len(fields) == 0 {
				assert.Empty(t, r.PostValues(), "%s %q", mode, body)
			} else {
				assert.Equal(t, fields, r.PostValues(), "%s %q", mode, body)
			}
			got := map[string]string{}
			for _, f := range r.Files() {
				got[f.Field+"/"+f.Name] = readUpload(t, f)
			}
			assert.Equal(t, files, got, "%s %q", mode, body)
		}
		require.NoError(t, r.ParseForm(), "%q", body)
		check("memory")
		require.NoError(t, parseSpooled(r, iotest.OneByteReader(strings.NewReader(body)), int64(len(body))), "%q", body)
		check("spooled")
		r.removeTempFiles()
	}
}

func TestMultipartFileNames(t *testing.T) {
	for in, want := range map[string]string{
		"a.txt": "a.txt", "dir/a.txt": "a.txt", `C:\Users\me\a.txt`: "a.txt", "../../etc/passwd": "passwd",
	} {
		r := formRequest(t, "multipart/form-data; boundary=B", mpBody("B", mpPart{name: "f", filename: in, data: "x"}))
		require.NoError(t, r.ParseForm())
		require.NotNil(t, r.File("f"), in)
		assert.Equal(t, want, r.File("f").Name, in)
	}
}

var malformedMultipart = []string{
	"x",
	"--B",
	"--B\r\n",
	"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n",
	"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue",
	"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--B",
	"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--B-",
	"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--B\r",
	"--B\r\nno colon here\r\n\r\nx\r\n--B--",
	"--B\r\n: empty name\r\n\r\nx\r\n--B--",
	"--Bx\r\n\r\n--B",
	"--B-x\r\n",
	"\r\n\r\n\r\n",
	"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n" + strings.Repeat("-", 300),
}

func TestMultipartMalformed(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	for _, body := range malformedMultipart {
		mem, spooled := spooledAndMemory(t, "multipart/form-data; boundary=B", []byte(body))
		assert.ErrorIs(t, mem, ErrMalformedMultipart, "%q", body)
		assert.ErrorIs(t, spooled, ErrMalformedMultipart, "%q", body)
	}
	for _, ct := range []string{"multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary", "multipart/form-data; boundary=\"a"} {
		r := formRequest(t, ct, []byte("--a--"))
		assert.ErrorIs(t, r.ParseForm(), ErrNoBoundary, ct)
	}
}

// FuzzMultipartForm parses arbitrary bodies in memory and spooled (a byte
// at a time): never a panic, the same outcome both ways, and no temporary
// file left after removeTempFiles.
func FuzzMultipartForm(f *testing.F) {
	for _, s := range append(append([]string{}, validMultipart...), malformedMultipart...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 {
			return
		}
		r := formRequest(t, "multipart/form-data; boundary=B", body)
		memErr := r.ParseForm()
		memFields := append([]FormValue(nil), r.PostValues()...)
		var memFiles []string
		for _, f := range r.Files() {
			memFiles = append(memFiles, f.Field+"/"+f.Name+"="+readUpload(t, f))
		}
		r.removeTempFiles()

		spoolErr := parseSpooled(r, iotest.OneByteReader(bytes.NewReader(body)), int64(len(body)))
		if !errors.Is(memErr, spoolErr) && !errors.Is(spoolErr, memErr) {
			t.Fatalf("%q: memory %v, spooled %v", body, memErr, spoolErr)
		}
		if spooledFields := r.PostValues(); !(len(memFields) == 0 && len(spooledFields) == 0) && !assert.ObjectsAreEqual(memFields, spooledFields) {
			t.Fatalf("%q: fields memory %q, spooled %q", body, memFields, spooledFields)
		}
		var names []string
		if len(r.Files()) != len(memFiles) {
			t.Fatalf("%q: %d files in memory, %d spooled", body, len(memFiles), len(r.Files()))
		}
		for i, f := range r.Files() {
			if f.Field+"/"+f.Name+"="+readUpload(t, f) != memFiles[i] {
				t.Fatalf("%q: file %d differs", body, i)
			}
			names = append(names, f.TmpName)
		}
		r.removeTempFiles()
		for _, n := range names {
			if _, err := os.Stat(n); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("%s left behind: %v", n, err)
			}
		}
	})
}

func TestUploadOpenInMemory(t *testing.T) {
	f := &UploadedFile{Data: []byte("hello"), Size: 5}
	rc, err := f.Open()
	require.NoError(t, err)
	_, err = rc.Seek(1, io.SeekStart)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, "ello", string(b))
	assert.NoError(t, rc.Close())

	_, err = (&UploadedFile{TmpName: filepath.Join(t.TempDir(), "gone")}).Open()
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestUploadFileOrder(t *testing.T) {
	body := mpBody("B",
		mpPart{name: "f", filename: "1", data: "one"},
		mpPart{name: "g", filename: "2", data: "two"},
		mpPart{name: "f", filename: "3", data: "three"},
	)
	r := formRequest(t, "multipart/form-data; boundary=B", body)
	require.NoError(t, r.ParseForm())
	require.Len(t, r.Files(), 3)
	assert.Equal(t, "1", r.File("f").Name, "File returns the first")
	for i, f := range r.Files() {
		assert.Equal(t, strconv.Itoa(i+1), f.Name)
	}
}

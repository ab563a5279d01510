package http

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An empty file input: browsers send filename="" and no content; PHP lists
// it with UPLOAD_ERR_NO_FILE.
func TestUploadNoFile(t *testing.T) {
	body := mpBody("XyZ",
		mpPart{header: "Content-Disposition: form-data; name=\"f\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n"},
		mpPart{name: "t", data: "v"},
	)
	r := formRequest(t, mpType, body)
	require.NoError(t, r.ParseForm())
	f := r.File("f")
	require.NotNil(t, f)
	assert.Equal(t, UploadErrNoFile, f.Error)
	assert.Equal(t, int64(0), f.Size)
	assert.Equal(t, "", r.Post("f"), "not a field")
	assert.Len(t, r.PostValues(), 1)
	assert.ErrorIs(t, f.MoveTo(filepath.Join(t.TempDir(), "x")), ErrUploadFailed)
	assert.Equal(t, "UPLOAD_ERR_NO_FILE", f.Error.String())
}

// A body that ends inside a file part: UPLOAD_ERR_PARTIAL, no content.
func TestUploadPartial(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	body := "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.bin\"\r\n\r\n" + pattern(3*multipartWindow)
	r := formRequest(t, mpType, []byte(body))
	assert.ErrorIs(t, r.ParseForm(), ErrMalformedMultipart)
	f := r.File("f")
	require.NotNil(t, f)
	assert.Equal(t, UploadErrPartial, f.Error)
	assert.Equal(t, "", f.TmpName)
	assert.Nil(t, f.Data)
	assert.Equal(t, "1", r.Post("a"))

	require.ErrorIs(t, parseSpooled(r, strings.NewReader(body), int64(len(body))), ErrMalformedMultipart)
	require.NotNil(t, r.File("f"))
	assert.Equal(t, UploadErrPartial, r.File("f").Error)
	assert.Empty(t, tempDirEntries(t, os.Getenv("TMPDIR")), "the partial temporary file is removed")
}

// A temporary directory that cannot hold files: UPLOAD_ERR_CANT_WRITE.
func TestUploadCantWrite(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o600))
	t.Setenv("TMPDIR", notDir)
	r := formRequest(t, mpType, mpBody("XyZ", mpPart{name: "big", filename: "b", data: pattern(MaxUploadMemory + 1)}))
	assert.Error(t, r.ParseForm())
	require.NotNil(t, r.File("big"))
	assert.Equal(t, UploadErrCantWrite, r.File("big").Error)
}

func TestUploadErrorStrings(t *testing.T) {
	for code, want := range map[UploadError]string{
		UploadErrOK: "UPLOAD_ERR_OK", UploadErrIniSize: "UPLOAD_ERR_INI_SIZE", UploadErrFormSize: "UPLOAD_ERR_FORM_SIZE",
		UploadErrPartial: "UPLOAD_ERR_PARTIAL", UploadErrNoFile: "UPLOAD_ERR_NO_FILE", UploadErrNoTmpDir: "UPLOAD_ERR_NO_TMP_DIR",
		UploadErrCantWrite: "UPLOAD_ERR_CANT_WRITE", UploadErrExtension: "UPLOAD_ERR_EXTENSION", UploadError(5): "UploadError(5)",
	} {
		assert.Equal(t, want, code.String())
	}
	// PHP's values, which ported code compares with.
	assert.Equal(t, []int{0, 1, 2, 3, 4, 6, 7, 8}, []int{int(UploadErrOK), int(UploadErrIniSize), int(UploadErrFormSize),
		int(UploadErrPartial), int(UploadErrNoFile), int(UploadErrNoTmpDir), int(UploadErrCantWrite), int(UploadErrExtension)})
}

func TestUploadMoveTo(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dst := t.TempDir()
	big := pattern(MaxUploadMemory + 1)
	r := formRequest(t, mpType, mpBody("XyZ",
		mpPart{name: "small", filename: "s.txt", data: "small"},
		mpPart{name: "big", filename: "b.bin", data: big},
		mpPart{name: "other", filename: "o.bin", data: big},
	))
	require.NoError(t, r.ParseForm())

	// In memory: written out.
	small := r.File("small")
	require.NoError(t, small.MoveTo(filepath.Join(dst, "s.txt")))
	got, err := os.ReadFile(filepath.Join(dst, "s.txt"))
	require.NoError(t, err)
	assert.Equal(t, "small", string(got))

	// A temporary file: renamed; Open reads it at its new place, and the
	// request's end leaves it alone.
	f := r.File("big")
	tmpName := f.TmpName
	require.NoError(t, f.MoveTo(filepath.Join(dst, "b.bin")))
	assert.NoFileExists(t, tmpName)
	assert.Equal(t, filepath.Join(dst, "b.bin"), f.TmpName)
	assert.Equal(t, big, readUpload(t, f))
	st, err := os.Stat(filepath.Join(dst, "b.bin"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())

	// Across file systems: copied, then the temporary file removed.
	renameFile = func(string, string) error { return &os.LinkError{Op: "rename", Err: syscall.EXDEV} }
	defer func() { renameFile = os.Rename }()
	o := r.File("other")
	oldName := o.TmpName
	require.NoError(t, o.MoveTo(filepath.Join(dst, "o.bin")))
	assert.NoFileExists(t, oldName)
	got, err = os.ReadFile(filepath.Join(dst, "o.bin"))
	require.NoError(t, err)
	assert.Equal(t, big, string(got))

	// Any other rename error is returned, and the upload stays.
	renameFile = os.Rename
	r2 := formRequest(t, mpType, mpBody("XyZ", mpPart{name: "big", filename: "b.bin", data: big}))
	require.NoError(t, r2.ParseForm())
	assert.Error(t, r2.File("big").MoveTo(filepath.Join(dst, "missing", "b.bin")))
	assert.FileExists(t, r2.File("big").TmpName)
	assert.Error(t, (&UploadedFile{Data: []byte("x")}).MoveTo(filepath.Join(dst, "missing", "x")))

	r.removeTempFiles()
	r2.removeTempFiles()
	assert.FileExists(t, filepath.Join(dst, "b.bin"))
	assert.FileExists(t, filepath.Join(dst, "o.bin"))
	assert.Empty(t, tempDirEntries(t, tmp))
}

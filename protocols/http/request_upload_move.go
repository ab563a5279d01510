package http

import (
	"errors"
	"io"
	"os"
	"strconv"
	"syscall"
)

// UploadError is why an upload has no content, with PHP's UPLOAD_ERR_*
// values (https://www.php.net/manual/en/features.file-upload.errors.php),
// which ported code compares with. It is UploadedFile.Error.
type UploadError int

// The upload errors. Only UploadErrOK files have content; the others have
// no Data and no TmpName, and Size 0.
const (
	// UploadErrOK (UPLOAD_ERR_OK, 0): the file was received.
	UploadErrOK UploadError = 0
	// UploadErrIniSize (UPLOAD_ERR_INI_SIZE, 1) is never set: a body over
	// the Protocol's limits is refused whole (413) before it is parsed.
	UploadErrIniSize UploadError = 1
	// UploadErrFormSize (UPLOAD_ERR_FORM_SIZE, 2) is never set: the
	// MAX_FILE_SIZE form field PHP reads is not looked at.
	UploadErrFormSize UploadError = 2
	// UploadErrPartial (UPLOAD_ERR_PARTIAL, 3): the body ended inside the
	// file's part (no closing delimiter), or reading a spooled body failed
	// there. ParseForm reports the error.
	UploadErrPartial UploadError = 3
	// UploadErrNoFile (UPLOAD_ERR_NO_FILE, 4): an empty file input, a part
	// with filename="" and no content (what browsers send). A part with
	// filename="" and content stays a field, as mime/multipart has it.
	UploadErrNoFile UploadError = 4
	// UploadErrNoTmpDir (UPLOAD_ERR_NO_TMP_DIR, 6): the temporary file
	// could not be created because its directory does not exist. ParseForm
	// reports the error and stops there.
	UploadErrNoTmpDir UploadError = 6
	// UploadErrCantWrite (UPLOAD_ERR_CANT_WRITE, 7): creating or writing
	// the temporary file failed otherwise. ParseForm reports the error and
	// stops there.
	UploadErrCantWrite UploadError = 7
	// UploadErrExtension (UPLOAD_ERR_EXTENSION, 8) is never set (PHP: an
	// extension stopped the upload).
	UploadErrExtension UploadError = 8
)

// String returns the PHP constant's name, such as "UPLOAD_ERR_NO_FILE".
func (e UploadError) String() string {
	switch e {
	case UploadErrOK:
		return "UPLOAD_ERR_OK"
	case UploadErrIniSize:
		return "UPLOAD_ERR_INI_SIZE"
	case UploadErrFormSize:
		return "UPLOAD_ERR_FORM_SIZE"
	case UploadErrPartial:
		return "UPLOAD_ERR_PARTIAL"
	case UploadErrNoFile:
		return "UPLOAD_ERR_NO_FILE"
	case UploadErrNoTmpDir:
		return "UPLOAD_ERR_NO_TMP_DIR"
	case UploadErrCantWrite:
		return "UPLOAD_ERR_CANT_WRITE"
	case UploadErrExtension:
		return "UPLOAD_ERR_EXTENSION"
	}
	return "UploadError(" + strconv.Itoa(int(e)) + ")"
}

// ErrUploadFailed is MoveTo's error for an upload whose Error is not
// UploadErrOK: there is no content to move.
var ErrUploadFailed = errors.New("http: the upload failed, there is nothing to move (see UploadedFile.Error)")

// renameFile is os.Rename; tests replace it to reach the copy of MoveTo.
var renameFile = os.Rename

// MoveTo puts the uploaded file at path, replacing any file there, with
// mode 0644 (PHP's move_uploaded_file). A temporary file is renamed when
// path is on the same file system, else copied and removed; content in
// Data is written out. After a move TmpName is path (so Open reads the
// moved file) and the request no longer removes anything for f. On an
// error nothing is at path and the upload is where it was (a partial
// copy is removed).
//
// MoveTo blocks on file I/O: a copy across file systems, or a large Data,
// stalls the event loop it runs on. It may be called from any goroutine
// while the request lasts (see UploadedFile), not concurrently with
// another method of f. An upload whose Error is not UploadErrOK gives
// ErrUploadFailed.
func (f *UploadedFile) MoveTo(path string) error {
	if f.Error != UploadErrOK {
		return ErrUploadFailed
	}
	if f.TmpName == "" {
		return writeNewFile(path, func(w io.Writer) error {
			_, err := w.Write(f.Data)
			return err
		})
	}
	err := renameFile(f.TmpName, path)
	var le *os.LinkError
	switch {
	case err == nil:
		if err := os.Chmod(path, 0o644); err != nil {
			return err
		}
	case errors.As(err, &le) && errors.Is(le.Err, syscall.EXDEV):
		src, err := os.Open(f.TmpName)
		if err != nil {
			return err
		}
		err = writeNewFile(path, func(w io.Writer) error {
			_, err := io.Copy(w, src)
			return err
		})
		src.Close()
		if err != nil {
			return err
		}
		_ = os.Remove(f.TmpName)
	default:
		return err
	}
	if f.tmp != nil {
		f.tmp.removed.Store(true) // nothing is left to remove
	}
	f.TmpName = path
	return nil
}

// writeNewFile creates path (mode 0644, truncated) and fills it with
// write; on an error it removes it.
func writeNewFile(path string, write func(io.Writer) error) error {
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	err = out.Chmod(0o644) // whatever the umask or a file replaced had
	if err == nil {
		err = write(out)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}

// Package sessionfile stores http sessions in files, one per session in
// one directory, as workerman's FileSessionHandler: processes (workers)
// on one machine that share the directory share the sessions.
//
// # Files and locking
//
// Session id's values are in <dir>/sess_<id>, as JSON: an object from
// keys to their encoded values (base64). A write takes an exclusive
// flock(2) on one of 256 lock files, <dir>/.lock-<first two digits of
// the id>, reads the file, applies its changes, writes a temporary file
// and renames it over the old one: readers take no lock (they see the old
// file or the new one, whole), two writers of one session, in one process
// or two, apply their changes one after the other (so none is lost), and
// a crash leaves the old file or the new one. The lock files are never
// removed, so a lock is never taken on a file another process unlinked.
// Files are written without fsync, as PHP's are: a machine crash may lose
// the last changes.
//
// A session expires lifetime after its last write, by the file's
// modification time: Read ignores an expired file and GC removes it
// (under its lock, so a session written meanwhile stays), with temporary
// files a crash left behind.
//
// Ids are checked with http.ValidSessionID before any path is made from
// them: 64 lowercase hex digits, never a path.
//
// Every method does file I/O: the http.SessionManager calls them off the
// event loops (except a load by Request.Session, which reads one file).
package sessionfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gnetworker/gnetworker/protocols/http"
)

// DefaultMaxFileSize bounds what Read reads of one session file.
const DefaultMaxFileSize = 4 << 20

// ErrInvalidID is returned for a session id that is not 64 lowercase hex
// digits; no file is touched.
var ErrInvalidID = errors.New("sessionfile: invalid session id")

// ErrTooLarge is returned for a session file over MaxFileSize.
var ErrTooLarge = errors.New("sessionfile: session file too large")

const (
	filePrefix = "sess_"
	lockPrefix = ".lock-"
	tempPrefix = ".tmp-"
	// lockPoll is how often a write waiting for a lock tries again (flock
	// with LOCK_NB, so that its context can end the wait).
	lockPoll = time.Millisecond
)

// Handler is an http.SessionHandler on files. It is safe for concurrent
// use, by goroutines and by processes sharing its directory.
type Handler struct {
	dir string
	// MaxFileSize bounds what Read reads of one file (DefaultMaxFileSize
	// when 0). Set it before use.
	MaxFileSize int64
}

// New returns a handler on dir, which it creates (mode 0700) when
// missing. Files are created with mode 0600.
func New(dir string) (*Handler, error) {
	if dir == "" {
		return nil, errors.New("sessionfile: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sessionfile: %w", err)
	}
	return &Handler{dir: dir}, nil
}

// Dir returns the handler's directory.
func (h *Handler) Dir() string { return h.dir }

func (h *Handler) path(id string) string { return filepath.Join(h.dir, filePrefix+id) }

// Read returns the values of session id, nil when it has no file or the
// file was last written more than lifetime ago.
func (h *Handler) Read(_ context.Context, id string, lifetime time.Duration) (map[string][]byte, error) {
	if !http.ValidSessionID(id) {
		return nil, ErrInvalidID
	}
	return h.read(id, lifetime)
}

func (h *Handler) read(id string, lifetime time.Duration) (map[string][]byte, error) {
	f, err := os.Open(h.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sessionfile: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("sessionfile: %w", err)
	}
	if time.Since(st.ModTime()) > lifetime {
		return nil, nil // expired; GC removes it
	}
	limit := h.MaxFileSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("sessionfile: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: %s over %d bytes", ErrTooLarge, filepath.Base(f.Name()), limit)
	}
	var data map[string][]byte
	if err := json.Unmarshal(b, &data); err != nil {
		return nil, fmt.Errorf("sessionfile: %s: %w", filepath.Base(f.Name()), err)
	}
	return data, nil
}

// Write applies ch to session id under its lock, and writes the result
// to a temporary file renamed over the session's; an empty result removes
// the file. lifetime is only used to ignore an expired file.
func (h *Handler) Write(ctx context.Context, id string, ch http.SessionChanges, lifetime time.Duration) error {
	if !http.ValidSessionID(id) {
		return ErrInvalidID
	}
	unlock, err := h.lock(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	data, err := h.read(id, lifetime)
	if err != nil {
		return err // not over what could not be read
	}
	data = ch.Apply(data)
	if len(data) == 0 {
		return h.remove(id)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("sessionfile: %w", err)
	}
	tmp, err := os.CreateTemp(h.dir, tempPrefix+id[:8]+"-*")
	if err != nil {
		return fmt.Errorf("sessionfile: %w", err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), h.path(id))
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("sessionfile: %w", werr)
	}
	return nil
}

func (h *Handler) remove(id string) error {
	if err := os.Remove(h.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sessionfile: %w", err)
	}
	return nil
}

// Destroy removes session id's file, under its lock.
func (h *Handler) Destroy(ctx context.Context, id string) error {
	if !http.ValidSessionID(id) {
		return ErrInvalidID
	}
	unlock, err := h.lock(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	return h.remove(id)
}

// GC removes the session files last written more than lifetime ago, each
// under its lock and only if it is still that old then, and temporary
// files as old (left by a crash). It stops early when ctx ends.
func (h *Handler) GC(ctx context.Context, lifetime time.Duration) error {
	entries, err := os.ReadDir(h.dir)
	if err != nil {
		return fmt.Errorf("sessionfile: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		switch {
		case strings.HasPrefix(name, tempPrefix):
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > lifetime {
				_ = os.Remove(filepath.Join(h.dir, name))
			}
		case strings.HasPrefix(name, filePrefix):
			id := name[len(filePrefix):]
			if !http.ValidSessionID(id) {
				continue // not ours
			}
			if info, err := e.Info(); err != nil || time.Since(info.ModTime()) <= lifetime {
				continue
			}
			if err := h.removeIfExpired(ctx, id, lifetime); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *Handler) removeIfExpired(ctx context.Context, id string, lifetime time.Duration) error {
	unlock, err := h.lock(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := os.Stat(h.path(id))
	if err != nil || time.Since(st.ModTime()) <= lifetime {
		return nil // gone, or written meanwhile
	}
	return h.remove(id)
}

// lock takes the exclusive flock of id's lock file, waiting until ctx
// ends, and returns its release.
func (h *Handler) lock(ctx context.Context, id string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(h.dir, lockPrefix+id[:2]), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sessionfile: %w", err)
	}
	fd := int(f.Fd())
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("sessionfile: flock: %w", err)
		}
		if ctx.Err() != nil {
			f.Close()
			return nil, fmt.Errorf("sessionfile: waiting for a lock: %w", ctx.Err())
		}
		time.Sleep(lockPoll)
	}
	// Closing the file releases the lock.
	return func() { f.Close() }, nil
}

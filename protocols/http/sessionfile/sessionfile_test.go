package sessionfile_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/sessiontest"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/sessionfile"
)

func newHandler(t *testing.T, dir string) *sessionfile.Handler {
	t.Helper()
	h, err := sessionfile.New(dir)
	require.NoError(t, err)
	return h
}

func TestHandler(t *testing.T) {
	dir := t.TempDir()
	fds := openFiles(t)
	sessiontest.Handler(t, newHandler(t, dir))
	assert.Equal(t, fds, openFiles(t), "no file left open")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.Regexp(t, `^\.lock-[0-9a-f]{2}$`, e.Name(), "only lock files are left")
	}
}

func TestInvalidIDsTouchNoFile(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "sessions")
	h := newHandler(t, dir)
	ctx := context.Background()
	set := http.SessionChanges{Set: map[string][]byte{"k": []byte("v")}}
	for _, bad := range []string{"", "../escape", "../../" + http.NewSessionID()[:58], "A" + http.NewSessionID()[1:], http.NewSessionID() + "0"} {
		_, err := h.Read(ctx, bad, time.Minute)
		assert.ErrorIs(t, err, sessionfile.ErrInvalidID, "%q", bad)
		assert.ErrorIs(t, h.Write(ctx, bad, set, time.Minute), sessionfile.ErrInvalidID)
		assert.ErrorIs(t, h.Destroy(ctx, bad), sessionfile.ErrInvalidID)
	}
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing beside the directory")
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestGCRemovesExpiredAndCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	h := newHandler(t, dir)
	ctx := context.Background()
	old, fresh := http.NewSessionID(), http.NewSessionID()
	set := http.SessionChanges{Set: map[string][]byte{"k": []byte("v")}}
	require.NoError(t, h.Write(ctx, old, set, time.Hour))
	require.NoError(t, h.Write(ctx, fresh, set, time.Hour))
	tmp := filepath.Join(dir, ".tmp-leftover")
	require.NoError(t, os.WriteFile(tmp, []byte("x"), 0o600))
	foreign := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(foreign, []byte("x"), 0o600))
	past := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{filepath.Join(dir, "sess_"+old), tmp, foreign} {
		require.NoError(t, os.Chtimes(p, past, past))
	}
	got, err := h.Read(ctx, old, time.Hour)
	require.NoError(t, err)
	assert.Empty(t, got, "expired by its modification time")
	require.NoError(t, h.GC(ctx, time.Hour))
	assert.NoFileExists(t, filepath.Join(dir, "sess_"+old))
	assert.NoFileExists(t, tmp)
	assert.FileExists(t, foreign, "gc removes only its own files")
	got, err = h.Read(ctx, fresh, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"k": []byte("v")}, got)
}

func TestCorruptAndOversizedFiles(t *testing.T) {
	dir := t.TempDir()
	h := newHandler(t, dir)
	h.MaxFileSize = 64
	ctx := context.Background()
	id := http.NewSessionID()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sess_"+id), []byte("{not json"), 0o600))
	_, err := h.Read(ctx, id, time.Hour)
	assert.Error(t, err)
	big := http.NewSessionID()
	require.NoError(t, h.Write(ctx, big, http.SessionChanges{Set: map[string][]byte{"k": make([]byte, 100)}}, time.Hour))
	_, err = h.Read(ctx, big, time.Hour)
	assert.ErrorIs(t, err, sessionfile.ErrTooLarge)
	assert.ErrorIs(t, h.Write(ctx, big, http.SessionChanges{Set: map[string][]byte{"j": nil}}, time.Hour), sessionfile.ErrTooLarge,
		"a file that cannot be read is not overwritten")
	require.NoError(t, h.Destroy(ctx, big))
}

func TestLockWaitEndsWithContext(t *testing.T) {
	dir := t.TempDir()
	h := newHandler(t, dir)
	id := http.NewSessionID()
	// Hold id's lock as another process would.
	f, err := os.OpenFile(filepath.Join(dir, ".lock-"+id[:2]), os.O_CREATE|os.O_RDWR, 0o600)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, flock(f))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = h.Write(ctx, id, http.SessionChanges{Set: map[string][]byte{"k": nil}}, time.Hour)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func manager(dir string) func(t *testing.T) *http.SessionManager {
	return func(t *testing.T) *http.SessionManager {
		return sessiontest.NewManager(t, http.SessionConfig{Handler: newHandler(t, dir)})
	}
}

func TestServer(t *testing.T) {
	sessiontest.Server(t, func(t *testing.T) *http.SessionManager { return manager(t.TempDir())(t) })
}

// Sessions shared by two workers through the file handler.
func TestSharedByTwoWorkers(t *testing.T) {
	sessiontest.Shared(t, manager(t.TempDir()))
}

// childEnv names the directory a child writer works in.
const childEnv = "SESSIONFILE_TEST_CHILD_DIR"

// TestChildWriter is the other process of TestTwoProcessesShareOneSession.
func TestChildWriter(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("run by TestTwoProcessesShareOneSession")
	}
	writeKeys(t, newHandler(t, dir), os.Getenv(childEnv+"_ID"), "child")
}

func writeKeys(t *testing.T, h *sessionfile.Handler, id, who string) {
	for i := range 100 {
		k := who + strconv.Itoa(i)
		require.NoError(t, h.Write(context.Background(), id, http.SessionChanges{Set: map[string][]byte{k: []byte(k)}}, time.Hour))
	}
}

// Two processes write keys of one session at once through flock: every
// key of both survives.
func TestTwoProcessesShareOneSession(t *testing.T) {
	dir := t.TempDir()
	id := http.NewSessionID()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir, childEnv+"_ID="+id)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	h := newHandler(t, dir)
	writeKeys(t, h, id, "parent")
	require.NoError(t, cmd.Wait(), "child: %s", out.String())
	got, err := h.Read(context.Background(), id, time.Hour)
	require.NoError(t, err)
	for _, who := range []string{"parent", "child"} {
		for i := range 100 {
			k := who + strconv.Itoa(i)
			assert.Equal(t, []byte(k), got[k], "key %s", k)
		}
	}
	assert.Len(t, got, 200, fmt.Sprintf("child said: %s", out.String()))
}

const serveDirEnv = "SESSIONFILE_TEST_SERVE_DIR"

// TestChildServer is the other process of TestSharedByTwoProcesses.
func TestChildServer(t *testing.T) {
	if !sessiontest.IsChild() || os.Getenv(serveDirEnv) == "" {
		t.Skip("run by TestSharedByTwoProcesses")
	}
	sessiontest.ServeAsChild(t, manager(os.Getenv(serveDirEnv))(t))
}

// Sessions shared by two worker processes through one directory.
func TestSharedByTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	child := sessiontest.StartChild(t, "TestChildServer", serveDirEnv+"="+dir)
	own := sessiontest.StartWorker(t, manager(dir)(t), &sessiontest.App{}, nil)
	sessiontest.SharedBetween(t, child, own)
}

package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
)

// gnet's engine can stop by itself (its acceptor exits on EMFILE). RunAll
// must then return an error, so that the process exits, never living on
// without its listener.
func TestRunAllReturnsWhenAnEngineDies(t *testing.T) {
	w, err := New("text://127.0.0.1:0")
	require.NoError(t, err)
	w.Name = "doomed"
	w.Count = 1
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w.OnMessage = func(*connection.TcpConnection, string) {}
	started := make(chan struct{})
	w.OnWorkerStart = func(*Worker) { close(started) }
	done := make(chan error, 1)
	go func() { done <- RunAll() }()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("RunAll did not start the worker")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, w.engine.Stop(ctx)) // what gnet does when accept fails
	select {
	case err := <-done:
		require.Error(t, err)
		assert.Contains(t, err.Error(), `"doomed"`)
	case <-time.After(10 * time.Second):
		t.Fatal("RunAll lives on after its worker's engine stopped")
	}
}

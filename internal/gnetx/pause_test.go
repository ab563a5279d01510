//go:build linux && !poll_opt

package gnetx_test

import (
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/gnetx"
)

// pauser is a gnet server that pauses reading on its first connection
// as soon as it opens, and counts what it reads.
type pauser struct {
	gnet.BuiltinEventEngine
	eng    atomic.Pointer[gnet.Engine]
	conn   chan gnet.Conn
	read   atomic.Int64
	err    chan error
	booted chan struct{}
}

func (p *pauser) OnBoot(e gnet.Engine) gnet.Action {
	p.eng.Store(&e)
	close(p.booted)
	return gnet.None
}

func (p *pauser) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if err := gnetx.SetReading(c, false); err != nil {
		p.err <- err
	}
	p.conn <- c
	return nil, gnet.None
}

func (p *pauser) OnTraffic(c gnet.Conn) gnet.Action {
	b, _ := c.Next(-1)
	p.read.Add(int64(len(b)))
	return gnet.None
}

// The field path gnetx reads must exist in the gnet of go.mod: this test
// fails loudly on an upgrade that moves it. A paused connection's peer
// fills the kernel's buffers and blocks; after resuming, every byte
// arrives.
func TestPauseStopsReading(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	p := &pauser{conn: make(chan gnet.Conn, 1), err: make(chan error, 1), booted: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- gnet.Run(p, "tcp://"+addr, gnet.WithNumEventLoop(1)) }()
	select {
	case <-p.booted:
	case err := <-done:
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = (*p.eng.Load()).Stop(ctx)
		<-done
	}()

	client, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer client.Close()
	var gc gnet.Conn
	select {
	case gc = <-p.conn:
	case err := <-p.err:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("no connection")
	}
	require.True(t, gnetx.Supported(gc.EventLoop()))

	// Write until the kernel's buffers are full: with reading paused the
	// write blocks well before 64 MiB.
	chunk := make([]byte, 256<<10)
	written := 0
	require.NoError(t, client.SetWriteDeadline(time.Now().Add(2*time.Second)))
	for written < 64<<20 {
		n, err := client.Write(chunk)
		written += n
		if err != nil {
			require.True(t, errors.Is(err, os.ErrDeadlineExceeded), "%v", err)
			break
		}
	}
	require.Less(t, written, 64<<20, "the peer was never blocked: reading went on")
	require.Zero(t, p.read.Load(), "read while paused")

	resumed := make(chan error, 1)
	require.NoError(t, gc.EventLoop().Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		resumed <- gnetx.SetReading(gc, true)
		return nil
	})))
	require.NoError(t, <-resumed)
	deadline := time.Now().Add(20 * time.Second)
	for p.read.Load() < int64(written) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.Equal(t, int64(written), p.read.Load())
}

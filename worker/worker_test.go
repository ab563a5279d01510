package worker_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/leaktest"
	"github.com/gnetworker/gnetworker/worker"
)

// start creates a worker on a free loopback port, lets setup configure it,
// starts it and stops it when the test ends.
func start(t *testing.T, scheme string, setup func(w *worker.Worker)) (*worker.Worker, string) {
	t.Helper()
	w, err := worker.New(scheme + "://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 2
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if setup != nil {
		setup(w)
	}
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })
	return w, w.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	return c
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	s, err := r.ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSuffix(s, "\n")
}

// eventually polls cond for up to five seconds.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, msg)
}

func TestNewRejectsBadSocketNames(t *testing.T) {
	tests := []struct {
		name string
		want error
	}{
		{"nope://127.0.0.1:80", worker.ErrUnknownScheme},
		{"127.0.0.1:80", worker.ErrBadAddress},
		{"text://127.0.0.1", worker.ErrBadAddress},
		{"text://127.0.0.1:99999", worker.ErrBadAddress},
		{"text://127.0.0.1:http", worker.ErrBadAddress},
		{"text://-example-.com:80", worker.ErrBadAddress},
		{"text://exa_mple.com:80", worker.ErrBadAddress},
		{"unix://relative.sock", worker.ErrBadAddress},
		{"nope+unix:///tmp/x.sock", worker.ErrUnknownScheme},
		{"text://127.0.0.1:80/path", worker.ErrBadAddress},
		{"", worker.ErrBadAddress},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := worker.New(tc.name)
			assert.Nil(t, w)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestStartFailsOnBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	w, err := worker.New("text://" + ln.Addr().String())
	require.NoError(t, err)
	w.Count = 1
	err = w.Start()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "address already in use")
}

func TestStartRejectsMistypedOnMessage(t *testing.T) {
	w, err := worker.New("text://127.0.0.1:0")
	require.NoError(t, err)
	w.OnMessage = func(c *connection.TcpConnection, b []byte) {}
	err = w.Start()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "delivers string")
}

func TestLifecycle(t *testing.T) {
	var (
		mu     sync.Mutex
		events []string
	)
	record := func(s string) {
		mu.Lock()
		events = append(events, s)
		mu.Unlock()
	}
	w, err := worker.New("text://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 1
	w.OnWorkerStart = func(w *worker.Worker) { record("start") }
	w.OnConnect = func(c *connection.TcpConnection) {
		record(fmt.Sprintf("connect %v", c.Status()))
		require.NoError(t, c.Send("welcome"))
	}
	w.OnMessage = func(c *connection.TcpConnection, line string) {
		record("message " + line)
		_ = c.Send("echo:" + line)
	}
	w.OnClose = func(c *connection.TcpConnection) { record(fmt.Sprintf("close %v", c.Status())) }
	w.OnWorkerStop = func(w *worker.Worker) { record("stop") }
	require.NoError(t, w.Start())
	require.NotNil(t, w.Addr())

	conn := dial(t, w.Addr().String())
	r := bufio.NewReader(conn)
	assert.Equal(t, "welcome", readLine(t, r))
	_, err = conn.Write([]byte("hi\r\nthere\n"))
	require.NoError(t, err)
	assert.Equal(t, "echo:hi", readLine(t, r))
	assert.Equal(t, "echo:there", readLine(t, r))
	eventually(t, func() bool { return w.ConnectionCount() == 1 }, "one connection")

	require.NoError(t, w.Stop())
	_, err = r.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "Stop closes open connections")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"start", "connect ESTABLISHED", "message hi", "message there", "close CLOSED", "stop"}, events)
	assert.Equal(t, 0, w.ConnectionCount())
}

func TestRunAllAndStopAll(t *testing.T) {
	w, err := worker.New("text://127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 1
	started := make(chan string, 1)
	w.OnWorkerStart = func(w *worker.Worker) { started <- w.Addr().String() }
	w.OnMessage = func(c *connection.TcpConnection, line string) {
		if line == "stop" {
			worker.StopAll() // from inside a callback
		}
	}
	var stopped atomic.Bool
	w.OnWorkerStop = func(*worker.Worker) { stopped.Store(true) }
	done := make(chan error, 1)
	go func() { done <- worker.RunAll() }()
	var addr string
	select {
	case addr = <-started:
	case err := <-done:
		t.Fatalf("RunAll returned before starting: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("RunAll did not start the worker")
	}
	conn := dial(t, addr)
	_, err = conn.Write([]byte("stop\n"))
	require.NoError(t, err)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("RunAll did not return after StopAll")
	}
	assert.True(t, stopped.Load())
}

func TestRunAllStopsOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			w, err := worker.New("text://127.0.0.1:0")
			require.NoError(t, err)
			w.Count = 1
			started := make(chan struct{})
			w.OnWorkerStart = func(*worker.Worker) { close(started) }
			var stopped atomic.Bool
			w.OnWorkerStop = func(*worker.Worker) { stopped.Store(true) }
			done := make(chan error, 1)
			go func() { done <- worker.RunAll() }()
			<-started
			require.NoError(t, syscall.Kill(os.Getpid(), sig))
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Fatalf("RunAll did not return after %v", sig)
			}
			assert.True(t, stopped.Load(), "OnWorkerStop ran")
		})
	}
}

func TestReusePort(t *testing.T) {
	w, addr := start(t, "text", func(w *worker.Worker) {
		w.ReusePort = true
		w.OnMessage = func(c *connection.TcpConnection, s string) { _ = c.Send(fmt.Sprint(c.WorkerID(), ":", s)) }
	})
	require.Equal(t, 2, w.Count)
	loops := map[string]bool{}
	for i := range 40 {
		conn := dial(t, addr)
		_, err := conn.Write([]byte(fmt.Sprintf("m%d\n", i)))
		require.NoError(t, err)
		line := readLine(t, bufio.NewReader(conn))
		loop, msg, _ := strings.Cut(line, ":")
		assert.Equal(t, fmt.Sprintf("m%d", i), msg)
		loops[loop] = true
	}
	// The kernel spreads connections over the loops' listeners: with both
	// on one port, 40 connections reach both (all on one: p = 2^-39).
	assert.Len(t, loops, 2, "connections reached both event loops")
}

func TestConnectionAccessors(t *testing.T) {
	got := make(chan *connection.TcpConnection, 2)
	w, addr := start(t, "text", func(w *worker.Worker) {
		w.Name = "acc"
		w.OnConnect = func(c *connection.TcpConnection) { got <- c }
		w.OnMessage = func(c *connection.TcpConnection, s string) {}
	})
	a := dial(t, addr)
	c1 := <-got
	b := dial(t, addr)
	c2 := <-got
	assert.Greater(t, c2.ID(), c1.ID(), "ids increase")
	assert.Equal(t, "127.0.0.1", c1.RemoteIP())
	assert.Equal(t, a.LocalAddr().(*net.TCPAddr).Port, c1.RemotePort())
	assert.Equal(t, b.LocalAddr().String(), c2.RemoteAddress())
	assert.Equal(t, w.Addr().(*net.TCPAddr).Port, c1.LocalPort())
	assert.Equal(t, "acc", c1.Worker().WorkerName())
	assert.Same(t, w, c1.Worker().(*worker.Worker))
	assert.GreaterOrEqual(t, c1.WorkerID(), 0)
	assert.Less(t, c1.WorkerID(), 2)
	c1.SetContext("ctx")
	assert.Equal(t, "ctx", c1.Context())

	_, err := a.Write([]byte("12345\n"))
	require.NoError(t, err)
	eventually(t, func() bool { return c1.BytesRead() == 6 }, "bytes read counted")
	require.NoError(t, c1.Send("abc"))
	buf := make([]byte, 4)
	_, err = io.ReadFull(a, buf)
	require.NoError(t, err)
	eventually(t, func() bool { return c1.BytesWritten() == 4 }, "bytes written counted")
}

// TestConcurrentSends has 1,000 goroutines send to one connection at once:
// every line must arrive intact, and each goroutine's lines in its order.
func TestConcurrentSends(t *testing.T) {
	const senders, perSender = 1000, 20
	ready := make(chan *connection.TcpConnection, 1)
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.MaxSendBufferSize = 64 << 20
		w.OnConnect = func(c *connection.TcpConnection) { ready <- c }
	})
	conn := dial(t, addr)
	c := <-ready

	var wg sync.WaitGroup
	var failed atomic.Int64
	for g := range senders {
		wg.Go(func() {
			for i := range perSender {
				if c.Send(fmt.Sprintf("%d:%d:%s", g, i, strings.Repeat("x", g%50))) != nil {
					failed.Add(1)
				}
			}
		})
	}
	next := make([]int, senders)
	r := bufio.NewReader(conn)
	for range senders * perSender {
		var g, i int
		var pad string
		line := readLine(t, r)
		_, err := fmt.Sscanf(strings.ReplaceAll(line, ":", " "), "%d %d %s", &g, &i, &pad)
		if g%50 == 0 {
			_, err = fmt.Sscanf(strings.ReplaceAll(line, ":", " "), "%d %d", &g, &i)
		}
		require.NoError(t, err, "line %q", line)
		require.Equal(t, next[g], i, "goroutine %d out of order", g)
		require.Equal(t, strings.Repeat("x", g%50), pad, "line %q corrupted", line)
		next[g]++
	}
	wg.Wait()
	assert.Zero(t, failed.Load())
}

// TestBufferFullAndDrain fills the send buffer of a client that does not
// read, checks that memory stays bounded and sends fail, then reads and
// expects a drain.
func TestBufferFullAndDrain(t *testing.T) {
	const limit = 256 << 10
	chunk := strings.Repeat("z", 16<<10)
	var full, drained, sendFail atomic.Int32
	ready := make(chan *connection.TcpConnection, 1)
	_, addr := start(t, "tcp", func(w *worker.Worker) {
		w.MaxSendBufferSize = limit
		w.OnConnect = func(c *connection.TcpConnection) { ready <- c }
		w.OnBufferFull = func(c *connection.TcpConnection) { full.Add(1) }
		w.OnBufferDrain = func(c *connection.TcpConnection) { drained.Add(1) }
		w.OnError = func(c *connection.TcpConnection, code int, err error) {
			if code == connection.CodeSendFail && errors.Is(err, connection.ErrSendBufferFull) {
				sendFail.Add(1)
			}
		}
	})
	conn := dial(t, addr)
	c := <-ready

	// Send until refused. The kernel's socket buffers absorb some; after
	// that the connection's own buffer must cap what is accepted.
	accepted := 0
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := c.Send(chunk); err != nil {
			require.ErrorIs(t, err, connection.ErrSendBufferFull)
			break
		}
		accepted += len(chunk)
		if accepted > 64<<20 {
			t.Fatal("send buffer never filled: memory is unbounded")
		}
		time.Sleep(100 * time.Microsecond) // let the loop flush into gnet
	}
	// The callbacks run on the connection's loop, after the sends.
	eventually(t, func() bool { return full.Load() >= 1 }, "OnBufferFull")
	assert.LessOrEqual(t, c.BufferedOutput(), limit+len(chunk), "buffered output bounded")
	assert.ErrorIs(t, c.Send("more"), connection.ErrSendBufferFull)
	eventually(t, func() bool { return sendFail.Load() >= 1 }, "OnError(CodeSendFail)")
	assert.EqualValues(t, 1, full.Load(), "OnBufferFull once")
	assert.Zero(t, drained.Load())

	// Read everything that was accepted: the buffer drains.
	n, err := io.ReadFull(conn, make([]byte, accepted))
	require.NoError(t, err, "read %d of %d; server wrote %d, buffers %d", n, accepted, c.BytesWritten(), c.BufferedOutput())
	assert.Equal(t, accepted, n)
	eventually(t, func() bool { return drained.Load() == 1 }, "OnBufferDrain after reading")
	require.NoError(t, c.Send("after"))
	buf := make([]byte, 5)
	_, err = io.ReadFull(conn, buf)
	require.NoError(t, err)
	assert.Equal(t, "after", string(buf))
}

func TestPanicInCallbackIsRecovered(t *testing.T) {
	var panics atomic.Int32
	closed := make(chan struct{}, 1)
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.OnMessage = func(c *connection.TcpConnection, line string) {
			if line == "boom" {
				panic("boom")
			}
			_ = c.Send("ok " + line)
		}
		w.OnError = func(c *connection.TcpConnection, code int, err error) {
			if code == connection.CodePanic {
				panics.Add(1)
			}
		}
		w.OnClose = func(c *connection.TcpConnection) { closed <- struct{}{} }
	})
	a := dial(t, addr)
	_, err := a.Write([]byte("boom\n"))
	require.NoError(t, err)
	_, err = bufio.NewReader(a).ReadByte()
	assert.ErrorIs(t, err, io.EOF, "the panicking connection is closed")
	<-closed
	assert.EqualValues(t, 1, panics.Load())

	b := dial(t, addr)
	_, err = b.Write([]byte("still\n"))
	require.NoError(t, err)
	assert.Equal(t, "ok still", readLine(t, bufio.NewReader(b)), "the worker keeps serving")
}

func TestMaxPackageSizeClosesConnection(t *testing.T) {
	var protoErr atomic.Int32
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.MaxPackageSize = 1024
		w.OnMessage = func(c *connection.TcpConnection, line string) { _ = c.Send("len " + fmt.Sprint(len(line))) }
		w.OnError = func(c *connection.TcpConnection, code int, err error) {
			if code == connection.CodeProtocol && errors.Is(err, connection.ErrPackageTooLarge) {
				protoErr.Add(1)
			}
		}
	})
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	_, err := conn.Write([]byte(strings.Repeat("a", 1000) + "\n"))
	require.NoError(t, err)
	assert.Equal(t, "len 1000", readLine(t, r))
	_, _ = conn.Write([]byte(strings.Repeat("b", 4096)))
	_, err = r.ReadByte()
	assert.ErrorIs(t, err, io.EOF)
	eventually(t, func() bool { return protoErr.Load() == 1 }, "OnError(CodeProtocol)")
}

// TestFramePipelinedAndSplit sends frames pipelined in one write, and one
// frame a byte at a time.
func TestFramePipelinedAndSplit(t *testing.T) {
	_, addr := start(t, "frame", func(w *worker.Worker) {
		w.OnMessage = func(c *connection.TcpConnection, b []byte) { _ = c.Send(append([]byte("re:"), b...)) }
	})
	frame := func(s string) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(s)+4)), s...)
	}
	readFrame := func(r io.Reader) string {
		var hdr [4]byte
		_, err := io.ReadFull(r, hdr[:])
		require.NoError(t, err)
		body := make([]byte, binary.BigEndian.Uint32(hdr[:])-4)
		_, err = io.ReadFull(r, body)
		require.NoError(t, err)
		return string(body)
	}
	conn := dial(t, addr)
	var all []byte
	for _, s := range []string{"a", "", "bc", "def"} {
		all = append(all, frame(s)...)
	}
	_, err := conn.Write(all)
	require.NoError(t, err)
	for _, s := range []string{"a", "", "bc", "def"} {
		assert.Equal(t, "re:"+s, readFrame(conn))
	}
	for _, b := range frame("slow") {
		_, err := conn.Write([]byte{b})
		require.NoError(t, err)
		time.Sleep(time.Millisecond)
	}
	assert.Equal(t, "re:slow", readFrame(conn))

	_, err = conn.Write([]byte{0, 0, 0, 2}) // total length below the header
	require.NoError(t, err)
	_, err = conn.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
}

func TestCloseFlushesFinalData(t *testing.T) {
	big := strings.Repeat("q", 3<<20)
	_, addr := start(t, "tcp", func(w *worker.Worker) {
		w.MaxSendBufferSize = 8 << 20
		w.OnMessage = func(c *connection.TcpConnection, b []byte) { _ = c.Close(big) }
	})
	conn := dial(t, addr)
	_, err := conn.Write([]byte("x"))
	require.NoError(t, err)
	got, err := io.ReadAll(conn)
	require.NoError(t, err)
	assert.Equal(t, len(big), len(got), "Close writes all its data before closing")
}

func TestSendAfterCloseFails(t *testing.T) {
	ready := make(chan *connection.TcpConnection, 1)
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.OnConnect = func(c *connection.TcpConnection) { ready <- c }
	})
	conn := dial(t, addr)
	c := <-ready
	require.NoError(t, c.Close("bye"))
	assert.ErrorIs(t, c.Send("late"), connection.ErrClosed)
	assert.Equal(t, "bye", readLine(t, bufio.NewReader(conn)))
	eventually(t, func() bool { return c.Status() == connection.StatusClosed }, "closed")
	assert.NoError(t, c.Close(), "Close after Close does nothing")
}

func TestNoGoroutineOutlivesWorker(t *testing.T) {
	before := leaktest.Goroutines()
	for range 3 {
		w, err := worker.New("text://127.0.0.1:0")
		require.NoError(t, err)
		w.Count = 2
		w.OnMessage = func(c *connection.TcpConnection, s string) { _ = c.Send(s) }
		require.NoError(t, w.Start())
		for range 20 {
			c, err := net.Dial("tcp", w.Addr().String())
			require.NoError(t, err)
			_, _ = c.Write([]byte("x\n"))
			_, _ = bufio.NewReader(c).ReadString('\n')
			_ = c.Close()
		}
		require.NoError(t, w.Stop())
	}
	leaktest.WaitGoroutines(t, before, 15*time.Second)
}

// TestClosingConnectionDiscardsInput: once a connection is closing, what
// the peer still sends is read and dropped, never buffered. The peer here
// does not read the final data, so the connection stays closing while it
// sends 64 MiB.
func TestClosingConnectionDiscardsInput(t *testing.T) {
	_, addr := start(t, "text", func(w *worker.Worker) {
		w.MaxSendBufferSize = 16 << 20
		w.OnMessage = func(c *connection.TcpConnection, line string) { _ = c.Close(strings.Repeat("z", 8<<20)) }
	})
	conn := dial(t, addr)
	_, err := conn.Write([]byte("bye\n"))
	require.NoError(t, err)
	// The final data is being written once its first byte arrives: the
	// server's allocations for it are behind us.
	_, err = io.ReadFull(conn, make([]byte, 1))
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	junk := make([]byte, 1<<20)
	for i := range junk {
		junk[i] = 'j' // no newline: one endless line
	}
	for range 64 {
		if _, err := conn.Write(junk); err != nil {
			break
		}
	}
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	assert.Less(t, grown, int64(24<<20), "a closing connection buffered what its peer sent")
}

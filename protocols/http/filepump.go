package http

import (
	"errors"
	"os"
	"sync/atomic"
	"time"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/protocols"
)

// fileSection is a piece of a file body on its way through Send: the codec
// appends it as it is.
type fileSection []byte

// filePieceSize is how much of a file one Send carries.
const filePieceSize = 64 << 10

// filePump sends a large file body under backpressure: it reads a piece
// only while the connection's send buffer is under half full, so memory
// stays bounded whatever the file's size and the peer's speed. It runs on a
// goroutine of its own because file reads block, which an event loop must
// not; the goroutine ends with its connection.
type filePump struct {
	remaining int64 // under the codec lock
	stopped   atomic.Bool
}

// startFilePump starts sending n bytes of f from off. A peer whose output
// makes no progress for stall (when positive) is disconnected.
func startFilePump(conn protocols.Conn, f *os.File, off, n int64, stall time.Duration) *filePump {
	fp := &filePump{remaining: n}
	tc, ok := conn.(*connection.TcpConnection)
	if !ok {
		closeServed(f)
		return fp
	}
	go fp.run(tc, f, off, n, stall)
	return fp
}

// sent counts k bytes appended and reports whether the body is complete.
func (fp *filePump) sent(k int) bool {
	fp.remaining -= int64(k)
	return fp.remaining <= 0
}

func (fp *filePump) stop() { fp.stopped.Store(true) }

func (fp *filePump) run(c *connection.TcpConnection, f *os.File, off, n int64, stall time.Duration) {
	defer closeServed(f)
	buf := make([]byte, min(n, filePieceSize))
	wait := time.Millisecond
	// While waiting for the peer to read, the last buffered size seen and
	// when it last changed.
	lastBuffered, lastProgress := -1, time.Now()
	// backOff waits a little; it reports false when the peer has stopped
	// reading for stall: without that the connection, this goroutine and
	// the file would be held forever.
	backOff := func(buffered int) bool {
		if buffered != lastBuffered {
			lastBuffered, lastProgress = buffered, time.Now()
		} else if stall > 0 && time.Since(lastProgress) > stall {
			c.Destroy()
			return false
		}
		time.Sleep(wait)
		wait = min(2*wait, 50*time.Millisecond)
		return true
	}
	for n > 0 {
		if fp.stopped.Load() || c.Status() != connection.StatusEstablished {
			return
		}
		buffered, limit := c.BufferedOutput(), c.MaxSendBufferSize()
		if buffered > limit/2 {
			if !backOff(buffered) {
				return
			}
			continue
		}
		// A piece must not fill the send buffer: once full, Send fails
		// until the buffer is empty again, and a response cannot be left
		// half sent.
		k := min(n, int64(len(buf)), int64(max(limit-buffered-1, 1)))
		if _, err := f.ReadAt(buf[:k], off); err != nil {
			// The file shrank under us: the promised length cannot be
			// kept, so the connection must not be reused.
			c.Destroy()
			return
		}
		if err := c.Send(fileSection(buf[:k])); err != nil {
			// Full (the limit was lowered, or bytes were in flight):
			// retry once it has drained.
			if errors.Is(err, connection.ErrSendBufferFull) && backOff(buffered) {
				continue
			}
			return
		}
		wait, lastBuffered = time.Millisecond, -1
		off += k
		n -= k
	}
}

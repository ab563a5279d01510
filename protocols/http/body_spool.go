package http

import (
	"io"
	"os"
	"sync/atomic"

	"github.com/gnetworker/gnetworker/internal/fdbudget"
)

// Request bodies are held in memory up to MaxBodyInMemory, and while the
// worker's bodies in memory stay within MaxBodyMemory; beyond that a body
// is spooled to a temporary file as it arrives, so memory never grows
// with the size or the number of uploads.
//
// The file is unlinked as soon as it is created: only its descriptor
// names it, so it disappears when the request ends (closeBody) or the
// process dies, on every path. Its descriptor counts against the process's
// descriptor budget (internal/fdbudget) and the worker's MaxSpoolFiles.

// bodyBudget is what a Protocol's requests hold together.
type bodyBudget struct {
	memory atomic.Int64 // bytes of bodies held in memory
	spools atomic.Int64 // spool files open
}

// minCountedBody is the smallest body counted against MaxBodyMemory:
// smaller ones are bounded by the connection count times this, and
// counting them would cost every small POST an atomic operation.
const minCountedBody = 16 << 10

// reserve takes n bytes of the memory budget, or reports false when they
// do not fit.
func (p *Protocol) reserve(n int64) bool {
	lim := p.MaxBodyMemory
	if lim <= 0 {
		lim = DefaultMaxBodyMemory
	}
	for {
		cur := p.budget.memory.Load()
		if cur+n > lim {
			return false
		}
		if p.budget.memory.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// unreserve returns n bytes to the memory budget.
func (p *Protocol) unreserve(n int64) {
	if n != 0 {
		p.budget.memory.Add(-n)
	}
}

func (p *Protocol) maxBodyInMemory() int64 {
	switch {
	case p.MaxBodyInMemory < 0:
		return 0
	case p.MaxBodyInMemory == 0:
		return DefaultMaxBodyInMemory
	}
	return int64(p.MaxBodyInMemory)
}

// spoolFile is a request body being written to, or read from, its
// temporary file.
type spoolFile struct {
	f     *os.File
	size  int64
	proto *Protocol
}

// openSpool creates an unlinked temporary file for a body, or fails with
// errSpoolUnavailable when the worker or the process has no room for one
// more.
func (p *Protocol) openSpool() (*spoolFile, error) {
	lim := int64(p.MaxSpoolFiles)
	if lim <= 0 {
		lim = DefaultMaxSpoolFiles
	}
	if p.budget.spools.Add(1) > lim {
		p.budget.spools.Add(-1)
		return nil, errSpoolUnavailable
	}
	if !fdbudget.Acquire() {
		p.budget.spools.Add(-1)
		return nil, errSpoolUnavailable
	}
	f, err := os.CreateTemp(p.TempDir, "gnetworker-body-*")
	if err != nil {
		fdbudget.Release()
		p.budget.spools.Add(-1)
		return nil, errSpoolFailed
	}
	_ = os.Remove(f.Name())
	return &spoolFile{f: f, proto: p}, nil
}

// write appends body data.
func (s *spoolFile) write(pieces [][]byte) error {
	for _, b := range pieces {
		n, err := s.f.Write(b)
		s.size += int64(n)
		if err != nil {
			return errSpoolFailed
		}
	}
	return nil
}

// reader reads the whole body from the start; readers do not disturb
// each other.
func (s *spoolFile) reader() io.ReadSeeker { return io.NewSectionReader(s.f, 0, s.size) }

// close closes and so deletes the file, and gives back its place in the
// budgets. It may be called again.
func (s *spoolFile) close() {
	if s == nil || s.f == nil {
		return
	}
	_ = s.f.Close()
	s.f = nil
	fdbudget.Release()
	s.proto.budget.spools.Add(-1)
}

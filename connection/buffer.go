package connection

import "sync"

// Staged output and kept input live in pooled buffers that go back to the
// pool as soon as they are empty, so an idle connection holds none: that is
// what keeps 10,000 idle SSE connections cheap. A connection holds a buffer
// by pointer (8 bytes rather than a 24-byte slice header), and the pool
// stores the same pointer, so taking and returning one allocates nothing.
//
// There are two tiers. Most sends are small (an HTTP response, an SSE
// event), and a broadcast takes a buffer for every subscriber before their
// loops write them: handing out 4 KiB buffers there allocated 40 MB per
// event at 10,000 subscribers once the pool ran dry. So a send starts
// small, and only a send known to be large takes a large buffer; a buffer
// that grew goes back to the tier its capacity fits.

//
// A third tier holds buffers of a whole read (gnet reads up to 64 KiB at
// a time): a relay (Pipe) forwards reads of that size, and growing an
// 8 KiB buffer to fit each one left a new 72 KiB buffer to the GC per
// read. Only a send known to be over half of that size takes one.

const (
	smallBufferSize = 512
	largeBufferSize = 8 << 10
	readBufferSize  = 64 << 10
	maxPooledSize   = 80 << 10 // larger buffers are left to the GC
)

var (
	smallBuffers = sync.Pool{New: func() any { b := make([]byte, 0, smallBufferSize); return &b }}
	largeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, largeBufferSize); return &b }}
	readBuffers  = sync.Pool{New: func() any { b := make([]byte, 0, readBufferSize); return &b }}
)

// getBuffer returns an empty buffer for about n bytes (0: unknown).
func getBuffer(n int) *[]byte {
	var b *[]byte
	switch {
	case n > readBufferSize/2 && n <= readBufferSize:
		b = readBuffers.Get().(*[]byte)
	case n > smallBufferSize:
		b = largeBuffers.Get().(*[]byte)
	default:
		b = smallBuffers.Get().(*[]byte)
	}
	*b = (*b)[:0]
	return b
}

// putBuffer gives b back to the pool its capacity fits; b must not be
// used afterwards.
func putBuffer(b *[]byte) {
	if b == nil {
		return
	}
	switch c := cap(*b); {
	case c > maxPooledSize:
	case c >= readBufferSize:
		*b = (*b)[:0]
		readBuffers.Put(b)
	case c >= largeBufferSize:
		*b = (*b)[:0]
		largeBuffers.Put(b)
	case c >= smallBufferSize:
		*b = (*b)[:0]
		smallBuffers.Put(b)
	}
}

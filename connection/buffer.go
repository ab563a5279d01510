package connection

import "sync"

// Staged output and kept input live in pooled buffers that go back to the
// pool as soon as they are empty, so an idle connection holds none: that is
// what keeps 10,000 idle SSE connections cheap.

const (
	bufferSize    = 4 << 10  // what a pooled buffer starts with
	maxPooledSize = 64 << 10 // larger buffers are left to the GC
)

var bufferPool = sync.Pool{New: func() any {
	b := make([]byte, 0, bufferSize)
	return &b
}}

func getBuffer() []byte {
	return (*bufferPool.Get().(*[]byte))[:0]
}

func putBuffer(b []byte) {
	if b == nil || cap(b) > maxPooledSize {
		return
	}
	b = b[:0]
	bufferPool.Put(&b)
}

package http

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// Every HTTP connection holds a codec for its whole life, idle SSE streams
// included: 96 bytes is a Go size class, and one field more would move it
// to the next (112).
func TestCodecFitsItsSizeClass(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(codec{}), uintptr(96))
}

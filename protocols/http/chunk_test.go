package http

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestChunkEncoding(t *testing.T) {
	big := strings.Repeat("x", 4096)
	tests := []struct {
		name string
		c    Chunk
		want string
		last bool
	}{
		{"bytes", NewChunk([]byte("hello")), "5\r\nhello\r\n", false},
		{"string", NewChunkString("hello world!!"), "d\r\nhello world!!\r\n", false},
		{"lower-case hex", NewChunkString(big), "1000\r\n" + big + "\r\n", false},
		{"CRLF in data is data", NewChunkString("a\r\n0\r\n\r\n"), "8\r\na\r\n0\r\n\r\n\r\n", false},
		{"terminator bytes", NewChunk(nil), "0\r\n\r\n", true},
		{"terminator empty bytes", NewChunk([]byte{}), "0\r\n\r\n", true},
		{"terminator string", NewChunkString(""), "0\r\n\r\n", true},
		{"zero value is the terminator", Chunk{}, "0\r\n\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, last := appendChunk([]byte("<"), tt.c)
			assert.Equal(t, "<"+tt.want, string(out))
			assert.Equal(t, tt.last, last)
			assert.Equal(t, tt.last, tt.c.Len() == 0)
		})
	}
}

func BenchmarkChunkAppend(b *testing.B) {
	c := NewChunkString("Hello, World! Hello, World!")
	dst := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = appendChunk(dst[:0], c)
	}
}

package text_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/protocoltest"
	"github.com/gnetworker/gnetworker/protocols/text"
)

func TestEverySplitPoint(t *testing.T) {
	input := []byte("hello\r\nworld\n\nlast line\npartial")
	want := []any{"hello", "world", "", "last line"}
	for i := 0; i <= len(input); i++ {
		codec := text.Protocol{}.NewCodec(&protocoltest.Conn{})
		r := protocoltest.Feed(codec, protocoltest.SplitAt(input, i)...)
		require.NoError(t, r.Err, "split at %d", i)
		assert.Equal(t, want, r.Messages, "split at %d", i)
		assert.Equal(t, "partial", string(r.Rest), "split at %d", i)
	}
	for n := 1; n <= 5; n++ {
		codec := text.Protocol{}.NewCodec(&protocoltest.Conn{})
		r := protocoltest.Feed(codec, protocoltest.Split(input, n)...)
		assert.Equal(t, want, r.Messages, "pieces of %d", n)
	}
}

// countingConn counts how many bytes Input is given in all, to show that a
// long line arriving in pieces is not re-scanned from its start.
func TestLongLineScannedOnce(t *testing.T) {
	codec := text.Protocol{}.NewCodec(&protocoltest.Conn{})
	line := []byte(strings.Repeat("a", 1<<20) + "\n")
	var buf []byte
	calls := 0
	for _, p := range protocoltest.Split(line, 64) {
		buf = append(buf, p...)
		n, err := codec.Input(buf)
		require.NoError(t, err)
		calls++
		if n > 0 {
			assert.Equal(t, len(line), n)
		}
	}
	assert.Equal(t, len(line)/64+1, calls)
	// Quadratic re-scanning would take minutes here; the resumable scan is
	// linear, which the test's running at all shows. The measure of work:
	msg, err := codec.Decode(buf)
	require.NoError(t, err)
	assert.Len(t, msg, 1<<20)
}

func TestTooLongLine(t *testing.T) {
	codec := text.Protocol{}.NewCodec(&protocoltest.Conn{MaxPackage: 10})
	r := protocoltest.Feed(codec, []byte("0123456789abc"))
	assert.ErrorIs(t, r.Err, protocols.ErrPackageTooLarge)
	codec = text.Protocol{}.NewCodec(&protocoltest.Conn{MaxPackage: 10})
	r = protocoltest.Feed(codec, []byte("012345678\n"))
	require.NoError(t, r.Err)
	assert.Equal(t, []any{"012345678"}, r.Messages)
}

func TestEncode(t *testing.T) {
	codec := text.Protocol{}.NewCodec(&protocoltest.Conn{})
	out, err := codec.Encode(nil, "hi")
	require.NoError(t, err)
	out, err = codec.Encode(out, []byte("there"))
	require.NoError(t, err)
	assert.Equal(t, "hi\nthere\n", string(out))
	_, err = codec.Encode(nil, 42)
	assert.ErrorIs(t, err, protocols.ErrUnsupportedMessage)
}

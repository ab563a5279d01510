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

// TestLongLineScannedOnce shows that Input resumes where it stopped rather
// than searching the whole buffer again on every read (which would make a
// long line arriving in pieces quadratic). The probe: a newline planted
// in bytes already searched must go unseen.
func TestLongLineScannedOnce(t *testing.T) {
	codec := text.Protocol{}.NewCodec(&protocoltest.Conn{})
	buf := []byte(strings.Repeat("a", 1000))
	n, err := codec.Input(buf)
	require.NoError(t, err)
	require.Zero(t, n)

	buf[10] = '\n' // already searched: a resuming codec does not look again
	buf = append(buf, "bb\n"...)
	n, err = codec.Input(buf)
	require.NoError(t, err)
	assert.Equal(t, len(buf), n, "the line ends at the new newline, found by scanning only the new bytes")

	// And a 1 MiB line in 64-byte pieces is measured once, at its end.
	codec = text.Protocol{}.NewCodec(&protocoltest.Conn{})
	line := []byte(strings.Repeat("a", 1<<20) + "\n")
	buf = buf[:0]
	for _, p := range protocoltest.Split(line, 64) {
		buf = append(buf, p...)
		n, err := codec.Input(buf)
		require.NoError(t, err)
		if len(buf) < len(line) {
			require.Zero(t, n)
		} else {
			assert.Equal(t, len(line), n)
		}
	}
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

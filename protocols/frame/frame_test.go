package frame_test

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/protocols"
	"github.com/gnetworker/gnetworker/protocols/frame"
	"github.com/gnetworker/gnetworker/protocols/protocoltest"
)

func encode(t *testing.T, msgs ...string) []byte {
	codec := frame.Protocol{}.NewCodec(&protocoltest.Conn{})
	var out []byte
	for _, m := range msgs {
		var err error
		out, err = codec.Encode(out, m)
		require.NoError(t, err)
	}
	return out
}

func TestEverySplitPoint(t *testing.T) {
	msgs := []string{"hello", "", "a longer frame payload", "x"}
	input := append(encode(t, msgs...), 0, 0) // and a partial header
	want := make([]any, len(msgs))
	for i, m := range msgs {
		want[i] = []byte(m)
	}
	for i := 0; i <= len(input); i++ {
		codec := frame.Protocol{}.NewCodec(&protocoltest.Conn{})
		r := protocoltest.Feed(codec, protocoltest.SplitAt(input, i)...)
		require.NoError(t, r.Err, "split at %d", i)
		assert.Equal(t, want, r.Messages, "split at %d", i)
		assert.Equal(t, []byte{0, 0}, r.Rest, "split at %d", i)
	}
	for n := 1; n <= 5; n++ {
		codec := frame.Protocol{}.NewCodec(&protocoltest.Conn{})
		r := protocoltest.Feed(codec, protocoltest.Split(input, n)...)
		assert.Equal(t, want, r.Messages, "pieces of %d", n)
	}
}

func TestHeaderIsTotalLength(t *testing.T) {
	out := encode(t, "abc")
	assert.Equal(t, uint32(7), binary.BigEndian.Uint32(out))
	assert.Equal(t, "abc", string(out[4:]))
}

func TestBadFrames(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		max   int
		want  error
	}{
		{"length below header", []byte{0, 0, 0, 3}, 0, frame.ErrBadLength},
		{"length zero", []byte{0, 0, 0, 0}, 0, frame.ErrBadLength},
		{"over max package", []byte{0, 0, 1, 0}, 100, protocols.ErrPackageTooLarge},
		{"huge length", []byte{0xff, 0xff, 0xff, 0xff}, 0, protocols.ErrPackageTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			codec := frame.Protocol{}.NewCodec(&protocoltest.Conn{MaxPackage: tc.max})
			r := protocoltest.Feed(codec, tc.input)
			assert.ErrorIs(t, r.Err, tc.want)
		})
	}
}

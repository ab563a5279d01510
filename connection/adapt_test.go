package connection

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/protocols"
)

// codecNamer is a protocols.Adapter that becomes the name of the codec's
// type, so the test sees which codec it was given.
type codecNamer struct{ calls *int }

func (a codecNamer) Adapt(codec protocols.Codec) any {
	*a.calls++
	return fmt.Sprintf("%T;", codec)
}

// Send encodes what an Adapter gives for the connection's codec; SendRaw
// leaves an Adapter alone.
func TestSendAdapts(t *testing.T) {
	loop, fcs, cs := newFakeConns(1)
	calls := 0
	require.NoError(t, cs[0].Send(codecNamer{&calls}))
	require.NoError(t, cs[0].Close(codecNamer{&calls}))
	assert.Equal(t, 2, calls)
	loop.runTasks(t)
	assert.Equal(t, "protocols.rawCodec;protocols.rawCodec;", fcs[0].written.String())

	_, _, cs = newFakeConns(1)
	assert.ErrorIs(t, cs[0].SendRaw(codecNamer{&calls}), protocols.ErrUnsupportedMessage)
	assert.Equal(t, 2, calls, "SendRaw does not adapt")
}

package protocols

// Raw is the protocol of the "tcp" scheme: no framing at all. Every read is
// one message, a copy of the bytes received ([]byte), and sends go out as
// they are ([]byte or string).
type Raw struct{}

// Name returns "tcp".
func (Raw) Name() string { return "tcp" }

// NewCodec returns the stateless raw codec.
func (Raw) NewCodec(Conn) Codec { return rawCodec{} }

type rawCodec struct{}

func (rawCodec) Input(buf []byte) (int, error) { return len(buf), nil }

func (rawCodec) Decode(pkg []byte) (any, error) {
	b := make([]byte, len(pkg))
	copy(b, pkg)
	return b, nil
}

func (rawCodec) Encode(dst []byte, msg any) ([]byte, error) { return AppendBytes(dst, msg) }

// Passthrough reports that the codec's messages are the bytes as they
// came, and its encoding is none (Passthrough).
func (rawCodec) Passthrough() bool { return true }

// Passthrough is implemented by codecs with no framing at all (Raw): a
// message is whatever bytes arrived, and encoding appends them as they
// are. A connection piping such a codec's input forwards the bytes it
// read without decoding them into a copy first.
type Passthrough interface {
	Passthrough() bool
}

// AppendBytes appends msg, a []byte or a string, to dst; other types are
// ErrUnsupportedMessage. Protocols use it for their payloads.
func AppendBytes(dst []byte, msg any) ([]byte, error) {
	switch m := msg.(type) {
	case []byte:
		return append(dst, m...), nil
	case string:
		return append(dst, m...), nil
	}
	return dst, ErrUnsupportedMessage
}

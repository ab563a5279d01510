package websocket

import (
	"bytes"
	"compress/flate"
	"io"
	"strings"
	"sync"
)

// permessage-deflate (RFC 7692), without context takeover in either
// direction: each message is compressed and inflated on its own, so a
// connection holds no compression window between messages (a flate writer
// costs about 1 MiB and a reader about 40 KiB, taken from pools for the
// length of one message). The server answers an offer with
// server_no_context_takeover and client_no_context_takeover, which RFC
// 7692 lets it add to any offer; an offer that limits the server's window
// below 15 bits is declined, as compress/flate always uses 32 KiB.

// DefaultCompressionThreshold is the smallest message compressed.
const DefaultCompressionThreshold = 512

// deflateResponse is the negotiated extension's answer.
const deflateResponse = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

// acceptDeflate reports whether one of the offers (Sec-WebSocket-Extensions
// values) is a permessage-deflate this server can accept.
func acceptDeflate(offers []string) bool {
	for _, header := range offers {
		for offer := range strings.SplitSeq(header, ",") {
			params := strings.Split(offer, ";")
			if !strings.EqualFold(strings.TrimSpace(params[0]), "permessage-deflate") {
				continue
			}
			if deflateParamsOK(params[1:]) {
				return true
			}
		}
	}
	return false
}

// deflateParamsOK checks an offer's parameters: known, not repeated, and
// leaving the server a 15-bit window.
func deflateParamsOK(params []string) bool {
	_, ok := eachDeflateParam(params, func(name, value string, hasValue bool) bool {
		switch name {
		case "server_max_window_bits":
			return value == "15"
		case "client_max_window_bits":
			return !hasValue || validWindowBits(value)
		}
		return false
	})
	return ok
}

// eachDeflateParam reads the parameters of a permessage-deflate offer or
// answer, names in lower case and values unquoted: a repeated one, or a
// value on a context-takeover flag, refuses them all, and check judges
// every other. It returns the names seen.
func eachDeflateParam(params []string, check func(name, value string, hasValue bool) bool) (map[string]bool, bool) {
	seen := map[string]bool{}
	for _, p := range params {
		name, value, hasValue := strings.Cut(strings.TrimSpace(p), "=")
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.Trim(strings.TrimSpace(value), `"`)
		if seen[name] {
			return nil, false
		}
		seen[name] = true
		switch name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if hasValue {
				return nil, false
			}
		default:
			if !check(name, value, hasValue) {
				return nil, false
			}
		}
	}
	return seen, true
}

func validWindowBits(v string) bool {
	switch v {
	case "8", "9", "10", "11", "12", "13", "14", "15":
		return true
	}
	return false
}

var (
	flateWriters = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestSpeed)
		return w
	}}
	flateReaders = sync.Pool{New: func() any { return flate.NewReader(nil) }}
)

// deflateTail ends every compressed message (section 7.2.1), removed by
// the sender and added back by the receiver.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff}

// compress appends payload, compressed, to dst.
func compress(dst, payload []byte) []byte {
	buf := bytes.NewBuffer(dst)
	w := flateWriters.Get().(*flate.Writer)
	w.Reset(buf)
	_, _ = w.Write(payload)
	_ = w.Flush()
	flateWriters.Put(w)
	out := buf.Bytes()
	if bytes.HasSuffix(out[len(dst):], deflateTail) {
		out = out[:len(out)-len(deflateTail)]
	}
	return out
}

// inflate decompresses a message, failing with errTooBig past max bytes:
// a small message cannot be inflated into a huge one.
func inflate(compressed []byte, max int) ([]byte, error) {
	r := flateReaders.Get().(io.ReadCloser)
	defer flateReaders.Put(r)
	src := io.MultiReader(bytes.NewReader(compressed), bytes.NewReader(deflateTail))
	if err := r.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, errBadDeflate
	}
	var out bytes.Buffer
	n, err := out.ReadFrom(io.LimitReader(r, int64(max)+1))
	switch {
	case n > int64(max):
		return nil, errTooBig
	case err != nil && err != io.ErrUnexpectedEOF:
		return nil, errBadDeflate
	}
	return out.Bytes(), nil
}

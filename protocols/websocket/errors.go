package websocket

import "strconv"

// Close codes (RFC 6455 section 7.4.1).
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001
	CloseProtocolError   = 1002
	CloseUnsupportedData = 1003
	CloseNoStatus        = 1005 // never on the wire: a close without a code
	CloseAbnormal        = 1006 // never on the wire: no close frame at all
	CloseInvalidPayload  = 1007
	ClosePolicyViolation = 1008
	CloseTooBig          = 1009
	CloseInternalError   = 1011
)

// CloseError is a peer's input the connection must close for, with the
// close code and reason sent in the closing frame. It implements
// protocols.Replier: the connection writes that frame, then closes.
type CloseError struct {
	Code   int
	Reason string
	reply  []byte
}

func newCloseError(code int, reason string) *CloseError {
	return &CloseError{Code: code, Reason: reason, reply: appendClose(nil, code, reason)}
}

// Error says "websocket: close 1002: <reason>".
func (e *CloseError) Error() string {
	return "websocket: close " + strconv.Itoa(e.Code) + ": " + e.Reason
}

// Reply is the close frame to send before closing.
func (e *CloseError) Reply() []byte { return e.reply }

var (
	errReservedBits   = newCloseError(CloseProtocolError, "reserved bits set")
	errReservedOpcode = newCloseError(CloseProtocolError, "reserved opcode")
	errUnmasked       = newCloseError(CloseProtocolError, "client frames must be masked")
	errMasked         = newCloseError(CloseProtocolError, "server frames must not be masked")
	errBadLength      = newCloseError(CloseProtocolError, "payload length out of range")
	errBadControl     = newCloseError(CloseProtocolError, "control frames are at most 125 bytes and never fragmented")
	errTooBig         = newCloseError(CloseTooBig, "message too big")
	errContinuation   = newCloseError(CloseProtocolError, "continuation without a message to continue")
	errInterleaved    = newCloseError(CloseProtocolError, "a new message before the last one ended")
	errInvalidUTF8    = newCloseError(CloseInvalidPayload, "invalid UTF-8 in a text message")
	errCloseCode      = newCloseError(CloseProtocolError, "invalid close code")
	errClosePayload   = newCloseError(CloseProtocolError, "a close payload of one byte")
	errBadDeflate     = newCloseError(CloseInvalidPayload, "the compressed message does not inflate")
)

// validCloseCode reports whether a close frame may carry code (section
// 7.4): the defined codes that may be sent, and 3000-4999.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

package websocket

import (
	"bytes"
	"iter"
	"strconv"
	"strings"
)

// The client's side of the opening handshake (RFC 6455 section 4.1): the
// server's answer is read up to its blank line, at most maxResponseHead
// bytes, and checked in the order of the RFC's list of reasons to fail
// the connection.

// maxResponseHead bounds the head of the server's answer to a handshake
// (status line and fields): a 101 is a few hundred bytes.
const maxResponseHead = 8 << 10

// HandshakeResponse is the head of the server's answer to a client's
// handshake: the 101 that opened the connection, delivered to
// OnWebSocketConnect, or the answer that refused it (in a
// HandshakeError).
type HandshakeResponse struct {
	// Status is the status code: 101 once the handshake completed.
	Status int
	// StatusLine is the first line, such as
	// "HTTP/1.1 101 Switching Protocols".
	StatusLine string
	// Subprotocol is the subprotocol the server chose of those offered,
	// "" when none.
	Subprotocol string
	// Compression reports that permessage-deflate was negotiated.
	Compression bool

	fields []responseField
	hb     *heartbeat // the connection's, for Client.Handler to start
}

type responseField struct{ name, value string }

// Header returns the value of the header field name (case-insensitive),
// "" when absent; repeated fields are joined with ", ". Values are
// trimmed of surrounding spaces and tabs.
func (r *HandshakeResponse) Header(name string) string {
	return strings.Join(r.HeaderValues(name), ", ")
}

// HeaderValues returns the values of every header field named name
// (case-insensitive), in order, or nil.
func (r *HandshakeResponse) HeaderValues(name string) []string {
	var vs []string
	for _, f := range r.fields {
		if strings.EqualFold(f.name, name) {
			vs = append(vs, f.value)
		}
	}
	return vs
}

// Headers iterates over the header fields in order, with the names'
// case as sent.
func (r *HandshakeResponse) Headers() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, f := range r.fields {
			if !yield(f.name, f.value) {
				return
			}
		}
	}
}

// HandshakeError is a client's handshake that failed: the server refused
// it (a status other than 101), answered in a way that does not accept
// it, or did not answer in HTTP at all. It implements
// protocols.ConnectFailure, so the connection reports it to OnError as
// connection.CodeConnectFail, then closes.
type HandshakeError struct {
	// Reason says what went wrong, such as
	// "handshake refused: HTTP/1.1 403 Forbidden".
	Reason string
	// Response is the server's answer, nil when it was no HTTP response
	// head.
	Response *HandshakeResponse
}

// Error says "websocket: " and the reason.
func (e *HandshakeError) Error() string { return "websocket: " + e.Reason }

// ConnectFailure reports true: the connection never became a WebSocket
// (protocols.ConnectFailure).
func (e *HandshakeError) ConnectFailure() bool { return true }

func handshakeFailed(resp *HandshakeResponse, why string) *HandshakeError {
	return &HandshakeError{Reason: "handshake failed: " + why, Response: resp}
}

// quoteLimited shows a peer's (or a user's) bytes in a message: quoted,
// and cut after 64 bytes.
func quoteLimited(s string) string {
	if len(s) > 64 {
		return strconv.QuoteToASCII(s[:64]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

// printable returns s when it is printable ASCII, else s quoted: a
// status line in an error message.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return quoteLimited(s)
		}
	}
	if len(s) > 128 {
		return s[:128] + "..."
	}
	return s
}

// parseResponseHead parses the head of an HTTP/1.x response, its blank
// line included: the status line, then fields. Line ends may be CRLF or
// LF; obsolete line folding is refused.
func parseResponseHead(head []byte) (*HandshakeResponse, *HandshakeError) {
	resp := &HandshakeResponse{}
	first := true
	for len(head) > 0 {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			break // no blank line: Input gives whole heads only
		}
		line := head[:i]
		head = head[i+1:]
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if first {
			first = false
			if !parseStatusLine(resp, line) {
				return nil, &HandshakeError{Reason: "handshake failed: the answer is no HTTP response: " + quoteLimited(string(line))}
			}
			continue
		}
		if len(line) == 0 {
			return resp, nil
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || !validToken(string(name)) || !validReceivedValue(value) {
			return nil, handshakeFailed(nil, "a malformed header field in the answer: "+quoteLimited(string(line)))
		}
		resp.fields = append(resp.fields, responseField{
			name:  string(name),
			value: string(bytes.Trim(value, " \t")),
		})
	}
	return nil, handshakeFailed(nil, "the answer's head does not end")
}

// parseStatusLine reads "HTTP/1.x 101 Reason phrase".
func parseStatusLine(resp *HandshakeResponse, line []byte) bool {
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[7] < '0' || line[7] > '9' || line[8] != ' ' {
		return false
	}
	code := line[9:12]
	if len(line) > 12 && line[12] != ' ' {
		return false
	}
	for _, d := range code {
		if d < '0' || d > '9' {
			return false
		}
	}
	if !validReceivedValue(line) {
		return false
	}
	resp.Status = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	resp.StatusLine = string(line)
	return true
}

// validReceivedValue reports whether v has no control bytes but tab
// (obs-text, bytes from 0x80, is allowed).
func validReceivedValue(v []byte) bool {
	for _, c := range v {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// checkResponse decides on a parsed answer to the handshake with key,
// as section 4.1 lists the reasons to fail it, and notes what was
// negotiated in resp.
func checkResponse(resp *HandshakeResponse, key string, offered []string, deflate bool) *HandshakeError {
	switch {
	case resp.Status != 101:
		return &HandshakeError{Reason: "handshake refused: " + printable(resp.StatusLine), Response: resp}
	case !strings.HasPrefix(resp.StatusLine, "HTTP/1.1 "):
		return handshakeFailed(resp, "a 101 answer must be HTTP/1.1: "+printable(resp.StatusLine))
	case !hasToken(resp.Header("Upgrade"), "websocket"):
		return handshakeFailed(resp, "the 101 lacks Upgrade: websocket")
	case !hasToken(resp.Header("Connection"), "upgrade"):
		return handshakeFailed(resp, "the 101 lacks Connection: upgrade")
	}
	if accept := resp.HeaderValues("Sec-WebSocket-Accept"); len(accept) != 1 || accept[0] != acceptKey(key) {
		return handshakeFailed(resp, "Sec-WebSocket-Accept does not match the key")
	}
	switch protos := resp.HeaderValues("Sec-WebSocket-Protocol"); {
	case len(protos) > 1:
		return handshakeFailed(resp, "the server chose more than one subprotocol")
	case len(protos) == 1:
		for _, p := range offered {
			if p == protos[0] {
				resp.Subprotocol = p
			}
		}
		if resp.Subprotocol == "" {
			return handshakeFailed(resp, "the server chose subprotocol "+quoteLimited(protos[0])+", which was not offered")
		}
	}
	ext := resp.HeaderValues("Sec-WebSocket-Extensions")
	if len(ext) == 0 {
		return nil
	}
	if !deflate || !deflateAnswerOK(ext) {
		return handshakeFailed(resp, "the server answered with an extension not offered: "+quoteLimited(strings.Join(ext, ", ")))
	}
	resp.Compression = true
	return nil
}

// deflateAnswerOK checks the server's answer to deflateOffer (RFC 7692
// section 7.1): one permessage-deflate that keeps no context on the
// server's side, with known parameters, each at most once. The client's
// window is not limited (it offered no client_max_window_bits); any
// window of the server's inflates.
func deflateAnswerOK(values []string) bool {
	exts := strings.Split(strings.Join(values, ","), ",")
	if len(exts) != 1 {
		return false
	}
	params := strings.Split(exts[0], ";")
	if !strings.EqualFold(strings.TrimSpace(params[0]), "permessage-deflate") {
		return false
	}
	seen, ok := eachDeflateParam(params[1:], func(name, value string, _ bool) bool {
		return name == "server_max_window_bits" && validWindowBits(value)
	})
	return ok && seen["server_no_context_takeover"]
}

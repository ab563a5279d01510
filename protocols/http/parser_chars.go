package http

import (
	"bytes"
	"encoding/binary"
)

// Byte classes of RFC 9110 and RFC 3986 used by the request parser. The
// names carry a "req" prefix to stay clear of the response side of the
// package.

// reqTchar marks tchar: the bytes of a token (method, field name, coding).
var reqTchar = reqMakeTable("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

// reqFieldValueChar marks what a field value may hold: HTAB, SP, VCHAR and
// obs-text.
var reqFieldValueChar = func() (t [256]bool) {
	t['\t'] = true
	for c := 0x20; c < 0x100; c++ {
		t[c] = c != 0x7f
	}
	return
}()

// reqQdtext marks qdtext of a quoted-string: HTAB, SP, VCHAR except '"'
// and '\', and obs-text. (A quoted-pair may also escape '"' and '\'.)
var reqQdtext = func() (t [256]bool) {
	t = reqFieldValueChar
	t['"'], t['\\'] = false, false
	return
}()

// reqHostRegChar marks reg-name bytes of a Host: unreserved and sub-delims
// (pct-encoded is checked separately).
var reqHostRegChar = reqMakeTable("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=")

// reqSchemeChar marks the bytes after a scheme's first letter.
var reqSchemeChar = reqMakeTable("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")

// reqLower maps ASCII upper-case letters to lower case and every other
// byte to itself.
var reqLower = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
		if c >= 'A' && c <= 'Z' {
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return
}()

func reqMakeTable(s string) (t [256]bool) {
	for i := 0; i < len(s); i++ {
		t[s[i]] = true
	}
	return
}

func reqIsDigit(c byte) bool { return c >= '0' && c <= '9' }

// reqUnhex returns the value of a hex digit, or -1.
func reqUnhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// reqTrimOWS removes leading and trailing SP and HTAB.
func reqTrimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// reqEqualFoldLower reports whether b equals lower, ignoring ASCII case in
// b; lower must already be lower case.
func reqEqualFoldLower(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if reqLower[b[i]] != lower[i] {
			return false
		}
	}
	return true
}

// reqEqualFold reports whether a and b are equal ignoring ASCII case.
func reqEqualFold(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if reqLower[a[i]] != reqLower[b[i]] {
			return false
		}
	}
	return true
}

const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// reqValidFieldValue reports whether b holds only HTAB, SP, VCHAR and
// obs-text: no NUL, CR, LF, other controls or DEL. Eight bytes are checked
// at a time; a word that may hold a control byte (typically an HTAB) is
// checked byte by byte.
func reqValidFieldValue(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		y := x ^ (swarLo * 0x7f)
		// A byte below 0x20 (high bit clear) or equal to 0x7f.
		if ((x-swarLo*0x20)&^x|(y-swarLo)&^y)&swarHi != 0 {
			for _, c := range b[i : i+8] {
				if !reqFieldValueChar[c] {
					return false
				}
			}
		}
	}
	for _, c := range b[i:] {
		if !reqFieldValueChar[c] {
			return false
		}
	}
	return true
}

// reqVisibleASCII reports whether b holds only VCHAR (0x21-0x7e).
func reqVisibleASCII(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		y := x ^ (swarLo * 0x7f)
		if (x|(x-swarLo*0x21)|(y-swarLo))&swarHi != 0 {
			return false
		}
	}
	for _, c := range b[i:] {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// reqValidTarget checks a request target's bytes and form (RFC 9112
// section 3.2): origin-form ("/..."), asterisk-form ("*"), authority-form
// (CONNECT only) or absolute-form ("scheme:..."). Any visible ASCII byte is
// accepted inside the target, as deployed clients send '"', '|', '{' and
// the like unescaped; bytes outside ASCII are refused.
func reqValidTarget(method, t []byte) bool {
	if len(t) == 0 || !reqVisibleASCII(t) {
		return false
	}
	if string(method) == "CONNECT" {
		return bytes.IndexByte(t, '/') < 0 && bytes.IndexByte(t, ':') > 0 && reqValidHost(t)
	}
	switch t[0] {
	case '/':
		return true
	case '*':
		// asterisk-form is for OPTIONS (RFC 9112 section 3.2.4), and for
		// the SSDP methods of UPnP, M-SEARCH and NOTIFY, as llhttp allows.
		return len(t) == 1 && (string(method) == "OPTIONS" || string(method) == "M-SEARCH" || string(method) == "NOTIFY")
	}
	if !(t[0] >= 'a' && t[0] <= 'z' || t[0] >= 'A' && t[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(t); i++ {
		if t[i] == ':' {
			// "host:port" is authority-form, for CONNECT alone (RFC 9112
			// section 3.2.3), though it parses as a scheme and a path.
			return !reqAllDigits(t[i+1:])
		}
		if !reqSchemeChar[t[i]] {
			return false
		}
	}
	return false
}

// reqValidHost checks a Host value: uri-host [ ":" port ] (RFC 9110
// section 7.2), where uri-host is an IP-literal in brackets or a reg-name
// (which covers IPv4 addresses). An empty value is valid.
func reqValidHost(h []byte) bool {
	i := 0
	if len(h) > 0 && h[0] == '[' {
		j := bytes.IndexByte(h, ']')
		if j < 2 {
			return false
		}
		for _, c := range h[1:j] {
			if !(reqUnhex(c) >= 0 || c == ':' || c == '.' || c == 'v' || c == 'V' || reqHostRegChar[c]) {
				return false
			}
		}
		i = j + 1
	} else {
		for i < len(h) {
			c := h[i]
			if c == '%' {
				if i+2 >= len(h) || reqUnhex(h[i+1]) < 0 || reqUnhex(h[i+2]) < 0 {
					return false
				}
				i += 3
				continue
			}
			if !reqHostRegChar[c] {
				break
			}
			i++
		}
	}
	if i == len(h) {
		return true
	}
	if h[i] != ':' {
		return false
	}
	for _, c := range h[i+1:] {
		if !reqIsDigit(c) {
			return false
		}
	}
	return true
}

// reqScanFieldValue returns the offset of the first byte at or after i that
// a field value may not hold (a control other than HTAB, or DEL), or
// len(b). Eight bytes are checked at a time.
func reqScanFieldValue(b []byte, i int) int {
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		y := x ^ (swarLo * 0x7f)
		if ((x-swarLo*0x20)&^x|(y-swarLo)&^y)&swarHi != 0 {
			for k := i; k < i+8; k++ {
				if !reqFieldValueChar[b[k]] {
					return k
				}
			}
		}
		i += 8
	}
	for ; i < len(b); i++ {
		if !reqFieldValueChar[b[i]] {
			return i
		}
	}
	return len(b)
}

// reqAllDigits reports whether b is empty or only ASCII digits.
func reqAllDigits(b []byte) bool {
	for _, c := range b {
		if !reqIsDigit(c) {
			return false
		}
	}
	return true
}

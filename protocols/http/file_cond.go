package http

import (
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// evalPreconditions evaluates the preconditions of a GET or HEAD request
// for a file whose entity tag is etag ("" when it has none) and which was
// last modified at mtime, in the order of RFC 9110 section 13.2.2. It
// returns 412 (Precondition Failed), 304 (Not Modified), or 0 to go on.
func evalPreconditions(q fileConditions, etag string, mtime time.Time) int {
	mtime = mtime.Truncate(time.Second) // dates have whole seconds
	if q.ifMatch != "" {
		if !etagListMatches(q.ifMatch, etag, true) {
			return 412
		}
	} else if t, ok := parseHTTPDate(trimOWS(q.ifUnmodifiedSince)); ok && mtime.After(t) {
		return 412
	}
	if q.ifNoneMatch != "" {
		if etagListMatches(q.ifNoneMatch, etag, false) {
			return 304
		}
		return 0 // If-Modified-Since is ignored (section 13.1.3)
	}
	if t, ok := parseHTTPDate(trimOWS(q.ifModifiedSince)); ok && !mtime.After(t) {
		return 304
	}
	return 0
}

// etagListMatches reports whether the If-Match or If-None-Match value list
// ("*" or a list of entity tags) matches etag, with the strong comparison
// (If-Match: a weak tag never matches) or the weak one (If-None-Match).
func etagListMatches(list, etag string, strong bool) bool {
	if trimOWS(list) == "*" {
		return true
	}
	if etag == "" {
		return false
	}
	etagWeak, etagOpaque := splitETag(etag)
	if strong && etagWeak {
		return false
	}
	for list != "" {
		list = strings.TrimLeft(list, " \t,")
		weak := strings.HasPrefix(list, "W/")
		if weak {
			list = list[2:]
		}
		if list == "" || list[0] != '"' {
			return false // malformed: nothing after it is trusted
		}
		end := strings.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		opaque := list[:end+2]
		list = list[end+2:]
		if opaque == etagOpaque && (!strong || !weak) {
			return true
		}
	}
	return false
}

// splitETag splits an entity tag into its weakness and its quoted opaque
// part.
func splitETag(etag string) (weak bool, opaque string) {
	if strings.HasPrefix(etag, "W/") {
		return true, etag[2:]
	}
	return false, etag
}

// ifRangeMatches reports whether an If-Range value validates the
// representation (RFC 9110 section 13.1.5): an entity tag matching etag
// strongly, or a date equal to lastModified.
func ifRangeMatches(v, etag, lastModified string) bool {
	v = trimOWS(v)
	if strings.HasPrefix(v, "W/") {
		return false
	}
	if strings.HasPrefix(v, `"`) {
		weak, _ := splitETag(etag)
		return etag != "" && !weak && v == etag
	}
	t, ok := parseHTTPDate(v)
	lm, ok2 := parseHTTPDate(lastModified)
	return ok && ok2 && t.Equal(lm)
}

// fileETag returns a strong entity tag for a file from its modification
// time and size, as nginx's: it changes whenever either does.
func fileETag(st fs.FileInfo, suffix string) string {
	b := make([]byte, 0, 40+len(suffix))
	b = append(b, '"')
	b = strconv.AppendUint(b, uint64(st.ModTime().UnixNano()), 16)
	b = append(b, '-')
	b = strconv.AppendUint(b, uint64(st.Size()), 16)
	b = append(b, suffix...)
	b = append(b, '"')
	return string(b)
}

package http

import (
	"crypto/rand"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Several byte ranges (RFC 9110 section 14.6). They are sorted and merged
// where they overlap or touch (section 14.2 lets a server coalesce), which
// also bounds the answer by the file's size whatever the request (the
// Apache "Range: bytes=0-,0-,0-..." amplification). More than maxRanges
// ranges after merging, or parts totalling inlineFileLimit or more, get
// the whole representation with 200, which section 14.2 allows: the parts
// are assembled in memory, and a client asking for that much is better
// served by one stream.

// maxRanges is the most ranges answered with multipart/byteranges.
const maxRanges = 32

// byteRange is the bytes first..last, inclusive.
type byteRange struct{ first, last int64 }

// parseRanges interprets a Range value with one or more ranges against a
// representation of size bytes: rangeSatisfiable with the satisfiable
// ranges sorted and merged (unsatisfiable ones dropped),
// rangeUnsatisfiable when none is, rangeIgnored when the value is not a
// well-formed bytes range set or leaves more than maxRanges.
func parseRanges(h string, size int64) ([]byteRange, rangeResult) {
	h = strings.Trim(h, " \t")
	const unit = "bytes="
	if len(h) < len(unit) || !strings.EqualFold(h[:len(unit)], unit) {
		return nil, rangeIgnored
	}
	var ranges []byteRange
	seen := false
	for spec := range strings.SplitSeq(h[len(unit):], ",") {
		if strings.Trim(spec, " \t") == "" {
			continue // an empty list element
		}
		seen = true
		first, last, res := parseSingleRange(unit+spec, size)
		switch {
		case res == rangeSatisfiable:
			ranges = append(ranges, byteRange{first, last})
		case res == rangeIgnored:
			return nil, rangeIgnored
		}
		if len(ranges) > 8*maxRanges {
			return nil, rangeIgnored
		}
	}
	if !seen {
		return nil, rangeIgnored
	}
	if len(ranges) == 0 {
		return nil, rangeUnsatisfiable
	}
	slices.SortFunc(ranges, func(a, b byteRange) int {
		switch {
		case a.first < b.first:
			return -1
		case a.first > b.first:
			return 1
		}
		return 0
	})
	merged := ranges[:1]
	for _, r := range ranges[1:] {
		cur := &merged[len(merged)-1]
		if r.first <= cur.last+1 {
			cur.last = max(cur.last, r.last)
			continue
		}
		merged = append(merged, r)
	}
	if len(merged) > maxRanges {
		return nil, rangeIgnored
	}
	return merged, rangeSatisfiable
}

// byterangesHeads returns the boundary line and headers that precede each
// range's bytes, the closing delimiter, and the total length of the
// multipart/byteranges body for ranges of a representation of size bytes
// of type ctype.
func byterangesHeads(ranges []byteRange, size int64, ctype, boundary string) (heads []string, tail string, total int64) {
	heads = make([]string, len(ranges))
	sz := strconv.FormatInt(size, 10)
	for i, r := range ranges {
		var b strings.Builder
		if i > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("--" + boundary + "\r\nContent-Type: " + ctype + "\r\nContent-Range: bytes ")
		b.WriteString(strconv.FormatInt(r.first, 10) + "-" + strconv.FormatInt(r.last, 10) + "/" + sz + "\r\n\r\n")
		heads[i] = b.String()
		total += int64(len(heads[i])) + r.last - r.first + 1
	}
	tail = "\r\n--" + boundary + "--\r\n"
	return heads, tail, total + int64(len(tail))
}

// byterangesBody reads ranges of f, whose representation starts at base
// and has size bytes, into a multipart/byteranges body; it reports false
// when the body would reach inlineFileLimit.
func byterangesBody(f *os.File, base int64, ranges []byteRange, size int64, ctype, boundary string) ([]byte, bool, error) {
	heads, tail, total := byterangesHeads(ranges, size, ctype, boundary)
	if total >= inlineFileLimit {
		return nil, false, nil
	}
	body := make([]byte, 0, total)
	for i, r := range ranges {
		body = append(body, heads[i]...)
		n := r.last - r.first + 1
		start := len(body)
		body = body[:start+int(n)]
		if _, err := io.ReadFull(io.NewSectionReader(f, base+r.first, n), body[start:]); err != nil {
			return nil, true, err
		}
	}
	return append(body, tail...), true, nil
}

// newBoundary returns a multipart boundary no file's bytes are likely to
// contain.
func newBoundary() string { return rand.Text() }

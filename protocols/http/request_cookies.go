package http

import (
	"bytes"
	"iter"
)

// Cookies iterates over the cookies of the Cookie header field(s) in
// order, parsed as Cookie parses them (names and values trimmed, values
// without surrounding double quotes, pairs without '=' skipped, nothing
// decoded): for name, value := range req.Cookies() { ... }. A name sent
// twice is yielded twice: Cookie(name) is the first, as PHP's $_COOKIE
// keeps; maps.Collect(req.Cookies()) keeps the last. It is workerman's
// cookie() without arguments (which, unlike this, url-decodes). It
// allocates nothing; the strings are views of the request (see Request).
func (r *Request) Cookies() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, f := range r.fields {
			if f.nameEnd-f.nameStart != 6 || !reqEqualFoldLower(r.buf[f.nameStart:f.nameEnd], "cookie") {
				continue
			}
			v := r.buf[f.valueStart:f.valueEnd]
			for len(v) > 0 {
				var pair []byte
				if i := bytes.IndexByte(v, ';'); i >= 0 {
					pair, v = v[:i], v[i+1:]
				} else {
					pair, v = v, nil
				}
				pair = reqTrimOWS(pair)
				eq := bytes.IndexByte(pair, '=')
				if eq < 0 {
					continue
				}
				val := reqTrimOWS(pair[eq+1:])
				if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
					val = val[1 : len(val)-1]
				}
				if !yield(reqView(reqTrimOWS(pair[:eq])), reqView(val)) {
					return
				}
			}
		}
	}
}

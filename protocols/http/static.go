package http

// Static files. A request path is decoded once, then taken apart into
// names: "..", a NUL or a backslash anywhere is refused with 400 before
// the file system is asked anything, and what remains is looked up through
// an os.Root, which refuses to leave the directory by any route, symbolic
// links included. So neither "%2e%2e/", "%252e%252e%252f" (decoded once: a
// name with percents in it), "..\", "%00" nor "//etc/passwd" reaches a file
// outside the root. The file is opened and sent by the WithFile machinery:
// small ones inline, large ones streamed under backpressure, never read
// whole into memory, the descriptor closed on every path.

import (
	"cmp"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/fdbudget"
)

// StaticOptions configure a Static handler. The zero value serves the
// directory under "/", with index.html as the index, no listings, no
// symbolic links leading out of the directory, no dot files and no
// precompressed siblings.
type StaticOptions struct {
	// Prefix is the URL path the directory is served under, such as
	// "/assets/" (a missing trailing slash is added); "" means "/". It
	// must be a clean absolute path. Paths are matched as sent, before
	// percent-decoding.
	Prefix string
	// Index lists the files served for a directory, the first that
	// exists winning. nil means {"index.html"}; an empty non-nil slice
	// means none. Names must be plain file names.
	Index []string
	// ListDirectories answers a directory without an index with an HTML
	// list of its entries (dot files left out unless DotFiles, at most
	// MaxListEntries). Without it such a directory is not found (404).
	ListDirectories bool
	// FollowSymlinks serves what symbolic links point to even outside
	// the directory. Without it a link is followed only while it stays
	// inside (os.Root's rule); one leading out is not found (404).
	// ".." in a request is refused either way.
	FollowSymlinks bool
	// DotFiles serves names that start with a dot (.env, .git/...);
	// without it they are not found (404).
	DotFiles bool
	// Precompressed serves "name.br" or "name.gz", when it exists beside
	// name and the request's Accept-Encoding allows br or gzip, with
	// Content-Encoding, name's Content-Type and its own ETag. Every
	// response then carries "Vary: Accept-Encoding".
	Precompressed bool
	// CacheControl, when set, is sent as the Cache-Control header of
	// every file (for example "public, max-age=3600").
	CacheControl string
}

// MaxListEntries bounds a directory listing: the first entries the
// directory yields, sorted by name, and a note that more exist.
const MaxListEntries = 10000

// Static serves the files of a directory under a URL prefix, after nginx's
// static module and workerman's static file handling in its http server:
//
//   - GET and HEAD only; other methods get 405 with "Allow: GET, HEAD".
//   - A path that is not under Prefix is not Static's: Serve returns false
//     and Response nil, so the application routes it on.
//   - A bad path (an invalid escape, "..", NUL, backslash) gets 400; a
//     missing file, a dot file, a link out of the directory, a special
//     file or a directory without index (unless ListDirectories) 404; an
//     unreadable file 403.
//   - A directory requested without its trailing slash is redirected
//     (301) to the path with it, so that relative links in its index
//     resolve; with the slash its index is served.
//   - Every file has Content-Type (mime.go), Last-Modified, a strong ETag
//     (modification time and size) and "Accept-Ranges: bytes".
//     If-Match, If-Unmodified-Since (412), If-None-Match and
//     If-Modified-Since (304) are evaluated as RFC 9110 section 13.2.2
//     orders. A single byte Range gives 206 or 416 ("Content-Range: bytes
//     */size"), If-Range permitting. Several ranges are merged where
//     they overlap and answered with multipart/byteranges, assembled in
//     memory: while they total under 2 MiB and number at most 32;
//     beyond, the whole file with 200, as RFC 9110 section 14.2 allows.
//
// A Static is safe for concurrent use. Its methods run where they are
// called, on the connection's event loop in OnMessage: they look files up
// (stat) but leave opening and sending them to the response, as WithFile
// does.
type Static struct {
	root   *os.Root
	dir    string // absolute path of the directory
	prefix string // ends with "/"
	index  []string
	opts   StaticOptions
}

// NewStatic returns a handler serving the directory root (see Static). It
// holds the directory open until Close. It fails when root is not a
// directory, or Prefix or an Index name is malformed.
func NewStatic(root string, opts StaticOptions) (*Static, error) {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = "/"
	}
	trimmed := strings.TrimSuffix(prefix, "/")
	if prefix[0] != '/' || trimmed != "" && path.Clean(trimmed) != trimmed {
		return nil, fmt.Errorf("http: static prefix %q is not a clean absolute path", opts.Prefix)
	}
	index := opts.Index
	if index == nil {
		index = []string{"index.html"}
	}
	for _, name := range index {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
			return nil, fmt.Errorf("http: static index %q is not a file name", name)
		}
	}
	dir, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if st, err := r.Stat("."); err != nil || !st.IsDir() {
		_ = r.Close()
		return nil, fmt.Errorf("http: static root %q is not a directory", root)
	}
	return &Static{root: r, dir: dir, prefix: trimmed + "/", index: slices.Clone(index), opts: opts}, nil
}

// Close releases the directory. A file response built before and sent
// after it gets 404; Serve and Response must not be called after it.
func (s *Static) Close() error { return s.root.Close() }

// Serve answers req when its path is under the prefix and reports true;
// otherwise it sends nothing and reports false. Use it first in
// OnMessage:
//
//	if static.Serve(c, req) {
//		return
//	}
//
// It sends Response(req); a send that fails (the connection went away)
// counts as answered.
func (s *Static) Serve(c *connection.TcpConnection, req *Request) bool {
	resp := s.Response(req)
	if resp == nil {
		return false
	}
	_ = c.Send(resp)
	return true
}

// Response returns the answer to req, or nil when its path is not under
// the prefix. For a file it is a file response (as WithFile's) whose
// conditions (If-None-Match, Range...) are evaluated when it is sent on
// req's connection; headers may be added before sending (CORS, say).
func (s *Static) Response(req *Request) *Response {
	p := req.Path()
	var rest string
	slash := true
	switch {
	case strings.HasPrefix(p, s.prefix):
		rest = p[len(s.prefix):]
	case p+"/" == s.prefix:
		slash = false // the prefix without its slash: the directory
	default:
		return nil
	}
	if m := req.Method(); m != "GET" && m != "HEAD" {
		return NewResponse(405, map[string]string{"Allow": "GET, HEAD"}, "<h3>405 Method Not Allowed</h3>")
	}
	names, trailing, status := s.splitPath(rest)
	if status != 0 {
		return statusResponse(status)
	}
	if rest != "" {
		slash = trailing
	}
	name := strings.Join(names, "/")
	if name == "" {
		name = "."
	}
	st, err := s.stat(name)
	if err != nil {
		return statusResponse(statErrorStatus(err))
	}
	switch {
	case st.IsDir() && !slash:
		loc := s.prefix
		if len(names) > 0 {
			loc += escapePath(names) + "/"
		}
		if q := req.QueryString(); q != "" {
			loc += "?" + q
		}
		return NewResponse(301, map[string]string{"Location": loc}, "<h3>301 Moved Permanently</h3>")
	case st.IsDir():
		for _, index := range s.index {
			file := path.Join(name, index)
			if ist, err := s.stat(file); err == nil && ist.Mode().IsRegular() {
				return s.fileResponse(req, file)
			}
		}
		if s.opts.ListDirectories {
			title := s.prefix
			if len(names) > 0 {
				title += strings.Join(names, "/") + "/"
			}
			return s.listing(name, title)
		}
		return statusResponse(404)
	case !st.Mode().IsRegular() || slash:
		return statusResponse(404)
	}
	return s.fileResponse(req, name)
}

// splitPath decodes the part of a request path after the prefix, once, and
// returns its names without empty ones and ".", whether it ends with a
// slash, or the status refusing it: 400 for an invalid escape, NUL,
// backslash or "..", 404 for a dot file.
func (s *Static) splitPath(rest string) (names []string, slash bool, status int) {
	decoded, ok := percentDecodeOnce(rest)
	if !ok || strings.ContainsAny(decoded, "\x00\\") {
		return nil, false, 400
	}
	for name := range strings.SplitSeq(decoded, "/") {
		switch {
		case name == "" || name == ".":
		case name == "..":
			return nil, false, 400
		case name[0] == '.' && !s.opts.DotFiles:
			return nil, false, 404
		default:
			names = append(names, name)
		}
	}
	return names, decoded == "" || strings.HasSuffix(decoded, "/"), 0
}

// percentDecodeOnce decodes %XX escapes (and nothing else: '+' is a plus
// in a path); it reports false for a '%' not followed by two hex digits.
func percentDecodeOnce(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// escapePath joins names percent-encoded for a URL path; ':' too, so a
// relative reference never reads as a scheme.
func escapePath(names []string) string {
	var b strings.Builder
	for i, name := range names {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(strings.ReplaceAll(url.PathEscape(name), ":", "%3A"))
	}
	return b.String()
}

// stat looks name up in the directory: through the os.Root, or, with
// FollowSymlinks, by its path (names hold no "..", so only links lead
// out).
func (s *Static) stat(name string) (fs.FileInfo, error) {
	if s.opts.FollowSymlinks {
		return os.Stat(filepath.Join(s.dir, filepath.FromSlash(name)))
	}
	return s.root.Stat(name)
}

// statErrorStatus maps a failed lookup to a status: 403 for a permission
// problem, 404 for everything else (missing, outside the root, a file
// used as a directory, a loop), which tells a client nothing more.
func statErrorStatus(err error) int {
	if errors.Is(err, fs.ErrPermission) {
		return 403
	}
	return 404
}

// statusResponse is a small HTML answer with status code.
func statusResponse(code int) *Response {
	return NewResponse(code, nil, "<h3>"+fmt.Sprint(code)+" "+statusReason(code)+"</h3>")
}

// precompressed are the siblings Precompressed looks for, preferred in
// this order when the client accepts both equally.
var precompressed = [...]struct{ coding, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

// fileResponse builds the response sending the file name, or a
// precompressed sibling the request accepts.
func (s *Static) fileResponse(req *Request, name string) *Response {
	resp := NewResponse(200, nil, "")
	resp.WithHeader("Content-Type", contentTypeForPath(name))
	file, suffix := name, ""
	if s.opts.Precompressed {
		resp.WithHeader("Vary", "Accept-Encoding")
		best := 0
		ae := req.Header("Accept-Encoding")
		for _, p := range precompressed {
			q := codingQuality(ae, p.coding)
			if q <= best {
				continue
			}
			if st, err := s.stat(name + p.ext); err == nil && st.Mode().IsRegular() {
				best, file, suffix = q, name+p.ext, "-"+p.coding
				resp.WithHeader("Content-Encoding", p.coding)
			}
		}
	}
	if s.opts.CacheControl != "" {
		resp.WithHeader("Cache-Control", s.opts.CacheControl)
	}
	resp.file = &fileSpec{path: file, root: s.root, etag: true, etagSuffix: suffix}
	if s.opts.FollowSymlinks {
		resp.file.path, resp.file.root = filepath.Join(s.dir, filepath.FromSlash(file)), nil
	}
	return resp
}

// codingQuality returns the quality, in thousandths, that the
// Accept-Encoding value ae gives coding: its own entry's, else the "*"
// entry's, else 0. A malformed qvalue counts as 0.
func codingQuality(ae, coding string) int {
	q, star := -1, -1
	for item := range strings.SplitSeq(ae, ",") {
		token, params, _ := strings.Cut(item, ";")
		token = trimOWS(token)
		v := 1000
		for param := range strings.SplitSeq(params, ";") {
			k, val, ok := strings.Cut(param, "=")
			if ok && strings.EqualFold(trimOWS(k), "q") {
				v = parseQuality(trimOWS(val))
			}
		}
		switch {
		case strings.EqualFold(token, coding):
			q = max(q, v)
		case token == "*":
			star = max(star, v)
		}
	}
	if q >= 0 {
		return q
	}
	return max(star, 0)
}

// parseQuality parses an RFC 9110 qvalue ("0", "0.5", "1.000") into
// thousandths, or 0 when malformed.
func parseQuality(s string) int {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') || len(s) > 1 && s[1] != '.' {
		return 0
	}
	v := int(s[0]-'0') * 1000
	scale := 100
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		v += int(s[i]-'0') * scale
		scale /= 10
	}
	return min(v, 1000)
}

// listing answers a directory with an HTML list of its entries; title is
// the (decoded) URL path shown.
func (s *Static) listing(name, title string) *Response {
	if !fdbudget.Acquire() {
		return busyResponse
	}
	var f *os.File
	var err error
	if s.opts.FollowSymlinks {
		f, err = os.Open(filepath.Join(s.dir, filepath.FromSlash(name)))
	} else {
		f, err = s.root.Open(name)
	}
	if err != nil {
		fdbudget.Release()
		return statusResponse(statErrorStatus(err))
	}
	entries, err := f.ReadDir(MaxListEntries + 1)
	closeServed(f)
	if err != nil && len(entries) == 0 {
		entries = nil
	}
	more := len(entries) > MaxListEntries
	if more {
		entries = entries[:MaxListEntries]
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return cmp.Compare(a.Name(), b.Name()) })
	var b strings.Builder
	t := html.EscapeString(title)
	b.WriteString("<!doctype html>\n<meta charset=\"utf-8\">\n<title>Index of " + t + "</title>\n<h1>Index of " + t + "</h1>\n<ul>\n")
	if name != "." {
		b.WriteString("<li><a href=\"../\">../</a></li>\n")
	}
	for _, e := range entries {
		n := e.Name()
		if n[0] == '.' && !s.opts.DotFiles {
			continue
		}
		href := escapePath([]string{n})
		if e.IsDir() {
			href, n = href+"/", n+"/"
		}
		b.WriteString("<li><a href=\"" + html.EscapeString(href) + "\">" + html.EscapeString(n) + "</a></li>\n")
	}
	if more {
		b.WriteString("<li>… more entries not listed</li>\n")
	}
	b.WriteString("</ul>\n")
	return NewResponse(200, map[string]string{"Content-Type": "text/html; charset=utf-8"}, b.String())
}

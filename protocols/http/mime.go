package http

import (
	"mime"
	"path/filepath"
	"strings"
)

// commonContentTypes maps the extensions web servers serve most often to
// their Content-Type, so the usual cases need neither the system MIME
// database nor an allocation. Keys are lower case, with the dot.
var commonContentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".htm":   "text/html; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".txt":   "text/plain; charset=utf-8",
	".md":    "text/markdown; charset=utf-8",
	".csv":   "text/csv; charset=utf-8",
	".xml":   "text/xml; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".gif":   "image/gif",
	".webp":  "image/webp",
	".avif":  "image/avif",
	".ico":   "image/x-icon",
	".wasm":  "application/wasm",
	".pdf":   "application/pdf",
	".zip":   "application/zip",
	".gz":    "application/gzip",
	".tar":   "application/x-tar",
	".mp3":   "audio/mpeg",
	".ogg":   "audio/ogg",
	".wav":   "audio/wav",
	".mp4":   "video/mp4",
	".webm":  "video/webm",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".ttf":   "font/ttf",
	".otf":   "font/otf",
}

// defaultFileContentType is used for files whose type is unknown.
const defaultFileContentType = "application/octet-stream"

// contentTypeForPath returns the Content-Type for a file, from its
// extension: the table above, then the system MIME database
// (mime.TypeByExtension), then application/octet-stream.
func contentTypeForPath(path string) string {
	ext := filepath.Ext(path)
	if ext == "" {
		return defaultFileContentType
	}
	if t, ok := commonContentTypes[ext]; ok {
		return t
	}
	lower := strings.ToLower(ext)
	if t, ok := commonContentTypes[lower]; ok {
		return t
	}
	if t := mime.TypeByExtension(lower); t != "" {
		return t
	}
	return defaultFileContentType
}

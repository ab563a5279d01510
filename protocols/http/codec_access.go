package http

import (
	"context"
	"log/slog"
)

// logAccess writes the access log's record of the response being
// encoded for c.req: size is its body's length, -1 for a stream.
func (c *codec) logAccess(status int, size int64) {
	l := c.proto.AccessLog
	if l == nil || c.req == nil {
		return
	}
	remote := ""
	if r, ok := c.conn.(interface{ RemoteAddress() string }); ok {
		remote = r.RemoteAddress()
	}
	l.LogAttrs(context.Background(), slog.LevelInfo, "http access",
		slog.String("remote", remote),
		slog.String("method", c.req.Method()),
		slog.String("target", c.req.URI()),
		slog.String("proto", c.req.ProtocolVersion()),
		slog.Int("status", status),
		slog.Int64("bytes", size),
		slog.Uint64("conn", c.conn.ID()))
}

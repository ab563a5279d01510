package worker

import (
	"context"
	"fmt"
	"log/slog"
)

// gnetLogger routes gnet's own log lines to the worker's slog logger, so
// that they follow the application's logging instead of going to stderr.
// gnet's INFO lines are start-up chatter ("Launching gnet with ..."), so
// they are logged at Debug; a FATAL from gnet is logged as an error, and
// the worker's own error handling decides what follows.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) log(level slog.Level, format string, args []any) {
	g.l.Log(context.Background(), level, fmt.Sprintf(format, args...), "component", "gnet")
}

func (g gnetLogger) Debugf(format string, args ...any) { g.log(slog.LevelDebug, format, args) }
func (g gnetLogger) Infof(format string, args ...any)  { g.log(slog.LevelDebug, format, args) }
func (g gnetLogger) Warnf(format string, args ...any)  { g.log(slog.LevelWarn, format, args) }
func (g gnetLogger) Errorf(format string, args ...any) { g.log(slog.LevelError, format, args) }
func (g gnetLogger) Fatalf(format string, args ...any) { g.log(slog.LevelError, format, args) }

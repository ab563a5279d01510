//go:build !linux || poll_opt

package gnetx

import "github.com/panjf2000/gnet/v2"

// PollerFD is unsupported here.
func PollerFD(gnet.EventLoop) (int, error) { return -1, ErrUnsupported }

// Supported reports false here.
func Supported(gnet.EventLoop) bool { return false }

// SetReading is unsupported here.
func SetReading(gnet.Conn, bool) error { return ErrUnsupported }

// Package common holds what every benchmark server shares: the routes'
// fixed bodies, the SSE payload and the file-descriptor limit.
package common

import (
	"strings"
	"syscall"
)

// Hello is the plaintext body answered on GET /.
const Hello = "Hello, World!"

// Message is the JSON document answered on GET /json (encoded per request).
type Message struct {
	Message string `json:"message"`
}

// EventData is the 64-byte data of the event every SSE server publishes on
// GET /publish.
var EventData = strings.Repeat("e", 64)

// RaiseNoFile raises RLIMIT_NOFILE's soft limit to its hard limit, so a
// server can hold the SSE scenarios' 10,000 connections.
func RaiseNoFile() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	l.Cur = l.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
}

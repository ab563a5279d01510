package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// follower follows the event stream as EventSource does: it records the
// chat messages it gets and, when its stream ends, reconnects with the
// last id it saw (Last-Event-ID). ready gets one value once the first
// stream is open.
type follower struct {
	addr     string
	lastID   string
	events   atomic.Int64 // events with data, on all its streams
	afterEnd atomic.Int64 // events with data since its last stream ended
	mu       sync.Mutex
	chats    []string // the chat messages, in order
	ends     int      // streams that ended (each followed by a reconnect)
}

func (f *follower) run(stop <-chan struct{}, ready chan<- struct{}) error {
	for first := true; ; first = false {
		conn, err := net.DialTimeout("tcp", f.addr, 5*time.Second)
		if err != nil {
			return err
		}
		go func() { <-stop; conn.Close() }()
		req := "GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
		if f.lastID != "" {
			req += "Last-Event-ID: " + f.lastID + "\r\n"
		}
		if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
			return err
		}
		r := bufio.NewReader(conn)
		status, err := r.ReadString('\n')
		if err != nil || !strings.Contains(status, " 200 ") {
			return fmt.Errorf("stream refused: %q %v", status, err)
		}
		if first {
			ready <- struct{}{}
		}
		var name, id, data string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				break
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case line == "":
				if id != "" {
					f.lastID = id
				}
				if data != "" {
					f.events.Add(1)
					f.afterEnd.Add(1)
				}
				if name == "chat" {
					f.mu.Lock()
					f.chats = append(f.chats, data)
					f.mu.Unlock()
				}
				name, id, data = "", "", ""
			case strings.HasPrefix(line, "event: "):
				name = line[7:]
			case strings.HasPrefix(line, "id: "):
				id = line[4:]
			case strings.HasPrefix(line, "data: "):
				data = line[6:]
			}
		}
		conn.Close()
		select {
		case <-stop:
			return nil
		default:
		}
		f.afterEnd.Store(0)
		f.mu.Lock()
		f.ends++
		f.mu.Unlock()
	}
}

// streamsEnded is how many of f's streams ended.
func (f *follower) streamsEnded() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ends
}

package worker

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The control channel: a unix socket beside the pid file, which the
// commands (status, connections, stop) use to reach the running server.
// A request is one line; the answer is what the server writes before it
// closes the connection. For stop the server answers at once and closes
// when it has stopped, which tells the command that it is done.

// controlServer serves a running process's control socket.
type controlServer struct {
	files ctlFiles
	ln    net.Listener

	mu         sync.Mutex
	waiting    []net.Conn // stop commands, answered when the process stops
	closed     bool
	handedOver bool // a reload's new process owns the pid file and socket now

	// state is what the process does at its commands' request: one of
	// the states below. A stop and a reload exclude each other: a stop
	// during a reload would leave the new process serving with nothing
	// to reach it, and a reload during a stop would start one.
	state atomic.Int32
}

// The control server's states.
const (
	serving   int32 = iota
	reloading       // starting a reload's new process, or handed over to it
	stopping
)

// handOver leaves the pid file and the socket path to a reload's new
// process, which has replaced them.
func (s *controlServer) handOver() {
	s.mu.Lock()
	s.handedOver = true
	s.mu.Unlock()
}

// startControl writes the pid file and listens on the control socket.
func startControl(f ctlFiles) (*controlServer, error) {
	_ = os.Remove(f.sock) // running() found no live owner
	ln, err := net.Listen("unix", f.sock)
	if err != nil {
		return nil, fmt.Errorf("worker: control socket: %w", err)
	}
	// The path is removed by close, and only while this process owns it:
	// after a reload it is the new process's socket.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := f.writePid(); err != nil {
		ln.Close()
		_ = os.Remove(f.sock)
		return nil, fmt.Errorf("worker: pid file: %w", err)
	}
	s := &controlServer{files: f, ln: ln}
	go s.accept()
	return s, nil
}

func (s *controlServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		go s.handle(c)
	}
}

// handle answers one request.
func (s *controlServer) handle(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(io.LimitReader(c, 256)).ReadString('\n')
	if err != nil {
		c.Close()
		return
	}
	req := strings.Fields(line)
	if len(req) == 0 {
		c.Close()
		return
	}
	switch req[0] {
	case "status":
		_ = json.NewEncoder(c).Encode(Status())
	case "connections":
		_ = json.NewEncoder(c).Encode(Connections())
	case "reload":
		graceful := len(req) > 1 && req[1] == "-g"
		_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
		if pid, err := s.reload(graceful); err != nil {
			fmt.Fprintf(c, "error: %s\n", err)
		} else {
			fmt.Fprintf(c, "reloaded: pid %d serves; pid %d finishes its connections and exits\n", pid, os.Getpid())
		}
	case "stop":
		if !s.state.CompareAndSwap(serving, stopping) && s.state.Load() != stopping {
			// The new process may be about to serve: stopping this one
			// would leave it running with no command reaching it.
			fmt.Fprintf(c, "error: worker: a reload is under way; stop again once it is done\n")
			break
		}
		graceful := len(req) > 1 && req[1] == "-g"
		fmt.Fprintf(c, "stopping %d\n", os.Getpid())
		_ = c.SetDeadline(time.Time{})
		if s.hold(c) {
			if graceful {
				for _, w := range runningWorkers() {
					w.StopTimeout = GracefulStopTimeout
				}
			}
			StopAll()
		}
		return
	default:
		fmt.Fprintf(c, "error: worker: unknown control request %q\n", req[0])
	}
	c.Close()
}

// hold keeps c open until the process has stopped.
func (s *controlServer) hold(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	s.waiting = append(s.waiting, c)
	return true
}

// close removes the pid file and the socket, and tells the stop commands
// waiting that the process has stopped.
func (s *controlServer) close() {
	s.mu.Lock()
	s.closed = true
	waiting := s.waiting
	s.waiting = nil
	handedOver := s.handedOver
	s.mu.Unlock()
	s.ln.Close()
	if !handedOver && s.files.ownedBy(os.Getpid()) {
		// (A pid file naming another process is a reload's new one,
		// started as this one stopped: its files are its own.)
		_ = os.Remove(s.files.sock)
		_ = os.Remove(s.files.pid)
	}
	for _, c := range waiting {
		c.Close()
	}
}

// ask sends a request to the running server and returns its answer.
func (f ctlFiles) ask(req string) (io.ReadCloser, error) {
	if _, ok := f.running(); !ok {
		return nil, fmt.Errorf("%w (no server answers for %s)", ErrNotRunning, f.pid)
	}
	c, err := net.DialTimeout("unix", f.sock, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(c, req+"\n"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// request is a control request's line: name, with -g when graceful.
func request(name string, graceful bool) string {
	if graceful {
		return name + " -g"
	}
	return name
}

// answerError is the error an answer reports ("error: ..."), or nil.
func answerError(answer string) error {
	if msg, ok := strings.CutPrefix(strings.TrimSpace(answer), "error: "); ok {
		return errors.New(msg)
	}
	return nil
}

// askJSON sends a request and decodes its JSON answer into v.
func (f ctlFiles) askJSON(req string, v any) error {
	c, err := f.ask(req)
	if err != nil {
		return err
	}
	defer c.Close()
	return json.NewDecoder(c).Decode(v)
}

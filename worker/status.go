package worker

import (
	"cmp"
	"crypto/tls"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/timer"
)

// ProcessStatus is what the status command shows: the process, its Go
// runtime and each running worker, as workerman's status table.
type ProcessStatus struct {
	PID        int            `json:"pid"`
	Started    time.Time      `json:"started"`
	Uptime     string         `json:"uptime"`
	GoVersion  string         `json:"go_version"`
	RSS        int64          `json:"rss_bytes"` // resident memory, 0 where unknown
	HeapAlloc  uint64         `json:"heap_alloc_bytes"`
	HeapSys    uint64         `json:"heap_sys_bytes"`
	Goroutines int            `json:"goroutines"`
	Timers     int            `json:"timers"` // pending on package timer's wheel
	Workers    []WorkerStatus `json:"workers"`
}

// WorkerStatus is one worker's line of the status table.
type WorkerStatus struct {
	Name         string    `json:"name"`
	Listen       string    `json:"listen"`
	Transport    string    `json:"transport"`
	Loops        int       `json:"event_loops"`
	Connections  int       `json:"connections"`
	Messages     uint64    `json:"messages"` // requests or messages dispatched to OnMessage
	SendFailures uint64    `json:"send_failures"`
	Refused      int64     `json:"refused"` // connections closed at accept, over a limit
	Started      time.Time `json:"started"`
}

// ConnectionStatus is one line of the connections command.
type ConnectionStatus struct {
	ID           uint64 `json:"id"`
	Worker       string `json:"worker"`
	Protocol     string `json:"protocol"`
	Remote       string `json:"remote"`
	Status       string `json:"status"`
	TLS          string `json:"tls,omitempty"`
	BytesRead    uint64 `json:"bytes_read"`
	BytesWritten uint64 `json:"bytes_written"`
	SendBuffer   int    `json:"send_buffer"`
}

// processStarted is when the process started serving, for uptime.
var processStarted = time.Now()

// Status returns the process's status now.
func Status() ProcessStatus {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := ProcessStatus{
		PID:        os.Getpid(),
		Started:    processStarted,
		Uptime:     time.Since(processStarted).Round(time.Second).String(),
		GoVersion:  runtime.Version(),
		RSS:        residentBytes(),
		HeapAlloc:  ms.HeapAlloc,
		HeapSys:    ms.HeapSys,
		Goroutines: runtime.NumGoroutine(),
		Timers:     timer.Len(),
	}
	for _, w := range runningWorkers() {
		st.Workers = append(st.Workers, w.status())
	}
	return st
}

// Connections lists every open connection of every running worker.
func Connections() []ConnectionStatus {
	var out []ConnectionStatus
	for _, w := range runningWorkers() {
		proto := w.Protocol.Name()
		for _, c := range w.Connections() {
			cs := ConnectionStatus{
				ID:           c.ID(),
				Worker:       w.Name,
				Protocol:     proto,
				Remote:       c.RemoteAddress(),
				Status:       c.Status().String(),
				BytesRead:    c.BytesRead(),
				BytesWritten: c.BytesWritten(),
				SendBuffer:   c.BufferedOutput(),
			}
			if t := c.TLS(); t != nil {
				cs.TLS = tls.VersionName(t.Version)
			}
			out = append(out, cs)
		}
	}
	sortConnections(out)
	return out
}

func (w *Worker) status() WorkerStatus {
	var messages, failures uint64
	if w.group != nil {
		messages, failures = glue.Connections.Stats(w.group)
	}
	listen := w.socketName
	if a := w.Addr(); a != nil && w.listen.network == "tcp" {
		scheme := w.schemeName
		if _, tls := tlsSchemes[scheme+"s"]; tls && strings.EqualFold(w.Transport, "ssl") {
			scheme += "s" // http:// with Transport "ssl" serves https://
		}
		listen = scheme + "://" + a.String()
	}
	return WorkerStatus{
		Name:         w.Name,
		Listen:       listen,
		Transport:    w.Transport,
		Loops:        w.Count,
		Connections:  w.ConnectionCount(),
		Messages:     messages,
		SendFailures: failures,
		Refused:      w.refused.Load(),
		Started:      w.startedAt,
	}
}

// runningWorkers are the workers started and not stopped, in the order
// they were created.
func runningWorkers() []*Worker {
	allMu.Lock()
	defer allMu.Unlock()
	var ws []*Worker
	for _, w := range allWorkers {
		if w.started.Load() && !w.stopping.Load() {
			ws = append(ws, w)
		}
	}
	return ws
}

// residentBytes is the process's resident set size, from /proc (0
// elsewhere).
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

func sortConnections(cs []ConnectionStatus) {
	slices.SortFunc(cs, func(a, b ConnectionStatus) int { return cmp.Compare(a.ID, b.ID) })
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is one load run against one server.
type loadResult struct {
	RPS       float64       // completed 200 responses per second
	Requests  int64         // responses counted
	Errors    int64         // socket errors, timeouts and non-200 responses
	LoadCPU   time.Duration // CPU used by the load generator
	ServerCPU time.Duration // CPU used by the server during the run
	Elapsed   time.Duration
}

// loadGen drives HTTP load at a server for a scenario.
type loadGen interface {
	Name() string
	Run(ctx context.Context, addr string, sc *scenario, d time.Duration) (loadResult, error)
}

// wrkGen runs wrk with one thread; Lua scripts for POST and pipelining are
// generated into dir.
type wrkGen struct {
	path    string
	version string
	dir     string
}

func newWrk(dir string) (*wrkGen, error) {
	p, err := exec.LookPath("wrk")
	if err != nil {
		return nil, err
	}
	out, _ := exec.Command(p, "-v").CombinedOutput()
	v := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	return &wrkGen{path: p, version: v, dir: dir}, nil
}

func (w *wrkGen) Name() string { return "wrk -t1 (" + w.version + ")" }

// script writes the Lua script a scenario needs, or returns "".
func (w *wrkGen) script(sc *scenario) (string, error) {
	var lua string
	switch {
	case sc.Depth > 1:
		lua = fmt.Sprintf(`-- %d-deep HTTP/1.1 pipelining: every write carries %d requests.
init = function(args)
  local r = {}
  for i = 1, %d do
    r[i] = wrk.format(nil, %q)
  end
  req = table.concat(r)
end
request = function()
  return req
end
`, sc.Depth, sc.Depth, sc.Depth, sc.Path)
	case sc.Method == "POST":
		lua = fmt.Sprintf(`wrk.method = "POST"
wrk.body = string.rep("a", %d)
wrk.headers["Content-Type"] = "application/octet-stream"
`, sc.Body)
	default:
		return "", nil
	}
	p := filepath.Join(w.dir, sc.Name+".lua")
	return p, os.WriteFile(p, []byte(lua), 0o644)
}

var (
	reRPS    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reTotal  = regexp.MustCompile(`(\d+) requests in ([0-9.]+)(\w+)`)
	reNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	reSock   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func (w *wrkGen) Run(ctx context.Context, addr string, sc *scenario, d time.Duration) (loadResult, error) {
	secs := int(d.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	args := []string{"-t1", "-c", strconv.Itoa(sc.Conns), "-d", strconv.Itoa(secs) + "s", "--timeout", "5s"}
	s, err := w.script(sc)
	if err != nil {
		return loadResult{}, err
	}
	if s != "" {
		args = append(args, "-s", s)
	}
	args = append(args, scheme(sc)+"://"+addr+sc.Path)
	cmd := command(ctx, w.path, args...)
	start := time.Now()
	out, err := runChild(cmd)
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	var r loadResult
	r.Elapsed = time.Since(start)
	if st := cmd.ProcessState; st != nil {
		r.LoadCPU = st.UserTime() + st.SystemTime()
	}
	m := reRPS.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk output without Requests/sec: %s", out)
	}
	r.RPS, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := reTotal.FindSubmatch(out); m != nil {
		r.Requests, _ = strconv.ParseInt(string(m[1]), 10, 64)
	}
	if m := reNon2xx.FindSubmatch(out); m != nil {
		n, _ := strconv.ParseInt(string(m[1]), 10, 64)
		r.Errors += n
	}
	if m := reSock.FindSubmatch(out); m != nil {
		for _, g := range m[1:] {
			n, _ := strconv.ParseInt(string(g), 10, 64)
			r.Errors += n
		}
	}
	return r, nil
}

// scheme is the URL scheme of sc's requests: wrk speaks TLS (OpenSSL,
// without verifying the certificate) to an https:// URL.
func scheme(sc *scenario) string {
	if sc.TLS {
		return "https"
	}
	return "http"
}

// goGen is the built-in load generator: N keep-alive connections, each
// writing Depth requests at once and reading Depth responses, until the
// duration is over; a response counts when its status is 200. A TLS
// scenario's connections are tls.Client over the TCP ones (tlsClient).
type goGen struct{}

func (goGen) Name() string { return "built-in Go load generator" }

// request builds one request of the scenario.
func request(sc *scenario) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n", sc.Method, sc.Path)
	if sc.Body > 0 {
		fmt.Fprintf(&b, "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", sc.Body)
		b.Write(bytes.Repeat([]byte("a"), sc.Body))
	} else {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// errNoResponse is a load run in which no response completed, as when
// something else on the machine starved the load generator.
var errNoResponse = errors.New("no response completed in the run")

var errChunked = errors.New("chunked responses are not supported by the built-in load generator")

// readResponse reads one response (status line, headers, Content-Length
// body) and returns its status code.
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, err
	}
	cl := -1
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		k, v, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			cl, err = strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil {
				return 0, err
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			return 0, errChunked
		}
	}
	if cl < 0 {
		return 0, errors.New("response without Content-Length")
	}
	_, err = br.Discard(cl)
	return code, err
}

func (goGen) Run(ctx context.Context, addr string, sc *scenario, d time.Duration) (loadResult, error) {
	one := request(sc)
	depth := max(sc.Depth, 1)
	req := bytes.Repeat(one, depth)
	t := startTally(0)
	start := t.start
	deadline := start.Add(d)
	if dl, has := ctx.Deadline(); has && dl.Before(deadline) {
		deadline = dl
	}
	var wg sync.WaitGroup
	for range sc.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.bad.Add(1)
				return
			}
			if sc.TLS {
				c = tls.Client(c, tlsClient())
			}
			defer c.Close()
			_ = c.SetDeadline(deadline)
			br := bufio.NewReaderSize(c, 64<<10)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if _, err := c.Write(req); err != nil {
					if !isTimeout(err) {
						t.bad.Add(1)
					}
					return
				}
				for range depth {
					code, err := readResponse(br)
					if err != nil {
						if !isTimeout(err) {
							t.bad.Add(1)
						}
						return
					}
					if code != 200 {
						t.bad.Add(1)
						continue
					}
					t.ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return t.result(), ctx.Err()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// selfCPU is this process's CPU time so far.
func selfCPU() time.Duration { return cpuTime(os.Getpid()) }

// tally counts a load run from its start: cycles completed and failed,
// and the CPU the harness and the server (pid, when not 0) used meanwhile.
type tally struct {
	ok, bad atomic.Int64
	start   time.Time
	pid     int
	cpu0    time.Duration // the harness's CPU at the start
	c0      time.Duration // the server's
}

func startTally(pid int) *tally {
	t := &tally{pid: pid, cpu0: selfCPU()}
	if pid > 0 {
		t.c0 = cpuTime(pid)
	}
	t.start = time.Now()
	return t
}

// result is the run's loadResult, now that it is over.
func (t *tally) result() loadResult {
	el := time.Since(t.start)
	r := loadResult{
		RPS:      float64(t.ok.Load()) / el.Seconds(),
		Requests: t.ok.Load(),
		Errors:   t.bad.Load(),
		LoadCPU:  selfCPU() - t.cpu0,
		Elapsed:  el,
	}
	if t.pid > 0 {
		r.ServerCPU = cpuTime(t.pid) - t.c0
	}
	return r
}

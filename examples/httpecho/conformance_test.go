package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file runs the shared conformance corpus (see its README) against the
// echo server over real sockets: the whole server path (gnet, connection
// framing, Sequencer gating, codec, encoder) is under test, not only the
// parser, which protocols/http/conformance_test.go covers alone.

// corpusCase is one case of the corpus.
type corpusCase struct {
	ID       string `json:"id"`
	RawB64   string `json:"raw_b64"`
	Messages []Echo `json:"messages"`
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason"`
}

// corpusErrata is protocols/http's correction of a corpus expectation that
// contradicts its own raw bytes: "uri.md:7 Quotes in URI" sends its target
// with backslashes (llhttp's markdown escapes were kept in raw_b64) but
// expects it without them. A server reports the target exactly as sent.
var corpusErrata = map[string]func(c *corpusCase){
	"uri.md:7 Quotes in URI": func(c *corpusCase) {
		c.Messages[0].Target = `/with_"lovely"_quotes?foo=\"bar\"`
	},
}

// rejectStatuses are the final statuses a "reject" outcome allows.
var rejectStatuses = []int{400, 411, 413, 414, 417, 431, 501, 505}

const (
	// quiet is how long a connection must stay silent, after the last byte
	// was written, for the runner to decide the server is waiting.
	quiet = 300 * time.Millisecond
	// maxConns bounds the connections the parallel cases open at once.
	maxConns = 24
)

func corpusPath() string {
	if p := os.Getenv("HTTP_CONFORMANCE"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "conformance", "http-requests.json")
}

// startEcho starts the echo server of this command on a free loopback port
// and stops it when the test ends.
func startEcho(t *testing.T) string {
	t.Helper()
	w, err := newWorker("127.0.0.1:0")
	require.NoError(t, err)
	w.Count = 2
	w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Stop() })
	return w.Addr().String()
}

// wireResponse is one response as read off the wire.
type wireResponse struct {
	Status  int
	Headers [][2]string
	Body    []byte
}

func (r wireResponse) header(name string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

// readResponses parses the responses in data: status line, header fields,
// and a body of Content-Length bytes, except for 1xx responses, which are
// skipped, and for responses to HEAD (heads[i] true for the i-th final
// response), which have none. It fails on anything else, trailing bytes
// included: the server must only ever write whole, well-framed responses.
func readResponses(data []byte, heads func(i int) bool) ([]wireResponse, error) {
	br := bufio.NewReader(bytes.NewReader(data))
	var out []wireResponse
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return out, nil
		}
		line, err := br.ReadString('\n')
		if err != nil {
			return out, fmt.Errorf("truncated status line %q", line)
		}
		proto, rest, _ := strings.Cut(strings.TrimSuffix(line, "\r\n"), " ")
		code, _, _ := strings.Cut(rest, " ")
		status, err := strconv.Atoi(code)
		if proto != "HTTP/1.1" || err != nil || len(code) != 3 || !strings.HasSuffix(line, "\r\n") {
			return out, fmt.Errorf("bad status line %q", line)
		}
		r := wireResponse{Status: status}
		for {
			l, err := br.ReadString('\n')
			if err != nil || !strings.HasSuffix(l, "\r\n") {
				return out, fmt.Errorf("truncated header line %q", l)
			}
			l = strings.TrimSuffix(l, "\r\n")
			if l == "" {
				break
			}
			name, value, ok := strings.Cut(l, ":")
			if !ok {
				return out, fmt.Errorf("bad header line %q", l)
			}
			r.Headers = append(r.Headers, [2]string{name, strings.TrimSpace(value)})
		}
		if status < 200 {
			continue
		}
		if !heads(len(out)) {
			n, err := strconv.Atoi(r.header("Content-Length"))
			if err != nil || n < 0 {
				return out, fmt.Errorf("status %d without a Content-Length", status)
			}
			r.Body = make([]byte, n)
			if _, err := io.ReadFull(br, r.Body); err != nil {
				return out, fmt.Errorf("truncated body: %w", err)
			}
		}
		out = append(out, r)
	}
}

// exchange writes raw to a fresh connection in pieces of step bytes (0: all
// at once), reading meanwhile, and returns what the server wrote and whether
// it closed the connection (EOF or reset) rather than staying quiet for
// `quiet` after the last piece.
func exchange(addr string, raw []byte, step int) (got []byte, closed bool, err error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, false, err
	}
	defer conn.Close()
	wrote := make(chan time.Time, 1)
	go func() {
		if step <= 0 {
			step = len(raw)
		}
		for off := 0; off < len(raw); off += step {
			if off > 0 {
				time.Sleep(time.Millisecond) // let each piece be read alone
			}
			if _, err := conn.Write(raw[off:min(off+step, len(raw))]); err != nil {
				break // the server closed; the reader sees it
			}
		}
		wrote <- time.Now()
	}()
	var buf bytes.Buffer
	var doneAt time.Time
	last := time.Now()
	hardStop := time.Now().Add(20 * time.Second)
	p := make([]byte, 4096)
	for time.Now().Before(hardStop) {
		if doneAt.IsZero() {
			select {
			case doneAt = <-wrote:
			default:
			}
		}
		if !doneAt.IsZero() && time.Since(maxTime(doneAt, last)) >= quiet {
			return buf.Bytes(), false, nil
		}
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		n, err := conn.Read(p)
		buf.Write(p[:n])
		if n > 0 {
			last = time.Now()
		}
		var ne net.Error
		switch {
		case err == nil:
		case errors.As(err, &ne) && ne.Timeout():
		case err == io.EOF || errors.Is(err, syscall.ECONNRESET):
			return buf.Bytes(), true, nil
		default:
			return buf.Bytes(), false, err
		}
	}
	return buf.Bytes(), false, errors.New("server kept writing for 20 s")
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func TestConformanceOverTCP(t *testing.T) {
	data, err := os.ReadFile(corpusPath())
	if err != nil {
		t.Skipf("conformance corpus not found at %s (set HTTP_CONFORMANCE): %v", corpusPath(), err)
	}
	var cases []corpusCase
	require.NoError(t, json.Unmarshal(data, &cases))
	require.NotEmpty(t, cases)
	addr := startEcho(t)

	// The exchanges run concurrently, at most maxConns at a time (t.Parallel
	// would be bounded by -parallel, GOMAXPROCS by default, and each case
	// mostly waits for quiet); each case is then judged in a subtest of its
	// own.
	steps := []int{0, 1, 2, 3, 4, 5}
	type result struct {
		got    []byte
		closed bool
		err    error
	}
	raws := make([][]byte, len(cases))
	results := make([][]result, len(cases))
	slots := make(chan struct{}, maxConns)
	var wg sync.WaitGroup
	for i := range cases {
		if fix := corpusErrata[cases[i].ID]; fix != nil {
			fix(&cases[i])
		}
		raw, err := base64.StdEncoding.DecodeString(cases[i].RawB64)
		require.NoError(t, err, cases[i].ID)
		raws[i] = raw
		results[i] = make([]result, len(steps))
		for j, step := range steps {
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				r := &results[i][j]
				r.got, r.closed, r.err = exchange(addr, raw, step)
			})
		}
	}
	wg.Wait()
	for i, c := range cases {
		for j, step := range steps {
			t.Run(fmt.Sprintf("%s/step%d", c.ID, step), func(t *testing.T) {
				r := results[i][j]
				require.NoError(t, r.err)
				checkCase(t, c, raws[i], r.got, r.closed)
			})
		}
	}
}

// checkCase checks what one connection received for a case: every answer and
// the connection's fate against the corpus.
func checkCase(t *testing.T, c corpusCase, raw, got []byte, closed bool) {
	resps, err := readResponses(got, func(i int) bool {
		return i < len(c.Messages) && c.Messages[i].Method == "HEAD"
	})
	require.NoError(t, err, "raw: %q\nresponses: %q", raw, got)

	extra := 0
	if c.Outcome == "reject" {
		extra = 1
	}
	require.Len(t, resps, len(c.Messages)+extra, "raw: %q\nresponses: %q", raw, got)
	for i, want := range c.Messages {
		r := resps[i]
		require.Equal(t, 200, r.Status, "message %d", i)
		if want.Headers == nil {
			want.Headers = [][2]string{}
		}
		if want.Trailers == nil {
			want.Trailers = [][2]string{}
		}
		if !want.KeepAlive {
			assert.Equal(t, "close", r.header("Connection"), "message %d is not keep-alive", i)
		}
		if want.Method == "HEAD" {
			continue
		}
		var echoed Echo
		require.NoError(t, json.Unmarshal(r.Body, &echoed), "body %q", r.Body)
		assert.Equal(t, want, echoed, "message %d; raw: %q", i, raw)
	}
	switch c.Outcome {
	case "ok":
		wantClosed := len(c.Messages) > 0 && !c.Messages[len(c.Messages)-1].KeepAlive
		assert.Equal(t, wantClosed, closed, "connection closed")
	case "incomplete":
		assert.False(t, closed, "an unfinished request must be waited for")
	case "close":
		assert.True(t, closed, "the connection must close after the last answer")
	case "reject":
		last := resps[len(resps)-1]
		assert.Contains(t, rejectStatuses, last.Status, "final status; raw: %q", raw)
		assert.Equal(t, "close", last.header("Connection"))
		assert.True(t, closed, "a rejected connection must close")
	default:
		t.Fatalf("unknown outcome %q", c.Outcome)
	}
}

package http

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusCase is one case of the conformance corpus (see its README).
type corpusCase struct {
	ID       string          `json:"id"`
	RawB64   string          `json:"raw_b64"`
	Messages []corpusMessage `json:"messages"`
	Outcome  string          `json:"outcome"`
	Reason   string          `json:"reason"`
}

type corpusMessage struct {
	Method    string      `json:"method"`
	Target    string      `json:"target"`
	Version   string      `json:"version"`
	Headers   [][2]string `json:"headers"`
	Trailers  [][2]string `json:"trailers"`
	Body      string      `json:"body"`
	KeepAlive bool        `json:"keep_alive"`
}

// corpusErrata fixes expectations of the corpus that contradict its own
// raw bytes. "uri.md:7 Quotes in URI" sends the target
// /with_"lovely"_quotes?foo=\"bar\" (with backslashes: llhttp's markdown
// escapes were kept in raw_b64) but expects it without them; a server must
// report the target exactly as sent, so the expectation is taken from the raw
// request line instead.
var corpusErrata = map[string]func(c *corpusCase){
	"uri.md:7 Quotes in URI": func(c *corpusCase) {
		c.Messages[0].Target = `/with_"lovely"_quotes?foo=\"bar\"`
	},
}

// rejectStatuses are the statuses a "reject" outcome allows.
var rejectStatuses = []int{400, 411, 413, 414, 417, 431, 501, 505}

func corpusPath() string {
	if p := os.Getenv("HTTP_CONFORMANCE"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "conformance", "http-requests.json")
}

// loadCorpus reads the corpus, or returns nil when it is absent.
func loadCorpus(tb testing.TB) []corpusCase {
	data, err := os.ReadFile(corpusPath())
	if err != nil {
		return nil
	}
	var cases []corpusCase
	require.NoError(tb, json.Unmarshal(data, &cases))
	return cases
}

// messageOf renders a decoded request in the corpus's shape.
func messageOf(r *Request) corpusMessage {
	m := corpusMessage{
		Method:    r.Method(),
		Target:    r.URI(),
		Version:   r.ProtocolVersion(),
		Headers:   [][2]string{},
		Trailers:  [][2]string{},
		Body:      string(r.RawBody()),
		KeepAlive: r.KeepAlive(),
	}
	for n, v := range r.Headers() {
		m.Headers = append(m.Headers, [2]string{strings.Clone(n), strings.Clone(v)})
	}
	for n, v := range r.Trailers() {
		m.Trailers = append(m.Trailers, [2]string{strings.Clone(n), strings.Clone(v)})
	}
	m.Method = strings.Clone(m.Method)
	m.Target = strings.Clone(m.Target)
	return m
}

// driveResult is what a connection would observe feeding raw to a parser.
type driveResult struct {
	Messages []corpusMessage
	Outcome  string // "ok" (nothing pending), "incomplete", "close", "reject"
	Status   int    // for "reject"
}

// drive feeds raw to a fresh parser in pieces of step bytes (0 = all at
// once), as a connection does: the unconsumed bytes accumulate in one
// buffer, each complete request is decoded and dropped. It stops after a
// request that is not keep-alive, as a server closes then.
func drive(raw []byte, step int, lim Limits) driveResult {
	if step <= 0 {
		step = max(len(raw), 1)
	}
	var pieces [][]byte
	for off := 0; off < len(raw); off += step {
		pieces = append(pieces, raw[off:min(off+step, len(raw))])
	}
	return drivePieces(pieces, lim, nil)
}

// drivePieces is drive with explicit pieces; onRequest, if set, sees each
// decoded request.
func drivePieces(pieces [][]byte, lim Limits, onRequest func(*Request)) driveResult {
	p := NewParser(lim)
	var req Request
	var res driveResult
	var buf []byte
	for k, piece := range pieces {
		buf = append(buf, piece...)
		for len(buf) > 0 {
			n, err := p.Input(buf)
			if err != nil {
				res.Outcome = "reject"
				if e, ok := err.(*Error); ok {
					res.Status = e.Status
				}
				return res
			}
			if n == 0 {
				break
			}
			if err := p.Decode(buf[:n], &req); err != nil {
				panic(err)
			}
			res.Messages = append(res.Messages, messageOf(&req))
			if onRequest != nil {
				onRequest(&req)
			}
			// Drop the package as the connection does: later bytes move to
			// the front of the buffer.
			buf = append(buf[:0], buf[n:]...)
			if !req.KeepAlive() {
				res.Outcome = "ok"
				rest := len(buf)
				for _, later := range pieces[k+1:] {
					rest += len(later)
				}
				if rest > 0 {
					res.Outcome = "close" // bytes follow that the server will not read
				}
				return res
			}
		}
	}
	res.Outcome = "ok"
	if p.Started() {
		res.Outcome = "incomplete"
	}
	return res
}

func TestConformanceCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if cases == nil {
		t.Skipf("conformance corpus not found at %s (set HTTP_CONFORMANCE)", corpusPath())
	}
	require.NotEmpty(t, cases)
	for _, c := range cases {
		if fix := corpusErrata[c.ID]; fix != nil {
			fix(&c)
		}
		raw, err := base64.StdEncoding.DecodeString(c.RawB64)
		require.NoError(t, err, c.ID)
		for _, step := range []int{0, 1, 2, 3, 4, 5} {
			t.Run(fmt.Sprintf("%s/step%d", c.ID, step), func(t *testing.T) {
				got := drive(raw, step, Limits{})
				want := c.Messages
				if want == nil {
					want = []corpusMessage{}
				}
				if got.Messages == nil {
					got.Messages = []corpusMessage{}
				}
				for i := range want {
					if want[i].Headers == nil {
						want[i].Headers = [][2]string{}
					}
					if want[i].Trailers == nil {
						want[i].Trailers = [][2]string{}
					}
				}
				assert.Equal(t, want, got.Messages, "raw: %q", raw)
				switch c.Outcome {
				case "ok":
					// Only skipped empty lines may remain.
					assert.Contains(t, []string{"ok", "close"}, got.Outcome, "raw: %q", raw)
					if got.Outcome == "close" {
						assert.False(t, got.Messages[len(got.Messages)-1].KeepAlive)
					}
				case "incomplete", "close":
					assert.Equal(t, c.Outcome, got.Outcome, "raw: %q", raw)
				case "reject":
					assert.Equal(t, "reject", got.Outcome, "raw: %q", raw)
					assert.Contains(t, rejectStatuses, got.Status)
				default:
					t.Fatalf("unknown outcome %q", c.Outcome)
				}
			})
		}
	}
}

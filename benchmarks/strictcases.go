package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

// expect is one acceptable way for a server to handle a case: the
// requests it dispatches, in order, then what it does next (the corpus's
// outcomes: ok, incomplete, close, reject).
type expect struct {
	Messages []common.Echo
	Outcome  string
}

// strictCase is raw bytes sent on a fresh connection and the ways a
// conforming server may handle them.
type strictCase struct {
	ID      string
	Kind    string // kindCorpus or one of heldOutKinds
	Raw     []byte
	Accept  []expect
	Smuggle bool // a server that mishandles it can be desynchronised from a proxy
}

const kindCorpus = "corpus"

// heldOutKinds are the kinds of case the corpus leaves to each runner, in
// table order.
var heldOutKinds = []string{"CL+TE", "duplicate CL", "bad chunk size", "obs-fold", "bare LF", "Host"}

// corpusCase is one case of the shared corpus
// (../shared/conformance/README.md).
type corpusCase struct {
	ID       string        `json:"id"`
	RawB64   string        `json:"raw_b64"`
	Messages []common.Echo `json:"messages"`
	Outcome  string        `json:"outcome"`
}

// corpusPath is $HTTP_CONFORMANCE or ../shared/conformance/http-requests.json
// beside the repository (the harness runs in benchmarks/).
func corpusPath() string {
	if p := os.Getenv("HTTP_CONFORMANCE"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "shared", "conformance", "http-requests.json")
}

// corpusErrata corrects a corpus expectation that contradicts its own raw
// bytes, as the framework's own conformance tests do: "uri.md:7 Quotes in
// URI" sends backslashes in its target (llhttp's Markdown escapes were
// kept in raw_b64) but expects them gone. A server reports the target as
// sent.
var corpusErrata = map[string]func(c *corpusCase){
	"uri.md:7 Quotes in URI": func(c *corpusCase) {
		c.Messages[0].Target = `/with_"lovely"_quotes?foo=\"bar\"`
	},
}

// loadCorpus reads the corpus as strict cases.
func loadCorpus(path string) ([]strictCase, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cs []corpusCase
	if err := json.Unmarshal(b, &cs); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	out := make([]strictCase, 0, len(cs))
	for _, c := range cs {
		if fix := corpusErrata[c.ID]; fix != nil {
			fix(&c)
		}
		raw, err := base64.StdEncoding.DecodeString(c.RawB64)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", c.ID, err)
		}
		out = append(out, strictCase{ID: c.ID, Kind: kindCorpus, Raw: raw, Accept: []expect{{Messages: c.Messages, Outcome: c.Outcome}}})
	}
	return out, nil
}

// Held-out cases. Each sends one request with Host: example.test (unless
// the Host field is the point), mostly followed by a second, smuggled
// request that a server must never answer.
const smuggled = "GET /smuggled HTTP/1.1\r\nHost: example.test\r\n\r\n"

var (
	rejected = expect{Outcome: "reject"}
	host     = [2]string{"Host", "example.test"}
)

// msg is an expected request.
func msg(method, target, body string, headers ...[2]string) common.Echo {
	return common.Echo{Method: method, Target: target, Version: "1.1", Headers: append([][2]string{host}, headers...), Body: body, KeepAlive: true}
}

// post builds a POST /t request head with fields, then body.
func post(fields, body string) []byte {
	return []byte("POST /t HTTP/1.1\r\nHost: example.test\r\n" + fields + "\r\n" + body)
}

func cl(body string) string { return "Content-Length: " + strconv.Itoa(len(body)) + "\r\n" }

const te = "Transfer-Encoding: chunked\r\n"

// heldOut are the runner's own cases. A server may refuse each (a 4xx
// and close). Where RFC 9112 also allows handling a request, the
// alternative is listed: CL with TE may be read as chunked but the
// connection must close after it (§6.1); identical Content-Length values
// may be read as one (RFC 9110 §8.6); obs-fold may be replaced by spaces
// (§5.2); a bare LF may end a start-line or field line (§2.2), though not
// a chunk's line (§7.1). Missing or repeated Host is always a 400 (§3.2).
var heldOut = func() []strictCase {
	chunked0 := "0\r\n\r\n" + smuggled
	asChunked := func(body string) []expect {
		return []expect{rejected, {Messages: []common.Echo{msg("POST", "/t", body)}, Outcome: "close"}}
	}
	badChunk := func(id, size string) strictCase {
		return strictCase{ID: id, Kind: "bad chunk size", Smuggle: true, Raw: post(te, size+"\r\nhello\r\n0\r\n\r\n"+smuggled), Accept: []expect{rejected}}
	}
	asOne := func(body string, h ...[2]string) []expect {
		return []expect{rejected, {Messages: []common.Echo{msg("POST", "/t", body, h...)}, Outcome: "ok"}}
	}
	get := func(target string, h ...[2]string) []expect {
		return []expect{rejected, {Messages: []common.Echo{msg("GET", target, "", h...)}, Outcome: "ok"}}
	}
	return []strictCase{
		{ID: "CL then TE: chunked body ends early, smuggled request after", Kind: "CL+TE", Smuggle: true, Raw: post(cl(chunked0)+te, chunked0), Accept: asChunked("")},
		{ID: "TE then CL: chunked body ends early, smuggled request after", Kind: "CL+TE", Smuggle: true, Raw: post(te+cl(chunked0), chunked0), Accept: asChunked("")},
		{ID: "TE with Content-Length: 0 before a chunked body", Kind: "CL+TE", Smuggle: true, Raw: post("Content-Length: 0\r\n"+te, "5\r\nhello\r\n0\r\n\r\n"+smuggled), Accept: asChunked("hello")},

		{ID: "two Content-Length fields, 5 and 6", Kind: "duplicate CL", Smuggle: true, Raw: post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"+smuggled), Accept: []expect{rejected}},
		{ID: "Content-Length: 5, 6", Kind: "duplicate CL", Smuggle: true, Raw: post("Content-Length: 5, 6\r\n", "hello!"+smuggled), Accept: []expect{rejected}},
		{ID: "two Content-Length fields, both 5", Kind: "duplicate CL", Smuggle: true, Raw: post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), Accept: asOne("hello")},
		{ID: "Content-Length: 5, 5", Kind: "duplicate CL", Smuggle: true, Raw: post("Content-Length: 5, 5\r\n", "hello"), Accept: asOne("hello")},

		badChunk("chunk size zz", "zz"),
		badChunk("chunk size -5", "-5"),
		badChunk("chunk size 0x5", "0x5"),
		badChunk("chunk size 2^64+5 (wraps to 5)", "10000000000000005"),
		badChunk("empty chunk size", ""),

		{ID: "obs-fold with a space in a field value", Kind: "obs-fold", Raw: []byte("GET /fold HTTP/1.1\r\nHost: example.test\r\nX-Fold: a\r\n b\r\n\r\n"), Accept: get("/fold", [2]string{"X-Fold", "a b"})},
		{ID: "obs-fold with a tab in a field value", Kind: "obs-fold", Raw: []byte("GET /fold HTTP/1.1\r\nHost: example.test\r\nX-Fold: a\r\n\tb\r\n\r\n"), Accept: get("/fold", [2]string{"X-Fold", "a b"})},
		{ID: "Transfer-Encoding folded onto the next line, with Content-Length", Kind: "obs-fold", Smuggle: true, Raw: post(cl(chunked0)+"Transfer-Encoding:\r\n chunked\r\n", chunked0), Accept: asChunked("")},

		{ID: "start-line and fields ended by bare LF", Kind: "bare LF", Raw: []byte("GET /lf HTTP/1.1\nHost: example.test\n\n"), Accept: get("/lf")},
		{ID: "one field line ended by bare LF", Kind: "bare LF", Raw: []byte("GET /lf HTTP/1.1\r\nHost: example.test\nX-Lf: b\r\n\r\n"), Accept: get("/lf", [2]string{"X-Lf", "b"})},
		{ID: "chunk-size line ended by bare LF", Kind: "bare LF", Smuggle: true, Raw: post(te, "5\nhello\r\n0\r\n\r\n"+smuggled), Accept: []expect{rejected}},
		{ID: "chunk data ended by bare LF", Kind: "bare LF", Smuggle: true, Raw: post(te, "5\r\nhello\n0\r\n\r\n"+smuggled), Accept: []expect{rejected}},

		{ID: "HTTP/1.1 request without Host", Kind: "Host", Raw: []byte("GET /nohost HTTP/1.1\r\n\r\n"), Accept: []expect{rejected}},
		{ID: "two Host fields with different values", Kind: "Host", Raw: []byte("GET /hosts HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n"), Accept: []expect{rejected}},
		{ID: "two Host fields with the same value", Kind: "Host", Raw: []byte("GET /hosts HTTP/1.1\r\nHost: a.test\r\nHost: a.test\r\n\r\n"), Accept: []expect{rejected}},
	}
}()

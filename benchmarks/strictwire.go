package main

// Reading the responses a server wrote for a strictness case.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// wireResponse is one response as read off the wire.
type wireResponse struct {
	Status int
	Body   []byte
}

// parseResponses splits data into responses. A body is framed by
// Content-Length, by chunked coding, or, with neither, by the connection's
// close (net/http's own 400s are written that way); 1xx responses are
// skipped, and responses to HEAD (head(i) for the i-th final response) and
// 204/304 have none.
func parseResponses(data []byte, closed bool, head func(i int) bool) ([]wireResponse, error) {
	br := bufio.NewReader(bytes.NewReader(data))
	var out []wireResponse
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return out, nil
		}
		line, err := br.ReadString('\n')
		if err != nil {
			return out, fmt.Errorf("truncated status line")
		}
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") || len(f[1]) != 3 {
			return out, fmt.Errorf("bad status line %q", line)
		}
		status, err := strconv.Atoi(f[1])
		if err != nil {
			return out, fmt.Errorf("bad status line %q", line)
		}
		cl, chunked := -1, false
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return out, fmt.Errorf("truncated header")
			}
			l = strings.TrimRight(l, "\r\n")
			if l == "" {
				break
			}
			k, v, _ := strings.Cut(l, ":")
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "content-length":
				if cl, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
					return out, fmt.Errorf("bad Content-Length %q", v)
				}
			case "transfer-encoding":
				chunked = strings.Contains(strings.ToLower(v), "chunked")
			}
		}
		if status < 200 {
			continue
		}
		r := wireResponse{Status: status}
		switch {
		case head(len(out)) || status == 204 || status == 304:
		case chunked:
			if r.Body, err = readChunked(br); err != nil {
				return out, err
			}
		case cl >= 0:
			r.Body = make([]byte, cl)
			if _, err := io.ReadFull(br, r.Body); err != nil {
				return out, fmt.Errorf("truncated body")
			}
		case closed:
			r.Body, _ = io.ReadAll(br)
		default:
			return out, fmt.Errorf("status %d without framing on an open connection", status)
		}
		out = append(out, r)
	}
}

func readChunked(br *bufio.Reader) ([]byte, error) {
	var body []byte
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("truncated chunk")
		}
		size, _, _ := strings.Cut(strings.TrimSpace(l), ";")
		n, err := strconv.ParseInt(size, 16, 32)
		if err != nil {
			return nil, fmt.Errorf("bad chunk size %q", l)
		}
		if n == 0 {
			for { // trailer section
				t, err := br.ReadString('\n')
				if err != nil || strings.TrimRight(t, "\r\n") == "" {
					return body, nil
				}
			}
		}
		c := make([]byte, n+2)
		if _, err := io.ReadFull(br, c); err != nil {
			return nil, fmt.Errorf("truncated chunk")
		}
		body = append(body, c[:n]...)
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The strictness phase sends raw requests to each server's echo binary
// and checks what it does with them: the shared corpus's cases and the
// held-out kinds of strictcases.go. Each case gets a fresh connection and
// its bytes at once.

// strictResult is one server's strictness: per kind, cases handled as
// expected and cases run; the smuggling cases it mishandled by
// dispatching a request it should not have; and, for the log, why each
// failing case failed.
type strictResult struct {
	Pass, Total map[string]int
	Smuggled    []string
	Failures    map[string]string
}

const (
	strictQuiet = 300 * time.Millisecond // silence that means "waiting"
	strictConns = 24                     // cases in flight at once
)

// runStrictPhase starts each server's echo binary in turn and runs every
// case against it.
func runStrictPhase(ctx context.Context, o options, bin, tmp string, res *results) error {
	if !has(o, kindStrict) {
		return nil
	}
	cases, err := loadCorpus(corpusPath())
	if err != nil {
		res.StrictCorpus = "not run: " + err.Error()
		log.Printf("strictness: corpus: %v", err)
	} else {
		res.StrictCorpus = corpusPath()
	}
	cases = append(cases, heldOut...)
	for _, d := range servers {
		if e := res.BuildErr[d.Echo]; e != "" {
			res.StrictErr[d.Key] = "build failed: " + firstLine(e)
			continue
		}
		p, err := startServer(launchOf(d, d.Echo, bin, o.Procs, tmp))
		if err != nil {
			res.StrictErr[d.Key] = err.Error()
			continue
		}
		sr, err := runStrict(ctx, p.addr, cases)
		p.stop()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			res.StrictErr[d.Key] = err.Error()
			continue
		}
		res.Strict[d.Key] = sr
		var parts []string
		for _, k := range append([]string{kindCorpus}, heldOutKinds...) {
			parts = append(parts, fmt.Sprintf("%s %d/%d", k, sr.Pass[k], sr.Total[k]))
		}
		log.Printf("strictness %-10s %s; smuggling cases mishandled: %d", d.Key, strings.Join(parts, ", "), len(sr.Smuggled))
		for _, id := range slices.Sorted(maps.Keys(sr.Failures)) {
			if !strings.HasPrefix(id, kindCorpus+": ") && d.Key != "rawgnet" {
				log.Printf("strictness %-10s   %s: %s", d.Key, id, clip([]byte(sr.Failures[id])))
			}
		}
	}
	return nil
}

// runStrict runs cases against addr, strictConns at a time.
func runStrict(ctx context.Context, addr string, cases []strictCase) (*strictResult, error) {
	sr := &strictResult{Pass: map[string]int{}, Total: map[string]int{}, Failures: map[string]string{}}
	var mu sync.Mutex
	var firstErr error
	slots := make(chan struct{}, strictConns)
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			if ctx.Err() != nil {
				return
			}
			got, closed, err := exchange(addr, c.Raw)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("%s: %v", c.ID, err)
				}
				return
			}
			sr.Total[c.Kind]++
			why := judge(c, got, closed)
			if why == "" {
				sr.Pass[c.Kind]++
				return
			}
			sr.Failures[c.Kind+": "+c.ID] = why
			if c.Smuggle && dispatched(got, closed) {
				sr.Smuggled = append(sr.Smuggled, c.ID)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	slices.Sort(sr.Smuggled)
	return sr, firstErr
}

// exchange writes raw to a fresh connection and returns what the server
// wrote until it closed the connection (EOF or reset) or stayed quiet for
// strictQuiet.
func exchange(addr string, raw []byte) (got []byte, closed bool, err error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, false, err
	}
	defer conn.Close()
	if _, err := conn.Write(raw); err != nil {
		return nil, true, nil // closed before reading all of it
	}
	var buf bytes.Buffer
	p := make([]byte, 4096)
	stop := time.Now().Add(10 * time.Second)
	for time.Now().Before(stop) {
		_ = conn.SetReadDeadline(time.Now().Add(strictQuiet))
		n, err := conn.Read(p)
		buf.Write(p[:n])
		var ne net.Error
		switch {
		case err == nil:
		case errors.As(err, &ne) && ne.Timeout():
			return buf.Bytes(), false, nil
		case err == io.EOF || errors.Is(err, syscall.ECONNRESET):
			return buf.Bytes(), true, nil
		default:
			return buf.Bytes(), false, err
		}
	}
	return buf.Bytes(), false, errors.New("server kept writing for 10 s")
}

func clip(b []byte) []byte {
	if len(b) > 160 {
		return append(b[:160:160], "..."...)
	}
	return b
}

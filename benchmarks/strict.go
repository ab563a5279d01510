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
	// strictQuiet is the silence that means "waiting"; a case that fails
	// is run again with strictRetryQuiet, so that a server slowed down by
	// a loaded machine is not taken for one that waits.
	strictQuiet      = time.Second
	strictRetryQuiet = 4 * time.Second
	strictConns      = 64 // cases in flight at once
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

// runStrict runs cases against addr, strictConns at a time, and the
// failing ones once more with a longer quiet.
func runStrict(ctx context.Context, addr string, cases []strictCase) (*strictResult, error) {
	sr := &strictResult{Pass: map[string]int{}, Total: map[string]int{}, Failures: map[string]string{}}
	type outcome struct {
		why      string
		smuggled bool
		err      error
	}
	run := func(cs []strictCase, quiet time.Duration) []outcome {
		out := make([]outcome, len(cs))
		slots := make(chan struct{}, strictConns)
		var wg sync.WaitGroup
		for i, c := range cs {
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				if ctx.Err() != nil {
					return
				}
				got, closed, err := exchange(addr, c.Raw, quiet)
				if err != nil {
					out[i].err = fmt.Errorf("%s: %v", c.ID, err)
					return
				}
				out[i].why = judge(c, got, closed)
				out[i].smuggled = out[i].why != "" && c.Smuggle && dispatched(got, closed)
			})
		}
		wg.Wait()
		return out
	}
	first := run(cases, strictQuiet)
	var again []strictCase
	var at []int
	for i, o := range first {
		if o.err != nil || o.why != "" {
			again = append(again, cases[i])
			at = append(at, i)
		}
	}
	for j, o := range run(again, strictRetryQuiet) {
		first[at[j]] = o
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	for i, o := range first {
		c := cases[i]
		if o.err != nil {
			return nil, o.err
		}
		sr.Total[c.Kind]++
		if o.why == "" {
			sr.Pass[c.Kind]++
			continue
		}
		sr.Failures[c.Kind+": "+c.ID] = o.why
		if o.smuggled {
			sr.Smuggled = append(sr.Smuggled, c.ID)
		}
	}
	slices.Sort(sr.Smuggled)
	return sr, nil
}

// exchange writes raw to a fresh connection and returns what the server
// wrote until it closed the connection (EOF or reset) or stayed quiet for
// quiet.
func exchange(addr string, raw []byte, quiet time.Duration) (got []byte, closed bool, err error) {
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
		_ = conn.SetReadDeadline(time.Now().Add(quiet))
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

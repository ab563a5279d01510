// Command nethttp is the net/http baseline: GET / (plaintext), GET /json,
// POST /post (answers the body's length), GET /sse (an event stream, one
// goroutine and channel per client, the idiomatic net/http way) and
// GET /publish (sends one 64-byte event to every SSE client). With -echo it
// answers every request with common.StdEcho instead, for the strictness
// phase. With -cert and -key it serves the same routes over crypto/tls
// (ListenAndServeTLS), for the tls-* scenarios.
package main

import (
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"strconv"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	echo := flag.Bool("echo", false, "answer every request with its echo (strictness phase)")
	tlsFiles := common.RegisterTLS()
	flag.Parse()
	common.RaiseNoFile()
	if *echo {
		log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(common.StdEcho)))
	}
	h := common.NewChanHub()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, common.Hello)
	})
	mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(common.Message{Message: common.Hello})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("POST /post", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, strconv.FormatInt(n, 10))
	})
	mux.HandleFunc("GET /publish", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, strconv.Itoa(h.Publish()))
	})
	mux.HandleFunc("GET /sse", func(w http.ResponseWriter, r *http.Request) {
		fl := w.(http.Flusher)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(200)
		fl.Flush()
		ch := h.Subscribe()
		defer func() {
			h.Unsubscribe(ch)
		}()
		for {
			select {
			case ev := <-ch:
				if _, err := w.Write(ev); err != nil {
					return
				}
				fl.Flush()
			case <-r.Context().Done():
				return
			}
		}
	})
	if tlsFiles.Enabled() {
		log.Fatal(http.ListenAndServeTLS(*addr, tlsFiles.Cert, tlsFiles.Key, mux))
	}
	log.Fatal(http.ListenAndServe(*addr, mux))
}

package common

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// Echo is what an echo server answers for one request, in the form of the
// shared conformance corpus (../shared/conformance/README.md): the request
// as the server's parser understood it. The strictness phase starts every
// server with -echo and compares these with the corpus.
type Echo struct {
	Method    string      `json:"method"`
	Target    string      `json:"target"`
	Version   string      `json:"version"`
	Headers   [][2]string `json:"headers"`
	Trailers  [][2]string `json:"trailers"`
	Body      string      `json:"body"`
	KeepAlive bool        `json:"keep_alive"`
}

// StdEcho is the echo handler of the servers built on net/http's Request
// (net/http and nbio). A body that fails to read (a bad chunk, say) is
// answered 400 and the connection closed, as an application that reads
// its body would do.
func StdEcho(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.Header().Set("Connection", "close")
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	e := Echo{
		Method: r.Method, Target: r.RequestURI, Body: string(body),
		Version:   r.Proto[len("HTTP/"):],
		Headers:   [][2]string{},
		Trailers:  [][2]string{},
		KeepAlive: !r.Close,
	}
	if _, ok := r.Header["Host"]; !ok && r.Host != "" {
		e.Headers = append(e.Headers, [2]string{"Host", r.Host}) // net/http moves it out of Header; nbio does not
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			e.Headers = append(e.Headers, [2]string{k, v})
		}
	}
	for k, vs := range r.Trailer {
		for _, v := range vs {
			e.Trailers = append(e.Trailers, [2]string{k, v})
		}
	}
	b, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b))) // nbio would chunk without it
	_, _ = w.Write(b)
}

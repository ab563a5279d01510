package ssehub

import (
	"strings"
	"sync"

	"github.com/gnetworker/gnetworker/protocols/http"
)

// maxCORSHeads bounds the event-stream responses a hub with Options.CORS
// keeps, one per Access-Control-Allow-Origin value (an allowed origin, or
// "*"). A policy with AllowOriginFunc may allow origins without end; past
// the bound each new subscriber of an origin not kept gets a response
// built for it (a few hundred bytes of garbage once per subscription).
const maxCORSHeads = 64

// corsHeads are the event-stream responses of a hub with Options.CORS.
// Without CORS the hub sends its one prebuilt h.header and this is nil.
type corsHeads struct {
	policy *http.CORS
	fields map[string]string // the response's headers, before CORS
	none   *http.Response    // for no Origin or a disallowed one

	mu    sync.Mutex
	byACA map[string]*http.Response // by Access-Control-Allow-Origin value
}

func newCORSHeads(policy *http.CORS, fields map[string]string) *corsHeads {
	return &corsHeads{
		policy: policy,
		fields: fields,
		// Apply without a request adds what a request without an allowed
		// Origin gets: Vary: Origin when the answer depends on it.
		none:  policy.Apply(nil, http.NewResponse(200, fields, "")),
		byACA: make(map[string]*http.Response),
	}
}

// headerFor returns the event-stream response for req. Responses are
// shared by every subscriber that gets the same one: encoding only reads
// them.
func (h *Hub) headerFor(req *http.Request) *http.Response {
	if h.cors == nil {
		return h.header
	}
	return h.cors.get(req)
}

func (ch *corsHeads) get(req *http.Request) *http.Response {
	// Apply's headers depend only on this value (http.CORS.AllowOriginHeader).
	aca := ch.policy.AllowOriginHeader(req)
	if aca == "" {
		return ch.none
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if r, ok := ch.byACA[aca]; ok {
		return r
	}
	r := ch.policy.Apply(req, http.NewResponse(200, ch.fields, ""))
	if len(ch.byACA) < maxCORSHeads {
		ch.byACA[strings.Clone(aca)] = r // aca is a view of req's memory
	}
	return r
}

package main

import (
	"strings"

	"github.com/gnetworker/gnetworker/protocols/http"
)

// originList is the -allow-origin flag: it may be repeated, and each value
// may list several origins separated by commas.
type originList []string

func (l *originList) String() string { return strings.Join(*l, ",") }

// Set adds the origins of v, refusing one that is not "*" nor
// scheme://host[:port] (http.CORS.Validate says why).
func (l *originList) Set(v string) error {
	for o := range strings.SplitSeq(v, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if err := (&http.CORS{AllowOrigins: []string{o}}).Validate(); err != nil {
			return err
		}
		*l = append(*l, o)
	}
	return nil
}

// corsPolicy is the example's policy for pages of the given origins: they
// may subscribe to /events and POST to /messages (a form, or JSON, which
// browsers preflight). nil when there are none: same-origin only.
func corsPolicy(origins []string) *http.CORS {
	if len(origins) == 0 {
		return nil
	}
	return &http.CORS{AllowOrigins: origins, AllowMethods: []string{"GET", "POST"}}
}

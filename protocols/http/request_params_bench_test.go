package http

import (
	"testing"
)

// The cost of the trees, beside the flat accessors they are built from:
//
//	go test -run '^$' -bench 'Params|Cookies' -benchmem ./protocols/http

// paramsQuery is a query of a list page: filters, ids, paging.
const paramsQuery = "/list?ids[]=3&ids[]=4&ids[]=5&filter[tag][]=go&filter[tag][]=gnet&filter[owner]=ann&sort[created]=desc&page=2&size=20&q=hello+world"

func BenchmarkQueryParams(b *testing.B) {
	r := getRequest(b, paramsQuery)
	_, _ = r.QueryParams()
	b.ReportAllocs()
	b.SetBytes(int64(len(paramsQuery)))
	for b.Loop() {
		r.ext.queryParams = nil // build again, from the parsed pairs
		if _, err := r.QueryParams(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueryFlat is the reference: the flat pairs, parsed again.
func BenchmarkQueryFlat(b *testing.B) {
	r := getRequest(b, paramsQuery)
	_ = r.Get("q")
	b.ReportAllocs()
	b.SetBytes(int64(len(paramsQuery)))
	for b.Loop() {
		r.ext.queryParsed = false
		_ = r.Get("q")
	}
}

func TestCookiesZeroAlloc(t *testing.T) {
	r := getRequest(t, "/", "Cookie: session=7a1c3e9b5d; theme=dark; lang=\"en\"\r\n")
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		for name, v := range r.Cookies() {
			n += len(name) + len(v)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations, want 0", allocs)
	}
}

package http

import (
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCookies(t *testing.T) {
	r := getRequest(t, "/", "Cookie: s=1; t=\"two\" ;  u = 3 ;x; =e; s=again\r\n", "cookie: v=4\r\n")
	got := [][2]string{}
	for n, v := range r.Cookies() {
		got = append(got, [2]string{n, v})
		if n != "s" {
			assert.Equal(t, r.Cookie(n), v, n)
		}
	}
	assert.Equal(t, [][2]string{{"s", "1"}, {"t", "two"}, {"u", "3"}, {"", "e"}, {"s", "again"}, {"v", "4"}}, got)
	assert.Equal(t, "1", r.Cookie("s"), "Cookie gives the first")
	m := maps.Collect(r.Cookies())
	assert.Equal(t, "again", m["s"], "maps.Collect keeps the last")
	for range r.Cookies() {
		break // stopping early is fine
	}
	assert.Empty(t, maps.Collect(getRequest(t, "/").Cookies()))
}

package http

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// FuzzParams checks the parameter trees against refRegister, a port of
// php_register_variable_ex that edits a NUL-terminated copy of the name
// as the C code does, over a naive ordered map; and that the JSON is valid
// and the caps hold.
func FuzzParams(f *testing.F) {
	for _, c := range phpQueryCases {
		f.Add(c.query)
	}
	f.Add("a" + strings.Repeat("[x]", MaxParamDepth+1) + "=1&a[y]=2&b[=3&c[d][e=4")
	f.Add("a[%20]=1&a[+x]=2&a[9223372036854775807]=3&a[]=4&..Secure-x=5&a[__Host-]=6")
	f.Fuzz(func(t *testing.T, q string) {
		vs, _ := appendURLEncoded(nil, []byte(q))
		got, err := buildParams(vs, false)
		if err != nil && err != ErrParamsTooDeep && err != ErrTooManyParams {
			t.Fatalf("error %v", err)
		}
		ref := newRefArr()
		for i, v := range vs {
			if i == MaxParamVars {
				break
			}
			refRegister(ref, v.Name, v.Value)
		}
		js, _ := got.MarshalJSON()
		if want := string(ref.appendJSON(nil)); string(js) != want {
			t.Fatalf("%q:\n got %s\nwant %s", q, js, want)
		}
		if !json.Valid(js) {
			t.Fatalf("invalid JSON %s", js)
		}
		if d := paramDepth(got); d > MaxParamDepth+1 {
			t.Fatalf("depth %d", d)
		}
		for _, v := range vs {
			var back string
			if err := json.Unmarshal(appendJSONString(nil, v.Value), &back); err != nil || back != string([]rune(v.Value)) {
				t.Fatalf("string %q: %q, %v", v.Value, back, err)
			}
		}
	})
}

// paramDepth is the most levels of arrays in p (the root counting as 1).
func paramDepth(p *Param) int {
	d := 0
	for _, v := range p.List() {
		d = max(d, paramDepth(v))
	}
	if p.IsArray() {
		d++
	}
	return d
}

// refArr is a PHP array in the most obvious form.
type refArr struct {
	keys []string
	vals []any // string or *refArr
	next int64
}

func newRefArr() *refArr { return &refArr{next: math.MinInt64} }

func (a *refArr) find(k string) int {
	for i, kk := range a.keys {
		if kk == k {
			return i
		}
	}
	return -1
}

func (a *refArr) update(k string, v any) {
	if i := a.find(k); i >= 0 {
		a.vals[i] = v
		return
	}
	if n, err := strconv.ParseInt(k, 10, 64); err == nil && strconv.FormatInt(n, 10) == k && k != "-0" {
		if n >= a.next {
			a.next = n + 1
			if n == math.MaxInt64 {
				a.next = n
			}
		}
	}
	a.keys = append(a.keys, k)
	a.vals = append(a.vals, v)
}

func (a *refArr) nextInsert(v any) bool {
	n := a.next
	if n == math.MinInt64 {
		n = 0
	}
	k := strconv.FormatInt(n, 10)
	if a.find(k) >= 0 {
		return false
	}
	a.update(k, v)
	return true
}

func (a *refArr) del(k string) {
	if i := a.find(k); i >= 0 {
		a.keys = append(a.keys[:i], a.keys[i+1:]...)
		a.vals = append(a.vals[:i], a.vals[i+1:]...)
	}
}

func (a *refArr) appendJSON(b []byte) []byte {
	list := true
	for i, k := range a.keys {
		list = list && k == strconv.Itoa(i)
	}
	if list {
		b = append(b, '[')
	} else {
		b = append(b, '{')
	}
	for i, k := range a.keys {
		if i > 0 {
			b = append(b, ',')
		}
		if !list {
			b = append(appendJSONString(b, k), ':')
		}
		switch v := a.vals[i].(type) {
		case string:
			b = appendJSONString(b, v)
		case *refArr:
			b = v.appendJSON(b)
		}
	}
	if list {
		return append(b, ']')
	}
	return append(b, '}')
}

// refRegister is php_register_variable_ex (PHP 8, main/php_variables.c)
// step by step, on a NUL-terminated copy of the name.
func refRegister(root *refArr, name, val string) {
	buf := append([]byte(name), 0)
	buf = buf[:bytes.IndexByte(buf, 0)+1] // a C string ends at its first NUL
	for buf[0] == ' ' {
		buf = buf[1:]
	}
	pre := string(buf[:len(buf)-1])
	cstr := func(at int) string { return string(buf[at : at+bytes.IndexByte(buf[at:], 0)]) }
	forbidden := func(k string) bool {
		return strings.HasPrefix(k, "__Host-") && !strings.HasPrefix(pre, "__Host-") ||
			strings.HasPrefix(k, "__Secure-") && !strings.HasPrefix(pre, "__Secure-")
	}
	p, ip, isArray := 0, 0, false
	for ; buf[p] != 0; p++ {
		if buf[p] == ' ' || buf[p] == '.' {
			buf[p] = '_'
		} else if buf[p] == '[' {
			isArray, ip = true, p
			buf[p] = 0
			break
		}
	}
	varLen := p
	if varLen == 0 {
		return
	}
	sym := root
	index, indexNil, indexPos := cstr(0), false, 0
	if isArray {
		for nest := 1; ; nest++ {
			if nest > MaxParamDepth {
				root.del(string(buf[:varLen]))
				return
			}
			ip++
			indexS := ip
			if buf[ip] == ' ' {
				ip++
			}
			newIndex, newNil := "", false
			if buf[ip] == ']' {
				newNil = true
			} else {
				k := bytes.IndexByte(buf[ip:], ']')
				if k < 0 {
					buf[indexS-1] = '_'
					for q := indexS; buf[q] != 0; q++ {
						if buf[q] == ' ' || buf[q] == '.' || buf[q] == '[' {
							buf[q] = '_'
						}
					}
					if !indexNil {
						index = cstr(indexPos) // strlen(index): longer for the base
					}
					break
				}
				ip += k
				buf[ip] = 0
				newIndex = cstr(indexS)
			}
			if indexNil {
				next := newRefArr()
				if !sym.nextInsert(next) {
					return
				}
				sym = next
			} else {
				if forbidden(index) {
					return
				}
				i := sym.find(index)
				if i < 0 {
					sym.update(index, newRefArr())
					i = sym.find(index)
				} else if _, ok := sym.vals[i].(*refArr); !ok {
					sym.vals[i] = newRefArr()
				}
				sym = sym.vals[i].(*refArr)
			}
			index, indexNil, indexPos = newIndex, newNil, indexS
			ip++
			if buf[ip] != '[' {
				break
			}
			buf[ip] = 0
		}
	}
	if indexNil {
		sym.nextInsert(val)
	} else if !forbidden(index) {
		sym.update(index, val)
	}
}

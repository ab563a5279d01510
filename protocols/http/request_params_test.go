package http

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// getRequest decodes "GET target".
func getRequest(t testing.TB, target string, header ...string) *Request {
	t.Helper()
	raw := []byte("GET " + target + " HTTP/1.1\r\nHost: h\r\n" + strings.Join(header, "") + "\r\n")
	p := NewParser(Limits{MaxTargetLength: len(target) + 1, MaxHeaderBytes: len(raw) + 1})
	n, err := p.Input(raw)
	require.NoError(t, err, target)
	require.Equal(t, len(raw), n)
	r := new(Request)
	require.NoError(t, p.Decode(raw, r), target)
	return r
}

func paramJSON(t testing.TB, p *Param) string {
	t.Helper()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	return string(b)
}

// phpQueryCases are query strings and the json_encode($_GET) PHP 8 gives
// for them. The rules are those of php_register_variable_ex
// (main/php_variables.c) and of numeric string keys
// (_zend_handle_numeric_str_ex, Zend/zend_hash.c); the first cases are the
// manual's: parse_str examples #1 and #2, and "Variables From External
// Sources" ("Dots and spaces in variable names are converted to
// underscores").
var phpQueryCases = []struct{ query, want string }{
	{"first=value&arr[]=foo+bar&arr[]=baz", `{"first":"value","arr":["foo bar","baz"]}`},
	{"My+Value=Something", `{"My_Value":"Something"}`},
	{"a.b=1", `{"a_b":"1"}`},
	{"a[]=1&a[]=2&b[x]=y", `{"a":["1","2"],"b":{"x":"y"}}`},
	{"a[b][]=d&a[b][]=e", `{"a":{"b":["d","e"]}}`},
	{"a[x][y]=1&a[x][z]=2", `{"a":{"x":{"y":"1","z":"2"}}}`},
	{"a[][x]=1&a[][x]=2", `{"a":[{"x":"1"},{"x":"2"}]}`},
	{"a%5Bb%5D=1", `{"a":{"b":"1"}}`},
	// Later values overwrite earlier ones, scalar or array.
	{"a=1&a=2", `{"a":"2"}`},
	{"a[x]=1&a=2", `{"a":"2"}`},
	{"a=2&a[x]=1", `{"a":{"x":"1"}}`},
	{"a[b]=1&a[b][c]=2", `{"a":{"b":{"c":"2"}}}`},
	{"a[x]=1&b=2&a[x]=3", `{"a":{"x":"3"},"b":"2"}`},
	// Unbalanced brackets: the first '[' and, after it, ' ', '.' and '['
	// become '_'; a later unbalanced group is dropped; after ']' anything
	// but '[' ends the name.
	{"a[b=1", `{"a_b":"1"}`},
	{"a[b.c+d[e=1", `{"a_b_c_d_e":"1"}`},
	{"a.x[b.c]=1", `{"a_x":{"b.c":"1"}}`},
	{"a[b][c=1", `{"a":{"b":"1"}}`},
	{"a[][c=1", `{"a":["1"]}`},
	{"a[b]c=1", `{"a":{"b":"1"}}`},
	{"a[b]]=1", `{"a":{"b":"1"}}`},
	{"a[[b]=1", `{"a":{"[b":"1"}}`},
	{"a[=1", `{"a_":"1"}`},
	// One space after '[' is skipped before ']' only.
	{"a[+]=1&a[+]=2", `{"a":["1","2"]}`},
	{"a[+b]=1", `{"a":{" b":"1"}}`},
	{"a[++]=1", `{"a":{"  ":"1"}}`},
	// Integer keys: "-?[1-9][0-9]*" or "0" within int64; [] appends after
	// the largest (PHP 8's nNextFreeElement, which starts below 0).
	{"a[5]=x&a[]=y", `{"a":{"5":"x","6":"y"}}`},
	{"a[0]=x&a[1]=y", `{"a":["x","y"]}`},
	{"a[1]=x&a[0]=y", `{"a":{"1":"x","0":"y"}}`},
	{"a[-5]=x&a[]=y", `{"a":{"-5":"x","-4":"y"}}`},
	{"a[01]=x&a[]=y", `{"a":{"01":"x","0":"y"}}`},
	{"a[-0]=x&a[]=y", `{"a":{"-0":"x","0":"y"}}`},
	{"a[%2B1]=x&a[]=y", `{"a":{"+1":"x","0":"y"}}`},
	{"a[]=1&a[x]=2&a[]=3", `{"a":{"0":"1","x":"2","1":"3"}}`},
	{"a[9223372036854775807]=x&a[]=y", `{"a":{"9223372036854775807":"x"}}`},
	{"a[9223372036854775808]=x&a[]=y", `{"a":{"9223372036854775808":"x","0":"y"}}`},
	{"a[-9223372036854775808]=x&a[]=y", `{"a":{"-9223372036854775808":"x","-9223372036854775807":"y"}}`},
	{"0=a&1=b", `["a","b"]`},
	// Names: leading spaces go, an empty name is dropped, a NUL ends it.
	{"%20%20a=1", `{"a":"1"}`},
	{"[a]=1&=2&b=3", `{"b":"3"}`},
	{"a%00b=1", `{"a":"1"}`},
	{"a", `{"a":""}`},
	{"a=1&&b=2&", `{"a":"1","b":"2"}`},
	{"a=%zz+%41", `{"a":"%zz A"}`},
	// Names that mangling makes look like __Host- or __Secure- cookies are
	// dropped, at any level (CVE-2022-31629).
	{"..Host-x=1&__Host-y=2", `{"__Host-y":"2"}`},
	{"a[__Secure-x]=1", `{"a":[]}`},
	{"", `[]`},
}

func TestQueryParamsPHP(t *testing.T) {
	for _, c := range phpQueryCases {
		target := "/p"
		if c.query != "" {
			target += "?" + c.query
		}
		r := getRequest(t, target)
		p, err := r.QueryParams()
		require.NoError(t, err, c.query)
		assert.Equal(t, c.want, paramJSON(t, p), c.query)
	}
}

// The same rules apply to urlencoded and multipart bodies.
func TestPostParamsPHP(t *testing.T) {
	for _, c := range phpQueryCases {
		if c.query == "" {
			continue
		}
		r := formRequest(t, "application/x-www-form-urlencoded", []byte(c.query))
		p, err := r.PostParams()
		require.NoError(t, err, c.query)
		assert.Equal(t, c.want, paramJSON(t, p), c.query)
	}
	var parts []mpPart
	for _, pair := range strings.Split("a[]=1&a[]=2&b[x][]=y&c.d=3&b[x][]=z", "&") {
		name, value, _ := strings.Cut(pair, "=")
		parts = append(parts, mpPart{name: name, data: value})
	}
	r := formRequest(t, mpType, mpBody("XyZ", parts...))
	p, err := r.PostParams()
	require.NoError(t, err)
	assert.Equal(t, `{"a":["1","2"],"b":{"x":["y","z"]},"c_d":"3"}`, paramJSON(t, p))
}

func TestPostParamsJSONKeysLiteral(t *testing.T) {
	r := formRequest(t, "application/json", []byte(`{"a[]":"1","b":{"c":[1,2]},"n":3}`))
	p, err := r.PostParams()
	require.NoError(t, err)
	assert.Equal(t, "1", p.Get("a[]").String())
	assert.Equal(t, `{"c":[1,2]}`, r.PostOr("b", "none"), "non-string members are their JSON text, as Post gives them")
	assert.Equal(t, `{"a[]":"1","b":"{\"c\":[1,2]}","n":"3"}`, paramJSON(t, p))
}

func TestParamAccessors(t *testing.T) {
	r := getRequest(t, "/p?ids[]=3&ids[]=4&user[name]=ann&user[tags][]=x&page=&q=go&q=gnet")
	ids := r.GetParam("ids")
	require.NotNil(t, ids)
	assert.True(t, ids.IsArray())
	assert.True(t, ids.IsList())
	assert.Equal(t, 2, ids.Len())
	assert.Equal(t, []string{"3", "4"}, ids.Strings())
	assert.Equal(t, "4", ids.Get("1").String())
	assert.Len(t, ids.List(), 2)
	user := r.GetParam("user")
	assert.False(t, user.IsList())
	assert.Equal(t, "ann", user.Get("name").String())
	assert.Equal(t, "x", user.Get("tags").Get("0").String())
	assert.Equal(t, []string{"name", "tags"}, user.Keys())
	assert.Nil(t, user.Get("missing").Get("deeper"), "nil Params chain")
	assert.Equal(t, "", (*Param)(nil).String())
	assert.Equal(t, 0, (*Param)(nil).Len())
	assert.False(t, (*Param)(nil).IsArray())
	assert.Equal(t, "", user.String(), "an array has no string value")
	keys := []string{}
	for k, v := range user.All() {
		keys = append(keys, k)
		assert.NotNil(t, v)
	}
	assert.Equal(t, []string{"name", "tags"}, keys)
	assert.Equal(t, map[string]any{"name": "ann", "tags": []any{"x"}}, user.Any())

	assert.Equal(t, "", r.GetOr("page", "1"), "present, even empty, wins over the default (PHP's ??)")
	assert.Equal(t, "1", r.GetOr("missing", "1"))
	assert.Equal(t, "d", r.GetOr("ids", "d"), "an array is not a string: the default")
	assert.Equal(t, "gnet", r.GetOr("q", ""), "the last of repeated names, as PHP")
	assert.Equal(t, "go", r.Get("q"), "Get keeps the first")
	assert.Nil(t, r.GetParam("missing"))
	assert.Nil(t, r.PostParam("q"))
	assert.Equal(t, "x", r.PostOr("q", "x"))
}

func TestInputParams(t *testing.T) {
	head := "POST /f?a=query&b=query&c[]=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 14\r\n\r\n"
	raw := []byte(head + "a=body&d[x]=bx")
	p := NewParser(Limits{})
	n, err := p.Input(raw)
	require.NoError(t, err)
	require.Equal(t, len(raw), n)
	r := new(Request)
	require.NoError(t, p.Decode(raw, r))
	assert.Equal(t, "body", r.InputOr("a", ""), "the body wins, as webman's input()")
	assert.Equal(t, "query", r.InputOr("b", ""))
	assert.Equal(t, "z", r.InputOr("zz", "z"))
	assert.Equal(t, "bx", r.InputParam("d").Get("x").String())
	assert.Equal(t, []string{"1"}, r.InputParam("c").Strings())
	assert.Nil(t, r.InputParam("zz"))
}

func TestParamsDepthCap(t *testing.T) {
	deep := func(levels int) string { return "a" + strings.Repeat("[x]", levels) }
	r := getRequest(t, "/p?"+deep(MaxParamDepth)+"=ok")
	p, err := r.QueryParams()
	require.NoError(t, err)
	n := 0
	for q := p.Get("a"); q.IsArray(); q = q.Get("x") {
		n++
	}
	assert.Equal(t, MaxParamDepth, n)

	// One level more: the value is dropped and so is all of "a", as PHP's
	// max_input_nesting_level does; other names stay.
	r = getRequest(t, "/p?a[y]=1&b=2&"+deep(MaxParamDepth+1)+"=no&c=3")
	p, err = r.QueryParams()
	assert.ErrorIs(t, err, ErrParamsTooDeep)
	assert.Equal(t, `{"b":"2","c":"3"}`, paramJSON(t, p))
	assert.Equal(t, "2", r.GetOr("b", ""))

	// A name made of brackets costs time linear in its length.
	r = formRequest(t, "application/x-www-form-urlencoded", []byte("a"+strings.Repeat("[]", 1<<20)+"=1&"+strings.Repeat("[", 1<<20)+"=2&b"+strings.Repeat("[", 1<<20)+"=3"))
	p, err = r.PostParams()
	assert.ErrorIs(t, err, ErrParamsTooDeep)
	assert.Equal(t, 1, p.Len())
	assert.Equal(t, "3", p.Get("b"+strings.Repeat("_", 1<<20)).String())
}

func TestParamsCountCap(t *testing.T) {
	q := url.Values{}
	for i := range MaxParamVars + 5 {
		q.Add("v["+strings.Repeat("k", i%7)+"][]", "x")
	}
	body := q.Encode() + "&last=1"
	r := formRequest(t, "application/x-www-form-urlencoded", []byte(body))
	p, err := r.PostParams()
	assert.ErrorIs(t, err, ErrTooManyParams)
	total := 0
	for _, v := range p.Get("v").All() {
		total += v.Len()
	}
	assert.Equal(t, MaxParamVars, total, "the first MaxParamVars are kept, the rest dropped")
	assert.Nil(t, p.Get("last"))
	assert.NoError(t, r.ParseForm(), "the flat values are not capped by MaxParamVars")
	assert.Equal(t, "1", r.Post("last"))

	r = getRequest(t, "/p?"+body)
	_, err = r.QueryParams()
	assert.ErrorIs(t, err, ErrTooManyParams)
}

func TestParamsBodyError(t *testing.T) {
	r := formRequest(t, "application/json", []byte(`{"a":`))
	p, err := r.PostParams()
	assert.ErrorIs(t, err, ErrMalformedJSON)
	assert.Equal(t, 0, p.Len())
	assert.Equal(t, "[]", paramJSON(t, p))
}

func TestParamsAfterResetAndClone(t *testing.T) {
	r := getRequest(t, "/p?a[]=1")
	assert.Equal(t, []string{"1"}, r.GetParam("a").Strings())
	c := r.Clone()
	r.Reset()
	assert.Nil(t, r.GetParam("a"))
	assert.Equal(t, []string{"1"}, c.GetParam("a").Strings())
}

func TestNestedFileFields(t *testing.T) {
	body := mpBody("XyZ",
		mpPart{name: "files[]", filename: "1.txt", data: "one"},
		mpPart{name: "files[]", filename: "2.txt", data: "two"},
		mpPart{name: "doc[a]", filename: "a.txt", ctype: "text/plain", data: "A"},
		mpPart{name: "title", data: "t"},
		mpPart{name: "plain", filename: "p.txt", data: "P"},
	)
	r := formRequest(t, mpType, body)
	require.NoError(t, r.ParseForm())
	assert.Equal(t, "1.txt", r.File("files").Name, "the first under files[]")
	assert.Equal(t, "1.txt", r.File("files[]").Name, "the field name as sent still works")
	assert.Equal(t, "a.txt", r.File("doc").Name)
	assert.Equal(t, "p.txt", r.File("plain").Name)
	assert.Nil(t, r.File("title"))
	assert.Nil(t, r.File("nothing"))

	files := r.FileParam("files")
	require.True(t, files.IsList())
	assert.Equal(t, "2.txt", files.Get("1").File().Name)
	assert.Equal(t, "A", string(r.FileParam("doc").Get("a").File().Data))
	fp, err := r.FileParams()
	require.NoError(t, err)
	assert.Equal(t, `{"files":[{"name":"1.txt","type":"","tmp_name":"","error":0,"size":3},{"name":"2.txt","type":"","tmp_name":"","error":0,"size":3}],`+
		`"doc":{"a":{"name":"a.txt","type":"text/plain","tmp_name":"","error":0,"size":1}},`+
		`"plain":{"name":"p.txt","type":"","tmp_name":"","error":0,"size":1}}`, paramJSON(t, fp))
	p, err := r.PostParams()
	require.NoError(t, err)
	assert.Equal(t, `{"title":"t"}`, paramJSON(t, p))
}

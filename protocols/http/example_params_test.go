package http_test

import (
	"encoding/json"
	"fmt"

	"github.com/gnetworker/gnetworker/protocols/http"
)

// Parameters the PHP way: brackets in names make nested values, as in
// $_GET and $_POST, beside the flat Get and Post.
func ExampleRequest_QueryParams() {
	raw := []byte("POST /search?ids[]=3&ids[]=4&filter[tag][]=go&filter[tag][]=gnet&page=2 HTTP/1.1\r\n" +
		"Host: example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 31\r\n\r\n" +
		"user[name]=ann&user[langs][]=go")
	p := http.NewParser(http.Limits{})
	n, _ := p.Input(raw)
	var req http.Request
	if err := p.Decode(raw[:n], &req); err != nil {
		panic(err)
	}

	query, err := req.QueryParams() // workerman: $request->get()
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(query)
	fmt.Println(string(b))
	fmt.Println(req.GetParam("ids").Strings())                   // $request->get('ids')
	fmt.Println(req.GetOr("page", "1"), req.GetOr("size", "20")) // $request->get('size', '20')
	fmt.Println(req.PostParam("user").Get("name").String())      // $request->post('user')['name']
	fmt.Println(req.InputParam("user").Get("langs").List()[0])   // webman: $request->input('user')
	// Output:
	// {"ids":["3","4"],"filter":{"tag":["go","gnet"]},"page":"2"}
	// [3 4]
	// 2 20
	// ann
	// go
}

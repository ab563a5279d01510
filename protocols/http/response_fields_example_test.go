package http_test

import (
	"fmt"

	"github.com/gnetworker/gnetworker/protocols/http"
)

// Two Link headers: WithAddedHeader keeps the first, WithHeader would
// replace it. Headers lists what was set, in order.
func ExampleResponse_WithAddedHeader() {
	r := http.NewResponse(200, nil, "").
		WithAddedHeader("Link", "</app.css>; rel=preload; as=style").
		WithAddedHeader("Link", "</app.js>; rel=preload; as=script").
		Cookie("theme", "dark")
	for name, value := range r.Headers() {
		fmt.Println(name+":", value)
	}
	fmt.Println("first:", r.Header("link"))
	// Output:
	// Link: </app.css>; rel=preload; as=style
	// Link: </app.js>; rel=preload; as=script
	// Set-Cookie: theme=dark
	// first: </app.css>; rel=preload; as=style
}

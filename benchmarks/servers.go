package main

import (
	"context"
	"log"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// serverDef is one server under test; its binaries are built per run.
type serverDef struct {
	Key   string
	Label string // as in tables
	Short string // as in charts
	Plain string // binary for the plaintext scenarios and instruction counts
	App   string // binary for JSON and POST
	SSE   string // binary for the SSE scenarios
	Echo  string // binary for the strictness phase
	WS    string // binary for the WebSocket scenarios
	TLS   string // binary for the TLS scenarios, started with -cert and -key
	Proxy string // binary for the proxy scenario, started with -upstream
	Loops bool   // takes -count (event loops)
}

const rawLabel = "raw gnet (unsafe upper bound, not a real server)"

var servers = []*serverDef{
	{Key: "gnetworker", Label: "gnetworker", Short: "gnetworker", Plain: "hello", App: "gnetworker", SSE: "gnetworkersse", Echo: "httpecho", Loops: true},
	{Key: "nethttp", Label: "net/http", Short: "net/http", Plain: "nethttp", App: "nethttp", SSE: "nethttp", Echo: "nethttp-echo"},
	{Key: "fasthttp", Label: "fasthttp", Short: "fasthttp", Plain: "fasthttp", App: "fasthttp", SSE: "fasthttp", Echo: "fasthttp-echo"},
	{Key: "nbio", Label: "nbio", Short: "nbio", Plain: "nbio", App: "nbio", SSE: "nbio", Echo: "nbio-echo", Loops: true},
	{Key: "hertz", Label: "hertz", Short: "hertz", Plain: "hertz", App: "hertz", SSE: "hertz-sse", Echo: "hertz-echo", Loops: true},
	{Key: "rawgnet", Label: rawLabel, Short: "raw gnet (upper bound)", Plain: "rawgnet", App: "rawgnet", SSE: "rawgnet", Echo: "rawgnet", Loops: true},
}

// wsServers are the servers of the WebSocket scenarios, each speaking
// internal/common/ws.go's protocol.
var wsServers = []*serverDef{
	{Key: "gnetworker", Label: "gnetworker", Short: "gnetworker", WS: "gnetworkerws", Loops: true},
	{Key: "gorilla", Label: "gorilla/websocket (net/http)", Short: "gorilla", WS: "gorilla"},
	{Key: "gws", Label: "gws", Short: "gws", WS: "gws"},
	{Key: "nbio", Label: "nbio", Short: "nbio", WS: "nbio-ws", Loops: true},
}

// tlsServers are the servers of the TLS scenarios, each serving GET / over
// crypto/tls: gnetworker on its event loops (Transport "ssl"), net/http
// (ListenAndServeTLS) and fasthttp (ListenAndServeTLS, tls.NewListener).
var tlsServers = []*serverDef{
	{Key: "gnetworker", Label: "gnetworker", Short: "gnetworker", TLS: "gnetworker", Loops: true},
	{Key: "nethttp", Label: "net/http", Short: "net/http", TLS: "nethttp"},
	{Key: "fasthttp", Label: "fasthttp", Short: "fasthttp", TLS: "fasthttp"},
}

// binary is a package to build and the flags it is started with (after
// -addr, and -count for servers with event loops unless NoCount).
type binary struct {
	Pkg     string
	Args    []string
	NoCount bool
}

// binaries maps a binary name to its package and flags. Names that share
// a package share one build.
var binaries = map[string]binary{
	"hello":         {Pkg: "github.com/gnetworker/gnetworker/examples/hello"},
	"httpecho":      {Pkg: "github.com/gnetworker/gnetworker/examples/httpecho", NoCount: true},
	"gnetworker":    {Pkg: "./servers/gnetworker"},
	"gnetworkersse": {Pkg: "./servers/gnetworkersse"},
	"nethttp":       {Pkg: "./servers/nethttp"},
	"nethttp-echo":  {Pkg: "./servers/nethttp", Args: []string{"-echo"}},
	"fasthttp":      {Pkg: "./servers/fasthttp"},
	"fasthttp-echo": {Pkg: "./servers/fasthttp", Args: []string{"-echo"}},
	"nbio":          {Pkg: "./servers/nbio"},
	"nbio-echo":     {Pkg: "./servers/nbio", Args: []string{"-echo"}},
	"hertz":         {Pkg: "./servers/hertz"},
	"hertz-sse":     {Pkg: "./servers/hertz", Args: []string{"-sse"}},
	"hertz-echo":    {Pkg: "./servers/hertz", Args: []string{"-echo"}},
	"rawgnet":       {Pkg: "./servers/rawgnet"},
	"gnetworkerws":  {Pkg: "./servers/gnetworkerws"},
	"gorilla":       {Pkg: "./servers/gorilla"},
	"gws":           {Pkg: "./servers/gws"},
	"nbio-ws":       {Pkg: "./servers/nbio", Args: []string{"-ws"}},

	"tcpproxy":          {Pkg: "github.com/gnetworker/gnetworker/examples/tcpproxy"},
	"netproxy":          {Pkg: "./servers/netproxy"},
	"netproxy-nosplice": {Pkg: "./servers/netproxy", Args: []string{"-nosplice"}},
	"proxysink":         {Pkg: "./servers/proxysink"},
}

// binPath is where build puts a binary's package.
func binPath(dir, name string) string { return filepath.Join(dir, path.Base(binaries[name].Pkg)) }

// launchOf describes how to start server d's binary name, built into
// bin, with GOMAXPROCS procs and as many event loops where it takes
// -count.
func launchOf(d *serverDef, name, bin string, procs int, logDir string) launch {
	return launch{
		Name:   d.Label,
		Bin:    binPath(bin, name),
		Args:   binaries[name].Args,
		Loops:  d.Loops && !binaries[name].NoCount,
		Procs:  procs,
		LogDir: logDir,
	}
}

// needs lists the binaries a scenario needs from server d.
func needs(s *scenario, d *serverDef) []string {
	switch s.Kind {
	case kindHTTP:
		if s.App {
			return []string{d.App}
		}
		return []string{d.Plain}
	case kindSSEIdle, kindSSEFanout:
		return []string{d.SSE}
	case kindSSERedis:
		if d.Key == redisKey {
			return []string{d.SSE}
		}
	case kindStrict:
		return []string{d.Echo}
	case kindInstr, kindScaling:
		return []string{d.Plain}
	case kindWSEcho, kindWSIdle, kindWSFanout:
		return []string{d.WS}
	case kindTLSPlain, kindTLSHandshake, kindTLSIdle:
		return []string{d.TLS}
	case kindProxy:
		if d.Proxy != "" {
			return []string{d.Proxy, proxySink}
		}
	}
	return nil
}

// build compiles every package the run needs into dir; a failure is
// recorded for each binary name of the package, and that server is
// skipped where it needs one.
func build(ctx context.Context, o options, dir string, res *results) error {
	pkgs := map[string][]string{} // package -> binary names
	for _, s := range o.Scenarios {
		for _, d := range slices.Concat(servers, wsServers, tlsServers, proxyServers) {
			for _, n := range needs(s, d) {
				if n == "" {
					continue // not one of d's scenarios
				}
				p := binaries[n].Pkg
				if !slices.Contains(pkgs[p], n) {
					pkgs[p] = append(pkgs[p], n)
				}
			}
		}
	}
	list := make([]string, 0, len(pkgs))
	for p := range pkgs {
		list = append(list, p)
	}
	slices.Sort(list)
	log.Printf("building %s", strings.Join(list, ", "))
	for _, p := range list {
		out, err := runChild(command(ctx, "go", "build", "-o", filepath.Join(dir, path.Base(p)), p))
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			for _, n := range pkgs[p] {
				res.BuildErr[n] = strings.TrimSpace(string(out))
			}
			log.Printf("build %s failed: %s", p, out)
		}
	}
	return nil
}

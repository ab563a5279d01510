package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gnetworker/gnetworker/internal/testcert"
)

// The TLS scenarios run against tlsServers, each started with -cert and
// -key: an ECDSA P-256 certificate for 127.0.0.1 from a CA made once per
// run (internal/testcert), written as PEM into the run's temporary
// directory.

// tlsClient is the configuration of the harness's TLS clients: a fresh
// one without a ClientSessionCache, so that no handshake resumes (neither
// a TLS 1.2 ticket nor a TLS 1.3 PSK), and, as wrk, without verifying the
// certificate (tlsProbe verifies it once per server).
func tlsClient() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true}
}

// writeTLSCert makes the run's CA and its leaf, and writes the leaf's
// chain and key into dir.
func writeTLSCert(dir string) (ca *testcert.CA, certFile, keyFile string, err error) {
	if ca, err = testcert.NewCA("gnetworker benchmarks CA"); err != nil {
		return nil, "", "", err
	}
	leaf, err := ca.Leaf("gnetworker benchmarks")
	if err != nil {
		return nil, "", "", err
	}
	certFile, keyFile, err = testcert.WriteFiles(dir, "server", leaf)
	return ca, certFile, keyFile, err
}

// tlsProbe makes one handshake with the server at addr that verifies its
// certificate against ca and checks that it is ECDSA P-256, and describes
// what was negotiated: version, cipher suite, key exchange.
func tlsProbe(addr string, ca *testcert.CA) (string, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"})
	if err != nil {
		return "", err
	}
	defer closeConn(c)
	st := c.ConnectionState()
	if k, ok := st.PeerCertificates[0].PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		return "", errors.New("the certificate's key is not ECDSA P-256")
	}
	return fmt.Sprintf("%s, %s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), st.CurveID), nil
}

var errResumed = errors.New("a handshake resumed a session")

// tlsHandshakes is tls-handshake's load on srv: sc.Conns goroutines, each
// dialing, completing a full handshake, sending sc's request, reading the
// 200 and closing with a RST, over and over until d is over. Requests are
// the completed cycles; ServerCPU covers the whole run.
func tlsHandshakes(ctx context.Context, srv *server, sc *scenario, d time.Duration) (loadResult, error) {
	req := request(sc)
	t := startTally(srv.pid)
	start := t.start
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range sc.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := bufio.NewReaderSize(nil, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				switch err := handshakeOnce(srv.addr, req, br, deadline); {
				case err == nil:
					t.ok.Add(1)
				case !isTimeout(err):
					t.bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return t.result(), ctx.Err()
}

// handshakeOnce is one connection of tls-handshake.
func handshakeOnce(addr string, req []byte, br *bufio.Reader, deadline time.Time) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	tc := tls.Client(c, tlsClient())
	defer closeConn(tc)
	_ = tc.SetDeadline(deadline)
	if err := tc.Handshake(); err != nil {
		return err
	}
	if tc.ConnectionState().DidResume {
		return errResumed
	}
	if _, err := tc.Write(req); err != nil {
		return err
	}
	br.Reset(tc)
	code, err := readResponse(br)
	if err == nil && code != 200 {
		err = fmt.Errorf("answered %d", code)
	}
	return err
}

// tlsIdleProto: each client completes a handshake, sends GET / on a
// keep-alive connection and reads the 200; then it stays idle.
var tlsIdleProto = &streamProto{
	tls:     tlsClient(),
	request: request(&scenario{Method: "GET", Path: "/"}),
	started: sseProto.started,
	scan:    func(*sseClient, int, []byte, *fanState) {}, // the body, then nothing
}

func tlsBinary(d *serverDef) string { return d.TLS }

// runTLSPhase runs the TLS scenarios: tls-plaintext (gen, over https://)
// and tls-handshake interleaved over rounds against servers that stay up,
// then the tls-idle sessions, each against a fresh server process.
func runTLSPhase(ctx context.Context, o options, gen loadGen, bin, tmp string, res *results) error {
	var ms []measure
	for _, s := range o.Scenarios {
		m := measure{name: s.Name, unit: "req"}
		switch s.Kind {
		case kindTLSPlain:
			m.run = func(ctx context.Context, p *server, d time.Duration) (loadResult, error) {
				return timed(ctx, gen, p, s, d)
			}
		case kindTLSHandshake:
			m.unit = "hs"
			m.run = func(ctx context.Context, p *server, d time.Duration) (loadResult, error) {
				return tlsHandshakes(ctx, p, s, d)
			}
		default:
			continue
		}
		m.out, m.errs = map[string][]loadResult{}, map[string]string{}
		res.HTTP[s.Name], res.HTTPErr[s.Name] = m.out, m.errs
		ms = append(ms, m)
	}
	idle := has(o, kindTLSIdle)
	if len(ms) == 0 && !idle {
		return nil
	}
	ca, certFile, keyFile, err := writeTLSCert(tmp)
	if err != nil {
		return err
	}
	start := starterOf(o, bin, tmp, res, tlsBinary, "-cert", certFile, "-key", keyFile)
	if len(ms) > 0 {
		warm := &scenario{Name: "warmup", Conns: 50, Method: "GET", Path: "/", TLS: true}
		f, err := startFleet(ctx, "tls", tlsServers, start, func(ctx context.Context, p *server) error {
			_, err := gen.Run(ctx, p.addr, warm, o.Warmup)
			return err
		})
		if err != nil {
			return err
		}
		for k, p := range f.procs {
			if res.TLSParams[k], err = tlsProbe(p.addr, ca); err != nil {
				res.TLSParams[k] = "probe failed: " + err.Error()
			}
		}
		err = f.interleave(ctx, o, tlsServers, ms)
		f.stop()
		if err != nil {
			return err
		}
	}
	if !idle {
		return nil
	}
	return sessions{
		tag: "tls", rounds: min(o.Rounds, wsSessionRounds), defs: tlsServers, start: start,
		proto: tlsIdleProto, out: res.TLSIdle, errs: res.TLSIdleErr,
	}.run(ctx, o)
}

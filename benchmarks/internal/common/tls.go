package common

import (
	"crypto/tls"
	"flag"
	"log"
)

// TLSFiles are a server's -cert and -key flags: PEM files the harness
// writes once per run (internal/testcert). Given both, the server serves
// TLS on -addr instead of plain HTTP, for the tls-* scenarios.
type TLSFiles struct{ Cert, Key string }

// RegisterTLS defines -cert and -key on the default flag set; call it
// before flag.Parse.
func RegisterTLS() *TLSFiles {
	t := new(TLSFiles)
	flag.StringVar(&t.Cert, "cert", "", "TLS certificate chain, PEM (with -key: serve TLS on -addr)")
	flag.StringVar(&t.Key, "key", "", "TLS private key, PEM")
	return t
}

// Enabled reports whether TLS was asked for; it exits when only one of
// the two files was given.
func (t *TLSFiles) Enabled() bool {
	if (t.Cert == "") != (t.Key == "") {
		log.Fatal("-cert and -key go together")
	}
	return t.Cert != ""
}

// Config loads the pair into a tls.Config with crypto/tls's defaults
// otherwise, for servers that take a config rather than file names.
func (t *TLSFiles) Config() *tls.Config {
	pair, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		log.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}}
}

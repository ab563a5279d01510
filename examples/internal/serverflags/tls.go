package serverflags

import (
	"crypto/tls"
	"errors"
	"flag"

	"github.com/gnetworker/gnetworker/certfile"
	"github.com/gnetworker/gnetworker/worker"
)

// TLSFiles are the -cert and -key flags: given both, the example serves
// TLS with that certificate, reloaded when its files change (package
// certfile), so a renewed certificate needs no restart.
type TLSFiles struct{ cert, key string }

// RegisterTLS defines -cert and -key on the default flag set; call it
// before flag.Parse.
func RegisterTLS() *TLSFiles {
	t := new(TLSFiles)
	flag.StringVar(&t.cert, "cert", "", "TLS certificate chain, PEM (with -key: serve TLS)")
	flag.StringVar(&t.key, "key", "", "TLS private key, PEM")
	return t
}

// Enabled reports whether TLS was asked for.
func (t *TLSFiles) Enabled() bool { return t.cert != "" || t.key != "" }

// Apply makes w serve TLS when -cert and -key were given.
func (t *TLSFiles) Apply(w *worker.Worker) error {
	if !t.Enabled() {
		return nil
	}
	if t.cert == "" || t.key == "" {
		return errors.New("-cert and -key go together")
	}
	files, err := certfile.Load(t.cert, t.key)
	if err != nil {
		return err
	}
	w.Transport = "ssl"
	w.TLSConfig = &tls.Config{GetCertificate: files.GetCertificate}
	return nil
}

// Scheme is plain, or its TLS form ("http" becomes "https", "ws" "wss")
// when TLS was asked for: for the address an example logs.
func (t *TLSFiles) Scheme(plain string) string {
	if t.Enabled() {
		return plain + "s"
	}
	return plain
}

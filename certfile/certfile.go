// Package certfile serves a TLS certificate from PEM files and reloads it
// when the files change, without a restart: renew a certificate (certbot,
// an ACME client, a cron job) and the next handshakes get the new one
// while connections already open keep theirs.
//
//	certs, err := certfile.Load("site.crt", "site.key")
//	if err != nil { ... }
//	w, _ := worker.New("https://0.0.0.0:443")
//	w.TLSConfig = &tls.Config{GetCertificate: certs.GetCertificate}
//
// The files are looked at again at most once per CheckInterval, during a
// handshake; when their size or modification time changed they are
// reloaded. A pair that does not load (a key not yet written beside its
// new certificate, say) leaves the previous certificate in use and is
// tried again at the next check. For several names (SNI), load one Files
// per certificate and choose among them by hello.ServerName.
package certfile

import (
	"crypto/tls"
	"os"
	"sync"
	"time"
)

// DefaultCheckInterval is how often the files are looked at.
const DefaultCheckInterval = time.Second

// Files is a certificate kept in step with its files. It is safe for
// concurrent use.
type Files struct {
	certFile, keyFile string
	// CheckInterval bounds how often the files are looked at (default
	// one second). Set it before the first handshake.
	CheckInterval time.Duration

	mu        sync.Mutex
	cert      *tls.Certificate
	stamp     [2]fileStamp
	checked   time.Time
	lastError error
}

// fileStamp is what tells that a file changed.
type fileStamp struct {
	size    int64
	modTime time.Time
}

// Load reads the certificate and key (PEM) and returns them kept in step
// with their files.
func Load(certFile, keyFile string) (*Files, error) {
	f := &Files{certFile: certFile, keyFile: keyFile}
	if err := f.reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// GetCertificate returns the current certificate, reloading it first when
// its files changed (tls.Config.GetCertificate).
func (f *Files) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	every := f.CheckInterval
	if every <= 0 {
		every = DefaultCheckInterval
	}
	if now := time.Now(); now.Sub(f.checked) >= every {
		f.checked = now
		if st, err := stamps(f.certFile, f.keyFile); err == nil && st != f.stamp {
			f.lastError = f.reloadLocked()
		}
	}
	return f.cert, nil
}

// Err is the error of the last reload that failed since the last one that
// worked, or nil.
func (f *Files) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastError
}

func (f *Files) reload() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checked = time.Now()
	return f.reloadLocked()
}

// reloadLocked loads the pair, keeping the current certificate if it
// fails.
func (f *Files) reloadLocked() error {
	st, err := stamps(f.certFile, f.keyFile)
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
	if err != nil {
		return err
	}
	f.cert, f.stamp = &cert, st
	return nil
}

func stamps(certFile, keyFile string) ([2]fileStamp, error) {
	var st [2]fileStamp
	for i, name := range []string{certFile, keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return st, err
		}
		st[i] = fileStamp{fi.Size(), fi.ModTime()}
	}
	return st, nil
}

package certfile_test

import (
	"crypto/tls"
	"fmt"
	"os"

	"github.com/gnetworker/gnetworker/certfile"
	"github.com/gnetworker/gnetworker/internal/testcert"
	"github.com/gnetworker/gnetworker/worker"
)

// An HTTPS worker whose certificate is reloaded when its files change.
func ExampleLoad() {
	// The example makes its own throwaway certificate files; a server
	// names the ones its ACME client or its operator renews.
	dir, _ := os.MkdirTemp("", "certfile")
	defer os.RemoveAll(dir)
	ca, _ := testcert.NewCA("example CA")
	leaf, _ := ca.Leaf("example.test")
	certFile, keyFile, _ := testcert.WriteFiles(dir, "site", leaf)

	certs, err := certfile.Load(certFile, keyFile)
	if err != nil {
		fmt.Println(err)
		return
	}
	w, _ := worker.New("https://127.0.0.1:0")
	w.TLSConfig = &tls.Config{GetCertificate: certs.GetCertificate}

	c, _ := certs.GetCertificate(&tls.ClientHelloInfo{ServerName: "example.test"})
	fmt.Println(c.Leaf.Subject.CommonName, w.Transport)
	// Output: example.test ssl
}

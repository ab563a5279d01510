package tlstransport

import (
	"crypto/tls"
	"errors"
	"slices"
)

// ErrNoCertificate is returned by ServerConfig for a configuration that
// can give no certificate.
var ErrNoCertificate = errors.New("tlstransport: the TLS config has no certificate (Certificates, GetCertificate or GetConfigForClient)")

// ServerConfig returns the configuration a worker's connections share: a
// clone of cfg with alpn offered (http/1.1 for HTTP and WebSocket) when cfg
// names no protocols, and never h2, which this server does not speak.
// Configurations chosen per client (GetConfigForClient) are treated alike.
func ServerConfig(cfg *tls.Config, alpn []string) (*tls.Config, error) {
	if cfg == nil || len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return nil, ErrNoCertificate
	}
	c := cfg.Clone()
	fixALPN(c, alpn)
	if get := c.GetConfigForClient; get != nil {
		c.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			cc, err := get(hello)
			if cc == nil || err != nil {
				return cc, err
			}
			cc = cc.Clone()
			fixALPN(cc, alpn)
			return cc, nil
		}
	}
	return c, nil
}

// fixALPN drops h2 from c's protocols, and offers alpn when it names none.
func fixALPN(c *tls.Config, alpn []string) {
	c.NextProtos = slices.DeleteFunc(slices.Clone(c.NextProtos), func(p string) bool { return p == "h2" })
	if len(c.NextProtos) == 0 {
		c.NextProtos = slices.Clone(alpn)
	}
}

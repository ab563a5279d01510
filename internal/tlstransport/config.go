package tlstransport

import (
	"crypto/tls"
	"errors"
	"net/netip"
	"slices"
	"strings"
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

// ErrNoServerName is returned by ClientConfig for a configuration that
// has no name to verify the server's certificate against.
var ErrNoServerName = errors.New("tlstransport: no server name to verify the server's certificate against (a host, ServerName or InsecureSkipVerify)")

// ClientConfig returns the configuration of an outbound connection to
// host (a DNS name or an IP literal, without a port): a clone of cfg, or
// of a default configuration when cfg is nil, which verifies the server
// against the system's roots. Unless cfg names them, it sets ServerName to
// host, which crypto/tls both sends as SNI and verifies the certificate
// against (an IP literal is sent as no SNI and verified against the
// certificate's IP addresses; brackets and a zone are dropped), offers
// alpn, and requires TLS 1.2 at least. Like ServerConfig it never offers
// h2, which the framework does not speak. ErrNoServerName: neither host
// nor cfg.ServerName names the server and cfg.InsecureSkipVerify is not
// set, so no certificate could be verified.
//
// cfg is not modified; the result may be shared by any number of
// connections.
func ClientConfig(cfg *tls.Config, host string, alpn []string) (*tls.Config, error) {
	c := &tls.Config{}
	if cfg != nil {
		c = cfg.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = serverName(host)
	}
	if c.ServerName == "" && !c.InsecureSkipVerify {
		return nil, ErrNoServerName
	}
	fixALPN(c, alpn)
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c, nil
}

// serverName is the name crypto/tls is to verify for host: an IP literal
// without its brackets or zone, which x509 would not match.
func serverName(host string) string {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.WithZone("").String()
	}
	return host
}

// fixALPN drops h2 from c's protocols, and offers alpn when it names none.
func fixALPN(c *tls.Config, alpn []string) {
	c.NextProtos = slices.DeleteFunc(slices.Clone(c.NextProtos), func(p string) bool { return p == "h2" })
	if len(c.NextProtos) == 0 {
		c.NextProtos = slices.Clone(alpn)
	}
}

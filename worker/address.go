package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A socket name is "scheme://host:port", as workerman's:
//
//	http://0.0.0.0:8080     every IPv4 address
//	http://[::1]:8080       an IPv6 address
//	http://localhost:8080   a host name, resolved when the worker starts
//	unix:///run/app.sock    a unix socket, raw bytes (workerman's unix://)
//	http+unix:///run/a.sock a protocol over a unix socket

// listenAddr is where a worker listens.
type listenAddr struct {
	network string // "tcp" or "unix"
	address string // host:port, or the socket's path
}

// parseSocketName splits a socket name into the protocol's scheme and the
// address to listen on.
func parseSocketName(name string) (scheme string, la listenAddr, err error) {
	bad := func(why string, args ...any) error {
		return fmt.Errorf("%w %q: "+why, append([]any{ErrBadAddress, name}, args...)...)
	}
	u, perr := url.Parse(name)
	if perr != nil || u.Scheme == "" {
		return "", la, bad("want scheme://host:port or unix:///path")
	}
	scheme = strings.ToLower(u.Scheme)
	if scheme == "unix" || strings.HasSuffix(scheme, "+unix") {
		if u.Host != "" || u.Path == "" || u.RawQuery != "" || u.User != nil {
			return "", la, bad("want unix:///absolute/path.sock")
		}
		if scheme == "unix" {
			scheme = "tcp" // raw bytes, as workerman's unix:// transport
		} else {
			scheme = strings.TrimSuffix(scheme, "+unix")
		}
		return scheme, listenAddr{"unix", u.Path}, nil
	}
	if u.Host == "" {
		return "", la, bad("want scheme://host:port")
	}
	if u.Path != "" || u.RawQuery != "" || u.User != nil {
		return "", la, bad("want scheme://host:port with nothing after it")
	}
	host, port, serr := net.SplitHostPort(u.Host)
	if serr != nil {
		return "", la, bad("%v", serr)
	}
	p, aerr := strconv.Atoi(port)
	switch {
	case aerr != nil:
		return "", la, bad("port %q is not a number", port)
	case p < 0 || p > 65535:
		return "", la, bad("port %d out of range 0-65535", p)
	}
	if host != "" && net.ParseIP(host) == nil && !validHostName(host) {
		return "", la, bad("host %q is neither an IP address nor a host name", host)
	}
	return scheme, listenAddr{"tcp", net.JoinHostPort(host, port)}, nil
}

// validHostName checks the letters-digits-hyphens-dots shape of a DNS name.
func validHostName(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// resolve turns a host name into an address to bind, preferring IPv4 as
// workerman's PHP streams do.
func (la *listenAddr) resolve() error {
	if la.network != "tcp" {
		return nil
	}
	host, port, _ := net.SplitHostPort(la.address)
	if host == "" || net.ParseIP(host) != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("%w: cannot resolve %q: %v", ErrBadAddress, host, err)
	}
	pick := addrs[0].IP
	for _, a := range addrs {
		if a.IP.To4() != nil {
			pick = a.IP
			break
		}
	}
	la.address = net.JoinHostPort(pick.String(), port)
	return nil
}

// url is the address as gnet takes it.
func (la listenAddr) url() string { return la.network + "://" + la.address }

// claimUnixSocket makes way for a unix socket at path: a socket file left
// by a process that is gone is removed; one with a live listener fails,
// as a busy port does.
func claimUnixSocket(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("listen unix %s: the path exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		_ = c.Close()
		return fmt.Errorf("listen unix %s: bind: address already in use", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		// Not plainly "nobody listens" (a live server with a full
		// backlog says EAGAIN): leave the socket alone.
		return fmt.Errorf("listen unix %s: the socket exists and could not be checked: %w", path, err)
	}
	return os.Remove(path)
}

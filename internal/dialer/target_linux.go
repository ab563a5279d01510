package dialer

import (
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"
)

// target is a Dial address taken apart.
type target struct {
	network string     // "tcp", "tcp4", "tcp6" or "unix", as given to Dial
	family  int        // AF_INET or AF_INET6 for "tcp4"/"tcp6", AF_UNSPEC for "tcp", AF_UNIX
	host    string     // a name to look up; "" when ip or path says where to go
	ip      netip.Addr // an IP literal (unmapped), valid when host is ""
	port    int
	path    string // the socket path of "unix"
}

// peer is one address to connect to.
type peer struct {
	family int
	sa     unix.Sockaddr
	addr   net.Addr // *net.TCPAddr or *net.UnixAddr, for errors
}

// parseTarget takes a Dial address apart. Its errors are the Err of the
// *net.OpError done gets: net.UnknownNetworkError or *net.AddrError, as
// net.Dial reports them.
func parseTarget(network, address string) (target, error) {
	t := target{network: network}
	switch network {
	case "tcp":
		t.family = unix.AF_UNSPEC
	case "tcp4":
		t.family = unix.AF_INET
	case "tcp6":
		t.family = unix.AF_INET6
	case "unix":
		if address == "" {
			return t, &net.AddrError{Err: "missing address"}
		}
		t.family, t.path = unix.AF_UNIX, address
		return t, nil
	default:
		return t, net.UnknownNetworkError(network)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return t, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return t, &net.AddrError{Err: "invalid port", Addr: address}
	}
	t.port = int(p)
	switch {
	case host == "" && t.family == unix.AF_INET6:
		t.ip = netip.IPv6Loopback()
	case host == "":
		t.ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	default:
		if ip, err := netip.ParseAddr(host); err == nil {
			t.ip = ip.Unmap()
		} else {
			t.host = host
		}
	}
	return t, nil
}

// peers turns the target's path or literal, or the addresses its name
// resolved to (IPv4 first, see resolver), into the peers to try in
// order. It fails with a *net.AddrError when no address suits the
// network ("tcp6" and only IPv4 addresses, say).
func (t *target) peers(ips []netip.Addr) ([]peer, error) {
	if t.family == unix.AF_UNIX {
		return []peer{{
			family: unix.AF_UNIX,
			sa:     &unix.SockaddrUnix{Name: t.path},
			addr:   &net.UnixAddr{Name: t.path, Net: "unix"},
		}}, nil
	}
	if t.host == "" {
		ips = []netip.Addr{t.ip}
	}
	out := make([]peer, 0, len(ips))
	for _, ip := range ips {
		if p, ok := t.peer(ip); ok {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		name := t.host
		if name == "" {
			name = t.ip.String()
		}
		return nil, &net.AddrError{Err: "no suitable address found", Addr: name}
	}
	return out, nil
}

// peer makes the peer for ip, or reports false if ip's family does not
// suit the network.
func (t *target) peer(ip netip.Addr) (peer, bool) {
	ip = ip.Unmap()
	addr := net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(t.port)))
	switch {
	case ip.Is4() && t.family != unix.AF_INET6:
		return peer{family: unix.AF_INET, sa: &unix.SockaddrInet4{Port: t.port, Addr: ip.As4()}, addr: addr}, true
	case ip.Is6() && t.family != unix.AF_INET:
		sa := &unix.SockaddrInet6{Port: t.port, Addr: ip.As16(), ZoneId: zoneID(ip.Zone())}
		return peer{family: unix.AF_INET6, sa: sa, addr: addr}, true
	}
	return peer{}, false
}

// zoneID is the interface index an IPv6 zone names ("eth0" or "2"), or 0.
func zoneID(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n)
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

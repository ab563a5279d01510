package connection

import (
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// readLocalAddr asks the kernel for the connection's local address: gnet
// gives accepted connections the listener's address, which says port 0
// when the worker was started on port 0 and 0.0.0.0 for a wildcard
// listener. It is stored inline, so it costs no allocation.
func (c *TcpConnection) readLocalAddr() {
	sa, err := unix.Getsockname(c.gc.Fd())
	if err != nil {
		return
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		copy(c.local[:], a.Addr[:])
		c.localLen, c.localPort = 4, uint16(a.Port)
	case *unix.SockaddrInet6:
		copy(c.local[:], a.Addr[:])
		c.localLen, c.localPort = 16, uint16(a.Port)
	}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func addrIP(a net.Addr) string {
	switch v := a.(type) {
	case *net.TCPAddr:
		return v.IP.String()
	case nil:
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return ""
	}
	return host
}

func addrPort(a net.Addr) int {
	switch v := a.(type) {
	case *net.TCPAddr:
		return v.Port
	case nil:
		return 0
	}
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(port)
	return n
}

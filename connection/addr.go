package connection

import (
	"net"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// readLocalAddr asks the kernel for the connection's local address: gnet
// gives accepted connections the listener's address, which says port 0
// when the worker was started on port 0 and 0.0.0.0 for a wildcard
// listener. It is read into a stack buffer and stored inline, so it costs
// no allocation (unix.Getsockname allocates a Sockaddr every call).
func (c *TcpConnection) readLocalAddr() {
	var rsa unix.RawSockaddrAny
	n := uint32(unsafe.Sizeof(rsa))
	_, _, errno := unix.RawSyscall(unix.SYS_GETSOCKNAME, uintptr(c.gc.Fd()),
		uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n)))
	if errno != 0 {
		return
	}
	switch rsa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		copy(c.local[:], a.Addr[:])
		c.localLen, c.localPort = 4, networkPort(&a.Port)
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		copy(c.local[:], a.Addr[:])
		c.localLen, c.localPort = 16, networkPort(&a.Port)
	}
}

// networkPort reads a port stored in network byte order.
func networkPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
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

package worker

import (
	"golang.org/x/sys/unix"
)

// steerSupported: a reload can hand a port over on this system.
const steerSupported = true

// cBPF's ancillary load of a random number (linux/filter.h).
const (
	skfAdOff    = 0xFFFFF000 // SKF_AD_OFF, -0x1000
	skfAdRandom = 56         // SKF_AD_RANDOM
)

// steerNewConnections attaches a program to the SO_REUSEPORT group of the
// listener fd that sends every new connection to one of the group's last
// count sockets (this process's, which joined the group after the first
// skip, the old process's). When the old sockets close and the group
// compacts, an index past its end falls back to the kernel's hash.
func steerNewConnections(fd, skip, count int) error {
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: skfAdOff + skfAdRandom},
		{Code: unix.BPF_ALU | unix.BPF_MOD | unix.BPF_K, K: uint32(count)},
		{Code: unix.BPF_ALU | unix.BPF_ADD | unix.BPF_K, K: uint32(skip)},
		{Code: unix.BPF_RET | unix.BPF_A},
	}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_CBPF,
		&unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]})
}

func closeFD(fd int) error { return unix.Close(fd) }

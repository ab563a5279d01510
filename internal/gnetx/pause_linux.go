//go:build linux && !poll_opt

package gnetx

import (
	"os"
	"reflect"
	"strconv"
	"sync"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// pollerFDs caches each event loop's epoll descriptor (gnet.EventLoop →
// int, or -1 when it cannot be found).
var pollerFDs sync.Map

// PollerFD returns the epoll descriptor of gnet's event loop el, read
// from gnet's unexported eventloop.poller.fd.
func PollerFD(el gnet.EventLoop) (int, error) {
	if fd, ok := pollerFDs.Load(el); ok {
		if fd.(int) < 0 {
			return -1, ErrUnsupported
		}
		return fd.(int), nil
	}
	fd := findPollerFD(el)
	pollerFDs.Store(el, fd)
	if fd < 0 {
		return -1, ErrUnsupported
	}
	return fd, nil
}

func findPollerFD(el gnet.EventLoop) int {
	v := reflect.ValueOf(el)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return -1
	}
	p := v.Elem().FieldByName("poller")
	if !p.IsValid() || p.Kind() != reflect.Pointer || p.IsNil() || p.Elem().Kind() != reflect.Struct {
		return -1
	}
	f := p.Elem().FieldByName("fd")
	if !f.IsValid() || f.Kind() != reflect.Int {
		return -1
	}
	fd := int(f.Int())
	// It must be an epoll descriptor, or this is not the field we think.
	if link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); err != nil || link != "anon_inode:[eventpoll]" {
		return -1
	}
	return fd
}

// Supported reports whether read interest can be changed on el's
// connections.
func Supported(el gnet.EventLoop) bool {
	_, err := PollerFD(el)
	return err == nil
}

// SetReading turns gc's read interest on or off. Write interest is kept
// while gnet holds output for the socket, so a paused connection still
// drains. It must run on gc's event loop. Errors (EPOLLHUP and EPOLLERR
// are still reported while paused, and gnet closes on them) are the
// poller's.
func SetReading(gc gnet.Conn, on bool) error {
	epfd, err := PollerFD(gc.EventLoop())
	if err != nil {
		return err
	}
	var ev uint32
	if on {
		ev = unix.EPOLLIN | unix.EPOLLPRI // gnet's ReadEvents
	}
	if gc.OutboundBuffered() > 0 {
		ev |= unix.EPOLLOUT
	}
	fd := gc.Fd()
	return os.NewSyscallError("epoll_ctl mod",
		unix.EpollCtl(epfd, unix.EPOLL_CTL_MOD, fd, &unix.EpollEvent{Fd: int32(fd), Events: ev}))
}

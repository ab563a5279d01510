//go:build !linux

package worker

import "errors"

// steerSupported: a reload can hand a port over on this system.
const steerSupported = false

func steerNewConnections(fd, skip, count int) error {
	return errors.New("worker: reload needs Linux (SO_REUSEPORT groups with a steering program)")
}

func closeFD(fd int) error { return nil }

package dialer

import (
	"errors"
	"time"
)

// ErrTimeout is what a Dial's error wraps when its timeout passed before
// it connected: errors.Is(err, ErrTimeout). The error itself is a
// *net.OpError whose text says how long it waited ("dial tcp
// 10.255.255.1:80: connect timed out after 200ms"), and whose Timeout
// method reports true. A timeout during the name lookup is a
// *net.DNSError inside that *net.OpError ("dial tcp: lookup example.com:
// timed out after 200ms").
var ErrTimeout = errors.New("dialer: timed out")

// ErrResolverBusy is what a Dial's error wraps when the resolver's queue
// was full and the name was not looked up: errors.Is(err,
// ErrResolverBusy). The error is a temporary *net.DNSError ("dial tcp:
// lookup example.com: resolver busy") inside a *net.OpError.
var ErrResolverBusy = errors.New("dialer: resolver busy")

// DefaultTimeout bounds a Dial whose timeout is zero or negative. Ten
// seconds cover a connect whose SYN is lost up to three times (Linux
// retransmits after 1, 3 and 7 s) and still report a dead peer long before
// the kernel's own limit of about two minutes.
const DefaultTimeout = 10 * time.Second

// timeoutError is the Err of a timed-out Dial's *net.OpError (or the
// UnwrapErr of its *net.DNSError, when the lookup had not finished).
type timeoutError struct {
	op    string // "connect", or "" when still looking the name up
	after time.Duration
}

func (e *timeoutError) Error() string {
	if e.op == "" {
		return "timed out after " + e.after.String()
	}
	return e.op + " timed out after " + e.after.String()
}

// Unwrap makes errors.Is(err, ErrTimeout) hold.
func (e *timeoutError) Unwrap() error { return ErrTimeout }

// Timeout reports true, so that net.Error checks see a timeout.
func (e *timeoutError) Timeout() bool { return true }

// Temporary reports true, as net's own timeouts do.
func (e *timeoutError) Temporary() bool { return true }

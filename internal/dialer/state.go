package dialer

// The states of an attempt. It leaves pending once, by one
// compare-and-swap; whoever makes it owns what follows (closing the
// socket, freeing the slot, running done).
const (
	pending   int32 = iota // connecting, or looking the name up
	delivered              // a result won: done runs with it
	timedOut               // the timeout won: done runs with ErrTimeout
	cancelled              // cancel won: done never runs
)

package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/internal/fdbudget"
	"github.com/gnetworker/gnetworker/internal/glue"
)

// Start binds the worker's address and serves it in the background. It
// returns once OnWorkerStart has run and the worker accepts connections, or
// with an error (a busy port, a bad OnMessage). Stop ends it.
func (w *Worker) Start() error {
	if !w.started.CompareAndSwap(false, true) {
		return ErrAlreadyStarted
	}
	w.startedAt = time.Now()
	if err := w.prepare(); err != nil {
		w.started.Store(false)
		forget(w)
		return err
	}
	// Each loop holds descriptors of its own (a listener, its poller and
	// its wake-up descriptor, the probe's two ends): count them, or with
	// many loops the reserve would not cover them and accept would meet
	// EMFILE.
	fdbudget.Take(w.Count * fdsPerLoop)
	w.heldFDs = w.Count * fdsPerLoop
	perLoop := (w.ReusePort || perLoopAccept) && w.listen.network == "tcp"
	if err := w.claimAddress(perLoop); err != nil {
		w.releaseFDs()
		w.started.Store(false)
		forget(w)
		return err
	}
	booted := make(chan struct{})
	h := &eventHandler{w: w, booted: booted, running: make(chan struct{})}
	opts := []gnet.Option{
		gnet.WithNumEventLoop(w.Count),
		gnet.WithReusePort(perLoop),
		// A restart must not wait a minute for the connections the last
		// run closed itself (TIME_WAIT).
		gnet.WithReuseAddr(true),
		// Probes find the loops (loops.go) by landing on the least busy.
		gnet.WithLoadBalancing(gnet.LeastConnections),
		gnet.WithTicker(true), // its first tick says the loops run (loops.go)
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogger(gnetLogger{w.logger()}),
	}
	runErr := make(chan error, 1)
	go func() {
		err := gnet.Run(h, w.listen.url(), opts...)
		w.runErr = err
		runErr <- err
		if !w.stopping.Load() {
			select {
			case <-booted:
				// The engine stopped by itself after it had started: the
				// process must not live on without its listener.
				w.logger().Error("worker: engine stopped unasked", "worker", w.Name, "error", err)
				w.died = fmt.Errorf("worker %q (%s): engine stopped: %v", w.Name, w.socketName, err)
			default:
			}
		}
		w.releaseFDs()
		close(w.runDone)
	}()
	select {
	case <-booted:
		select {
		case <-h.running:
		case <-w.runDone:
			// The engine failed while starting its loops (a loop's
			// listener could not bind).
			forget(w)
			if w.runErr != nil {
				return w.runErr
			}
			return errors.New("worker: engine stopped while starting")
		}
		if err := w.probeLoops(); err != nil {
			w.logger().Warn("worker: event loops not all known yet; Loop executors wait for a connection",
				"worker", w.Name, "error", err)
		}
		w.logger().Info("worker: started", "worker", w.Name, "listen", w.status().Listen,
			"transport", w.Transport, "loops", w.Count, "pid", os.Getpid())
		return nil
	case err := <-runErr:
		// The engine stopped before Start saw it run: it failed to bind,
		// or (when booted and runErr were both ready and select took this
		// one) it died right after OnWorkerStart. Either way the error
		// names the worker.
		if err == nil {
			err = errors.New("engine stopped before it started")
		}
		forget(w)
		return fmt.Errorf("worker %q (%s): %w", w.Name, w.socketName, err)
	}
}

// fdsPerLoop is what one event loop holds outside the descriptor budget:
// its listener, epoll and eventfd descriptors, the probe's two ends, and
// one to spare.
const fdsPerLoop = 6

// releaseFDs gives back the loops' descriptors counted at Start.
func (w *Worker) releaseFDs() {
	if n := w.heldFDs; n != 0 {
		w.heldFDs = 0
		fdbudget.Return(n)
	}
}

// perLoopAccept makes every event loop accept on its own listener (bound
// with SO_REUSEPORT) where the kernel balances connections between such
// listeners. Then a loop runs OnOpen for each connection as soon as it
// has accepted it, so the descriptor budget is checked for every accept.
// With one acceptor for all loops, gnet accepts the whole backlog before
// the loops see a single connection, and a burst can spend the process's
// descriptors before any is counted: gnet's acceptor then dies on EMFILE.
var perLoopAccept = runtime.GOOS == "linux"

// claimAddress readies the worker's address for its listeners: a host
// name is resolved, a stale unix socket file removed, and with perLoop the
// port is checked and pinned (pinPort).
func (w *Worker) claimAddress(perLoop bool) error {
	if err := w.listen.resolve(); err != nil {
		return fmt.Errorf("worker %q: %w", w.Name, err)
	}
	if w.listen.network == "unix" {
		if inReload() {
			// The old process keeps listening on the inode it has; the
			// path is the new process's now.
			_ = os.Remove(w.listen.address)
			return nil
		}
		if err := claimUnixSocket(w.listen.address); err != nil {
			return fmt.Errorf("worker %q: %w", w.Name, err)
		}
		return nil
	}
	if addr, ok := w.reloadAddress(); ok && w.listen.network == "tcp" {
		w.listen.address = addr // a reload shares the old process's port
		return nil
	}
	if perLoop {
		return w.pinPort()
	}
	return nil
}

// pinPort checks that no one listens on the worker's address and turns
// port 0 into one free port, before the event loops bind their listeners
// with SO_REUSEPORT: that option would let them share a port with a
// server already there (a second instance started by mistake) rather
// than fail, and would give each loop a different port for port 0. With
// ReusePort set, sharing is what the user asked for, and only port 0 is
// resolved.
func (w *Worker) pinPort() error {
	host, port, _ := net.SplitHostPort(w.listen.address)
	if w.ReusePort && port != "0" {
		return nil
	}
	ln, err := net.Listen("tcp", w.listen.address)
	if err != nil {
		return fmt.Errorf("worker %q: %w", w.Name, err)
	}
	if port == "0" {
		w.listen.address = net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return ln.Close()
}

// Stop stops the worker gracefully: new connections are refused, and every
// open connection is closed at its protocol's next boundary, once its
// pending output is written (connection.CloseWhenIdle: an HTTP request
// still arriving is finished and answered, idle connections close at
// once, streams end cleanly). Those still open after StopTimeout are
// closed anyway, each with its OnClose. Then OnWorkerStop runs. It blocks until all that is done. Do not call it from
// a callback of this worker's connections: call StopAll there.
func (w *Worker) Stop() error {
	if !w.started.Load() {
		return nil
	}
	w.stopOnce.Do(w.stop)
	<-w.runDone
	return nil
}

func (w *Worker) stop() {
	w.stopping.Store(true)
	w.mu.Lock()
	var drained chan struct{}
	if len(w.conns) > 0 {
		drained = make(chan struct{})
		w.drained = drained
	}
	conns := make([]*connection.TcpConnection, 0, len(w.conns))
	for c := range w.conns {
		conns = append(conns, c)
	}
	w.mu.Unlock()
	glue.Connections.StopOutbound(w.group)
	for _, c := range conns {
		c.CloseWhenIdle()
	}
	if drained != nil {
		select {
		case <-drained:
		case <-time.After(w.StopTimeout):
		}
	}
	w.closeProbes()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keep := w.keepUnixPath()
	_ = w.engine.Stop(ctx) // closes what is left, each with OnClose
	<-w.runDone
	keep()
	if w.listen.network == "unix" && !w.handedOver.Load() {
		_ = os.Remove(w.listen.address)
	}
	w.callLifecycle("OnWorkerStop", w.OnWorkerStop)
	w.logger().Info("worker: stopped", "worker", w.Name, "pid", os.Getpid())
	forget(w)
}

// forget removes a worker that stopped or failed to start from the set
// RunAll and StopAll act on.
func forget(w *Worker) {
	allMu.Lock()
	defer allMu.Unlock()
	for i, x := range allWorkers {
		if x == w {
			allWorkers = append(allWorkers[:i], allWorkers[i+1:]...)
			return
		}
	}
}

var (
	runMu   sync.Mutex
	stopReq chan struct{}
)

// watchDeaths reports on the returned channel the first of ws whose engine
// stops by itself; its goroutines end once every worker has stopped.
func watchDeaths(ws []*Worker) <-chan error {
	deaths := make(chan error, len(ws))
	for _, w := range ws {
		go func() {
			<-w.runDone
			if w.died != nil {
				deaths <- w.died
			}
		}()
	}
	return deaths
}

// runAll starts every worker created with New and not started yet, then
// blocks until SIGINT, SIGTERM or StopAll, and stops them all gracefully.
// It returns the first start error, after stopping what had started, or,
// should a worker's event engine stop by itself, that error once the
// other workers are stopped: a server must exit rather than live on
// without its listener. ready, when not nil, runs once every worker has
// started; an error from it stops them all and is returned.
func runAll(ready func() error) error {
	// Catch the signals before any worker starts, so that one arriving
	// while OnWorkerStart runs stops the workers instead of the process.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	allMu.Lock()
	workers := append([]*Worker(nil), allWorkers...)
	allMu.Unlock()
	var started []*Worker
	for _, w := range workers {
		if w.started.Load() {
			continue
		}
		if err := w.Start(); err != nil {
			stopWorkers(started)
			return err
		}
		started = append(started, w)
	}
	if ready != nil {
		if err := ready(); err != nil {
			stopWorkers(started)
			return err
		}
	}
	runMu.Lock()
	if stopReq == nil {
		stopReq = make(chan struct{})
	}
	req := stopReq
	runMu.Unlock()
	var died error
	select {
	case <-sig:
	case <-req:
	case died = <-watchDeaths(started):
	}
	stopWorkers(started)
	runMu.Lock()
	if stopReq == req {
		stopReq = nil // a later RunAll waits afresh
	}
	runMu.Unlock()
	return died
}

// StopAll stops every running worker gracefully and makes RunAll return.
// It is safe anywhere, callbacks included: the work happens on its own
// goroutine, and the returned channel closes when it is done.
func StopAll() <-chan struct{} {
	runMu.Lock()
	if stopReq == nil {
		stopReq = make(chan struct{})
	}
	select {
	case <-stopReq:
	default:
		close(stopReq)
	}
	runMu.Unlock()
	allMu.Lock()
	workers := append([]*Worker(nil), allWorkers...)
	allMu.Unlock()
	done := make(chan struct{})
	go func() {
		stopWorkers(workers)
		close(done)
	}()
	return done
}

func stopWorkers(ws []*Worker) {
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() { _ = w.Stop() })
	}
	wg.Wait()
}

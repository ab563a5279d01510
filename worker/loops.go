package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/timer"
)

// A worker's event loops are gnet's, and gnet names none of them before a
// connection arrives on it. So once the engine runs, the worker enrolls
// one loopback connection of its own (a probe) on each loop, and keeps
// it open: the probe's OnOpen tells which loop is which. Functions and
// timers bound to a loop before that wait in its queue.

// loopProbe marks a probe connection (its gnet context).
type loopProbe struct{ keep net.Conn } // the other end, closed on Stop

// loopExec runs functions on one of the worker's event loops.
type loopExec struct {
	w       *Worker
	mu      sync.Mutex
	el      gnet.EventLoop // nil until the loop is known
	pending []func()
}

// Loop returns an executor of the worker's event loop i (0 <= i < Count,
// the connections' WorkerID), or nil for another i or before Start. Its
// Execute runs a function on that loop, the goroutine that loop's
// connection callbacks run on; timer.AddOn(w.Loop(0), ...) runs a timer
// there, as workerman's timers run on the worker's event loop. It may be
// used from OnWorkerStart on: what is queued before the loop is known
// runs once it is.
func (w *Worker) Loop(i int) timer.Executor {
	if i < 0 || i >= len(w.loopExecs) {
		return nil
	}
	return w.loopExecs[i]
}

// Execute queues fn on the loop; it does not wait.
func (l *loopExec) Execute(fn func()) error {
	l.mu.Lock()
	el := l.el
	if el == nil {
		l.pending = append(l.pending, fn)
		l.mu.Unlock()
		return nil
	}
	l.mu.Unlock()
	return el.Execute(context.Background(), l.task(fn))
}

// task wraps fn for the loop, recovering a panic (gnet would die of it).
func (l *loopExec) task(fn func()) gnet.Runnable {
	return gnet.RunnableFunc(func(context.Context) error {
		defer func() {
			if v := recover(); v != nil {
				l.w.logger().Error("worker: recovered panic", "worker", l.w.Name, "callback", "Loop.Execute",
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			}
		}()
		fn()
		return nil
	})
}

// bind records the loop and queues what waited for it, in order, before
// any later Execute can (it waits for the lock).
func (l *loopExec) bind(el gnet.EventLoop) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, fn := range l.pending {
		_ = el.Execute(context.Background(), l.task(fn))
	}
	l.el, l.pending = el, nil
}

// bound reports whether the loop is known.
func (l *loopExec) bound() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.el != nil
}

// noteLoop binds the executor of loop el, numbered id, on its first
// connection (a probe or not).
func (w *Worker) noteLoop(id int, el gnet.EventLoop) {
	if id < len(w.loopExecs) && !w.loopExecs[id].bound() {
		w.loopExecs[id].bind(el)
	}
}

// allBound reports whether every loop is known.
func (w *Worker) allBound() bool {
	for _, l := range w.loopExecs {
		if !l.bound() {
			return false
		}
	}
	return true
}

// probeLoops enrolls probe connections, one after another, until every
// loop is known: with least-connections balancing each lands on a loop
// with the fewest connections, which a loop no connection reached has.
func (w *Worker) probeLoops() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	for try := 0; try < 2*w.Count && !w.allBound(); try++ {
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		server, err := ln.Accept()
		if err != nil {
			client.Close()
			return err
		}
		probe := &loopProbe{keep: server}
		ctx := gnet.NewNetConnContext(gnet.NewContext(context.Background(), probe), client)
		res, err := w.engine.Register(ctx)
		if err != nil {
			client.Close()
			server.Close()
			return err
		}
		var r gnet.RegisteredResult
		select {
		case r = <-res: // gnet closes client once it holds its duplicate
		case <-w.runDone:
			// The engine stopped meanwhile, and may never answer.
			client.Close()
			server.Close()
			return errors.New("worker: engine stopped")
		}
		if r.Err != nil {
			server.Close()
			return r.Err
		}
		w.mu.Lock()
		w.probes = append(w.probes, probe)
		w.mu.Unlock()
	}
	return nil
}

// closeProbes closes the probes' far ends (gnet closes its side).
func (w *Worker) closeProbes() {
	w.mu.Lock()
	probes := w.probes
	w.probes = nil
	w.mu.Unlock()
	for _, p := range probes {
		_ = p.keep.Close()
	}
}

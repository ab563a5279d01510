package worker

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Zero-downtime reload, on Linux. Every event loop of a worker listens on
// its own SO_REUSEPORT socket, so a new process can join the same port
// beside the old one. `reload` asks the running process to start the
// program again (its binary as it is on disk now, so a deploy replaces
// the file and reloads). The new process binds into the same reuseport
// groups and, once it listens, attaches a small classic-BPF program to
// each group that sends every new connection to its own sockets. The old
// process then stops getting new connections without closing a listener
// (gnet cannot close one and keep serving), finishes what it has and
// exits:
//
//   - at once, every connection is asked to end at its next boundary:
//     an HTTP request being received or answered is answered with
//     "Connection: close", streams end (SSE clients reconnect, to the new
//     process, with Last-Event-ID), and an idle keep-alive connection
//     answers its next request that way;
//   - after ReloadIdleGrace, connections still idle are closed;
//   - then the old process stops as on `stop` (`reload -g`: `stop -g`),
//     and OnWorkerStop runs.
//
// OnWorkerReload runs in the old process when the reload begins. Should
// the new process fail to start (a broken binary, a bad config), the old
// one keeps serving and the command reports the error. Connections
// already waiting in an old listener's accept queue when the steering
// begins are accepted and served by the old process; with the sysctl
// net.ipv4.tcp_migrate_req=1 those still queued when its listeners close
// move to the new process instead of being reset.

// ReloadIdleGrace is how long a reload leaves idle keep-alive connections
// of the old process open for a last request before closing them.
var ReloadIdleGrace = time.Second

// reloadEnv tells the new process of a reload, per TCP worker, the
// address the old process listens on (port 0 resolved) and its number of
// sockets there: "http://0.0.0.0:0 0.0.0.0:41873 2,ws://[::1]:9000 [::1]:9000 4".
const reloadEnv = "GNETWORKER_RELOAD"

func inReload() bool { return os.Getenv(reloadEnv) != "" }

// oldListener is the old process's side of one TCP worker.
type oldListener struct {
	address string
	sockets int
}

// oldListeners reads reloadEnv, by socket name.
func oldListeners() map[string]oldListener {
	m := map[string]oldListener{}
	for entry := range strings.SplitSeq(os.Getenv(reloadEnv), ",") {
		f := strings.Fields(entry)
		if len(f) != 3 {
			continue
		}
		if n, err := strconv.Atoi(f[2]); err == nil {
			m[f[0]] = oldListener{address: f[1], sockets: n}
		}
	}
	return m
}

// reloadAddress is the address a reload's new process binds for w: the
// old process's, port 0 resolved, so that both share it.
func (w *Worker) reloadAddress() (string, bool) {
	if !inReload() {
		return "", false
	}
	o, ok := oldListeners()[w.socketName]
	return o.address, ok
}

// steerToThisProcess is the new process's side: every TCP worker that
// shares its port with the old process takes all new connections.
func steerToThisProcess() error {
	old := oldListeners()
	for _, w := range runningWorkers() {
		o, ok := old[w.socketName]
		if !ok || w.listen.network != "tcp" || o.address != w.listen.address {
			continue
		}
		fd, err := w.engine.Dup()
		if err != nil {
			return fmt.Errorf("worker %q: reload: %w", w.Name, err)
		}
		err = steerNewConnections(fd, o.sockets, w.Count)
		_ = closeFD(fd)
		if err != nil {
			return fmt.Errorf("worker %q: reload: steering new connections: %w", w.Name, err)
		}
	}
	return nil
}

// reload is the old process's side, run for the control socket's reload
// request: it starts the new process, and once that listens, hands over
// and drains. It returns the new process's pid, or why there is none (the
// old process then goes on serving).
func (s *controlServer) reload(graceful bool) (int, error) {
	if !steerSupported {
		return 0, errors.New("worker: reload needs Linux (SO_REUSEPORT with a steering program)")
	}
	if pid := predecessorDraining(); pid > 0 {
		// Its sockets are still in the port's reuseport group, ahead of
		// this process's: the next process could not tell where its own
		// begin.
		return 0, fmt.Errorf("worker: the last reload's old process (pid %d) still finishes its connections; reload again once it has exited", pid)
	}
	if !s.state.CompareAndSwap(serving, reloading) {
		if s.state.Load() == stopping {
			return 0, errors.New("worker: the server is stopping")
		}
		return 0, errors.New("worker: a reload is under way")
	}
	ws := runningWorkers()
	var counts []string
	for _, w := range ws {
		if w.listen.network == "tcp" {
			counts = append(counts, w.socketName+" "+w.listen.address+" "+strconv.Itoa(w.Count))
		}
	}
	for _, w := range ws {
		w.callLifecycle("OnWorkerReload", w.OnWorkerReload)
	}
	log := os.Stdout // a daemon's is its log file already
	if !inDaemon() {
		f, err := os.OpenFile(s.files.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			s.state.Store(serving)
			return 0, fmt.Errorf("worker: reload log: %w", err)
		}
		defer f.Close()
		log = f
	}
	pid, err := spawn(s.files, []string{
		reloadEnv + "=" + strings.Join(counts, ","),
		predecessorEnv + "=" + strconv.Itoa(os.Getpid()),
	}, log)
	if err != nil {
		s.state.Store(serving)
		return 0, fmt.Errorf("worker: reload: the new process did not start, this one goes on serving: %w", err)
	}
	s.handOver()
	for _, w := range ws {
		w.logger().Info("worker: reloaded; finishing this process's connections", "worker", w.Name, "new_pid", pid)
	}
	go drainForReload(ws, graceful)
	return pid, nil
}

// drainForReload ends the old process's connections and then the process.
func drainForReload(ws []*Worker, graceful bool) {
	for _, w := range ws {
		w.handedOver.Store(true)
		for _, c := range w.Connections() {
			c.EndAtNextBoundary()
		}
	}
	time.Sleep(ReloadIdleGrace)
	for _, w := range ws {
		if graceful {
			w.StopTimeout = GracefulStopTimeout
		}
	}
	StopAll() // closes what is still idle, waits for the rest
}

// keepUnixPath is for a unix socket worker that handed its path over to a
// reload's new process: gnet removes the path as it closes the old
// listener, which would take the new process's socket with it. A hard
// link made now puts it back once the old engine has stopped. The call it
// returns does that (nothing for other workers).
func (w *Worker) keepUnixPath() func() {
	if w.listen.network != "unix" || !w.handedOver.Load() {
		return func() {}
	}
	path := w.listen.address
	alias := path + ".handover-" + strconv.Itoa(os.Getpid())
	_ = os.Remove(alias)
	if err := os.Link(path, alias); err != nil {
		return func() {}
	}
	return func() {
		if err := os.Rename(alias, path); err != nil {
			_ = os.Remove(alias)
		}
	}
}

// predecessorEnv names, in a reload's new process, the old process it
// replaces.
const predecessorEnv = "GNETWORKER_RELOAD_FROM"

// predecessorDraining is the pid of the old process of the reload that
// started this one while it still finishes its connections, else 0.
func predecessorDraining() int {
	pid, err := strconv.Atoi(os.Getenv(predecessorEnv))
	if err != nil || pid <= 0 || pid == os.Getpid() || !processAlive(pid) {
		return 0
	}
	return pid
}

// reloadServer asks the running server to reload and prints its answer.
func reloadServer(f ctlFiles, graceful bool, out io.Writer) error {
	c, err := f.ask(request("reload", graceful))
	if err != nil {
		return err
	}
	defer c.Close()
	answer, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if err := answerError(string(answer)); err != nil {
		return err
	}
	fmt.Fprintln(out, strings.TrimSpace(string(answer)))
	return nil
}

package worker

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"time"
)

// The command line, as workerman reads $argv: `./server start -d`,
// `./server status`. A program's own flags come first
// (`./hello -addr 127.0.0.1:9000 start -d`); RunAll takes what the flag
// package left (flag.Args) once the program parsed its flags, or the
// process's arguments otherwise. A program that parses its arguments
// another way passes the command's words to RunCommand.

// commandHelp is what -h prints.
const commandHelp = `Commands (after the program's own flags):
  start            run in the foreground (the default with no command)
  start -d         run as a daemon: detach, write the pid file, log to StdoutFile
  stop             stop gracefully within StopTimeout
  stop -g          stop gracefully, waiting up to GracefulStopTimeout for connections to end
  restart [-d]     stop, then start
  reload           start the program anew (its binary as on disk now) beside the
                   running one, hand it the port, and let the old one finish
                   its connections and exit: a deploy without downtime
  reload -g        the same, the old one waiting up to GracefulStopTimeout
  status           show the running server's workers, connections and memory
  status -d        the same, refreshed every second until interrupted
  status --json    the same as JSON, for monitoring
  connections      list the running server's connections (--json for JSON)
`

// The program's -h lists the commands after its flags.
func init() {
	usage := flag.Usage
	flag.Usage = func() {
		usage()
		fmt.Fprint(flag.CommandLine.Output(), "\n"+commandHelp)
	}
}

// GracefulStopTimeout bounds how long `stop -g` waits for connections to
// end by themselves.
var GracefulStopTimeout = time.Minute

// ErrNotRunning is returned by a command that needs a running server when
// there is none (no pid file, or its process is gone).
var ErrNotRunning = errors.New("worker: not running")

// command is a parsed command line.
type command struct {
	name     string // start, stop, restart, status, connections, help
	daemon   bool   // -d: start as a daemon; status: refresh
	graceful bool   // -g
	json     bool   // --json
}

func parseCommand(args []string) (command, error) {
	cmd := command{name: "start"}
	if len(args) == 0 {
		return cmd, nil
	}
	cmd.name = args[0]
	switch cmd.name {
	case "-h", "-help", "--help", "help":
		cmd.name = "help"
		return cmd, nil
	case "start", "stop", "restart", "reload", "status", "connections":
	default:
		return cmd, fmt.Errorf("worker: unknown command %q\n%s", args[0], commandHelp)
	}
	for _, a := range args[1:] {
		switch {
		case a == "-d" && (cmd.name == "start" || cmd.name == "restart" || cmd.name == "status"):
			cmd.daemon = true
		case a == "-g" && (cmd.name == "stop" || cmd.name == "restart" || cmd.name == "reload"):
			cmd.graceful = true
		case (a == "--json" || a == "-json") && (cmd.name == "status" || cmd.name == "connections"):
			cmd.json = true
		default:
			return cmd, fmt.Errorf("worker: %s does not take %q\n%s", cmd.name, a, commandHelp)
		}
	}
	return cmd, nil
}

// RunAll runs the command given on the command line (see RunCommand):
// with none, it starts every worker created with New and not started yet
// in the foreground and blocks until SIGINT, SIGTERM, StopAll or a stop
// command, then stops them all gracefully. It returns the first start
// error, after stopping what had started, or, should a worker's event
// engine stop by itself, that error once the other workers are stopped:
// a server must exit rather than live on without its listener.
func RunAll() error {
	args := os.Args[1:]
	if flag.Parsed() {
		args = flag.Args()
	}
	return RunCommand(args)
}

// RunCommand runs one command, args being its words: "start", "start -d",
// "stop", "stop -g", "restart", "status", "status -d", "status --json",
// "connections", "-h"; none means "start". Commands other than start talk
// to the running server through the control socket beside its pid file
// and print what it answers.
func RunCommand(args []string) error {
	cmd, err := parseCommand(args)
	if err != nil {
		return err
	}
	return cmd.run(os.Stdout)
}

func (cmd command) run(out io.Writer) error {
	files := controlFiles()
	if inReload() {
		cmd = command{name: "start"} // the new process of a reload serves
	}
	switch cmd.name {
	case "help":
		_, err := io.WriteString(out, commandHelp)
		return err
	case "start":
		return cmd.start(files, out)
	case "stop":
		return stopServer(files, cmd.graceful, out)
	case "restart":
		if err := stopServer(files, cmd.graceful, out); err != nil && !errors.Is(err, ErrNotRunning) {
			return err
		}
		return cmd.start(files, out)
	case "reload":
		return reloadServer(files, cmd.graceful, out)
	case "status":
		return showStatus(files, cmd, out)
	case "connections":
		return showConnections(files, cmd.json, out)
	}
	return fmt.Errorf("worker: unknown command %q", cmd.name)
}

// start serves in this process, or starts a daemon that does (-d).
func (cmd command) start(files ctlFiles, out io.Writer) error {
	if cmd.daemon && !inDaemon() {
		return startDaemon(files, out)
	}
	return serve(files)
}

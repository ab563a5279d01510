package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"
)

// showStatus prints the running server's status: once as a table or JSON,
// or refreshed every second with -d until SIGINT or SIGTERM.
func showStatus(f ctlFiles, cmd command, out io.Writer) error {
	if !cmd.daemon {
		return printStatus(f, cmd.json, out)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	for {
		fmt.Fprint(out, "\033[H\033[2J") // clear the terminal
		if err := printStatus(f, cmd.json, out); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func printStatus(f ctlFiles, asJSON bool, out io.Writer) error {
	var st ProcessStatus
	if err := f.askJSON("status", &st); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(out, st)
	}
	fmt.Fprintf(out, "gnetworker  %s  pid %d  started %s  uptime %s\n",
		st.GoVersion, st.PID, st.Started.Format(time.DateTime), st.Uptime)
	fmt.Fprintf(out, "memory %s resident, heap %s in use of %s; %d goroutines, %d timers\n\n",
		bytesIEC(st.RSS), bytesIEC(int64(st.HeapAlloc)), bytesIEC(int64(st.HeapSys)), st.Goroutines, st.Timers)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "worker\tlisten\ttransport\tloops\tconnections\tmessages\tsend_fail\trefused\tstarted")
	for _, w := range st.Workers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", w.Name, w.Listen, w.Transport, w.Loops,
			w.Connections, w.Messages, w.SendFailures, w.Refused, w.Started.Format(time.DateTime))
	}
	return tw.Flush()
}

// showConnections prints the running server's connections.
func showConnections(f ctlFiles, asJSON bool, out io.Writer) error {
	var cs []ConnectionStatus
	if err := f.askJSON("connections", &cs); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(out, cs)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tworker\tprotocol\tremote\tstatus\ttls\tbytes_in\tbytes_out\tsend_buffer")
	for _, c := range cs {
		tlsv := c.TLS
		if tlsv == "" {
			tlsv = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", c.ID, c.Worker, c.Protocol, c.Remote,
			c.Status, tlsv, c.BytesRead, c.BytesWritten, c.SendBuffer)
	}
	return tw.Flush()
}

func writeJSON(out io.Writer, v any) error {
	e := json.NewEncoder(out)
	e.SetIndent("", "  ")
	return e.Encode(v)
}

// bytesIEC formats a size as workerman does its memory column.
func bytesIEC(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

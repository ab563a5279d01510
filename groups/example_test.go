package groups_test

import (
	"bufio"
	"context"
	"fmt"
	"net"

	"github.com/gnetworker/gnetworker/bus/memlog"
	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/groups"
	"github.com/gnetworker/gnetworker/worker"
)

// Two nodes of a cluster in one process, on a memlog Store (in
// production, a Redis backend from bus/redisbus, one per process). On
// each node a text:// worker binds a connection to the uid it sends and
// joins it to "chat"; any node can then send to the group or to a uid.
func Example() {
	store := memlog.New(memlog.Options{})
	defer store.Close()
	nodeA, addrA, stopA := chatNode(store.Node())
	defer stopA()
	nodeB, addrB, stopB := chatNode(store.Node())
	defer stopB()

	alice := chatClient(addrA, "alice")
	bob := chatClient(addrB, "bob")
	defer alice.Close()
	defer bob.Close()

	ctx := context.Background()
	n, _ := nodeB.GroupConnections(ctx, "chat")
	online, _ := nodeB.IsUidOnline(ctx, "alice")
	fmt.Println("members of chat:", n, "- alice online:", online)

	_ = nodeA.SendToGroup("chat", "hello, chat") // alice at once, bob through the stream
	_ = nodeB.SendToUid("alice", "hello, alice")
	fmt.Print("alice got: ", alice.line())
	fmt.Print("alice got: ", alice.line())
	fmt.Print("bob got: ", bob.line())
	// Output:
	// members of chat: 2 - alice online: true
	// alice got: hello, chat
	// alice got: hello, alice
	// bob got: hello, chat
}

// chatNode starts a node: a Groups on backend (created at startup, as in
// OnWorkerStart) and a text:// worker whose clients send their uid.
func chatNode(backend groups.Backend) (*groups.Groups, string, func()) {
	g, err := groups.New(groups.Options{Backend: backend})
	if err != nil {
		panic(err)
	}
	w, _ := worker.New("text://127.0.0.1:0")
	w.Count = 1
	w.OnMessage = func(c *connection.TcpConnection, uid string) {
		if err := g.Bind(c, uid); err != nil {
			_ = c.Close(err.Error())
			return
		}
		_ = g.Join(c, "chat")
		_ = c.Send("welcome, " + uid)
	}
	if err := w.Start(); err != nil {
		panic(err)
	}
	return g, w.Addr().String(), func() { _ = w.Stop(); _ = g.Close() }
}

type chatConn struct {
	net.Conn
	r *bufio.Reader
}

// chatClient connects as uid and waits for the welcome.
func chatClient(addr, uid string) chatConn {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		panic(err)
	}
	c := chatConn{conn, bufio.NewReader(conn)}
	fmt.Fprintln(conn, uid)
	c.line()
	return c
}

func (c chatConn) line() string {
	s, _ := c.r.ReadString('\n')
	return s
}

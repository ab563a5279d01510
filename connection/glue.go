package connection

import (
	"fmt"

	"github.com/panjf2000/gnet/v2"

	"github.com/gnetworker/gnetworker/internal/glue"
	"github.com/gnetworker/gnetworker/protocols"
)

// The worker drives connections through package glue, which keeps gnet out
// of this package's API. These are its entry points.
func init() {
	glue.Connections.NewGroup = newGroup
	glue.Connections.Accept = func(gc gnet.Conn, loopID int, proto protocols.Protocol, g any) any {
		return newConn(gc, loopID, proto, g.(*group))
	}
	glue.Connections.Open = func(c any, onConnect any) gnet.Action {
		f, _ := onConnect.(func(*TcpConnection))
		return c.(*TcpConnection).handleOpen(f)
	}
	glue.Connections.Traffic = func(c any) gnet.Action { return c.(*TcpConnection).handleTraffic() }
	glue.Connections.Close = func(c any) { c.(*TcpConnection).handleClose() }
	glue.Connections.Stats = func(g any) (uint64, uint64) { return g.(*group).stats() }
	glue.Connections.NewOutbound = func(g any, spec glue.Outbound) any { return newOutbound(g.(*group), spec) }
	glue.Connections.StopOutbound = func(g any) { stopOutbound(g.(*group)) }
	glue.Connections.OpenOutbound = func(gc gnet.Conn, loopID int, a glue.OutboundAttempt) (any, gnet.Action) {
		c, action := openOutbound(gc, loopID, a.(*attempt))
		if c == nil {
			return nil, action
		}
		return c, action
	}
}

// newGroup makes a worker's group, checking its callbacks' types once.
func newGroup(owner any, cfg glue.Config, cb glue.Callbacks) (any, error) {
	g := &group{config: cfg}
	if owner != nil {
		o, ok := owner.(Owner)
		if !ok {
			return nil, fmt.Errorf("connection: owner %T is not a connection.Owner", owner)
		}
		g.owner = o
	}
	var err error
	set := func(name string, v any, ok bool) {
		if v != nil && !ok && err == nil {
			err = fmt.Errorf("connection: %s has type %T", name, v)
		}
	}
	var ok bool
	g.events.OnMessage, ok = cb.OnMessage.(func(*TcpConnection, any))
	set("OnMessage", cb.OnMessage, ok)
	g.events.OnClose, ok = cb.OnClose.(func(*TcpConnection))
	set("OnClose", cb.OnClose, ok)
	g.events.OnError, ok = cb.OnError.(func(*TcpConnection, int, error))
	set("OnError", cb.OnError, ok)
	g.events.OnBufferFull, ok = cb.OnBufferFull.(func(*TcpConnection))
	set("OnBufferFull", cb.OnBufferFull, ok)
	g.events.OnBufferDrain, ok = cb.OnBufferDrain.(func(*TcpConnection))
	set("OnBufferDrain", cb.OnBufferDrain, ok)
	g.events.OnPanic, ok = cb.OnPanic.(func(*TcpConnection, string, any, []byte))
	set("OnPanic", cb.OnPanic, ok)
	if err != nil {
		return nil, err
	}
	return g, nil
}

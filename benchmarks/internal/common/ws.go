package common

// The WebSocket servers' common protocol, spoken by the harness's clients
// (ws.go in the harness): the handshake is a GET of WSPath (gnetworker's
// ws:// worker and gws take any path); every binary message is echoed as
// it came; a text message WSPublish sends EventData (64 bytes) as one text
// message to every other connection and then answers the sender with a
// text message of how many connections it went to. No server offers
// permessage-deflate.
const (
	WSPath    = "/ws"
	WSPublish = "publish"
)

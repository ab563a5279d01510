package serverflags

import (
	"flag"

	"github.com/gnetworker/gnetworker/bus/redisbus"
)

// Redis is the -redis flag: given a URL, the example is one node of a
// cluster that shares its hub (or groups) through that Redis.
type Redis struct{ url string }

// RegisterRedis defines -redis on the default flag set; call it before
// flag.Parse.
func RegisterRedis() *Redis {
	r := new(Redis)
	flag.StringVar(&r.url, "redis", "", "redis://HOST:PORT to share the hub with other nodes (empty: this process only)")
	return r
}

// Enabled reports whether -redis was given.
func (r *Redis) Enabled() bool { return r.url != "" }

// Dial returns the bus on -redis, or nil when it was not given. It does
// not wait for Redis.
func (r *Redis) Dial() (*redisbus.Bus, error) {
	if r.url == "" {
		return nil, nil
	}
	return redisbus.Dial(r.url, redisbus.Options{})
}

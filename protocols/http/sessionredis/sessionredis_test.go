package sessionredis_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gnetworker/gnetworker/internal/redistest"
	"github.com/gnetworker/gnetworker/internal/sessiontest"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/protocols/http/sessionredis"
)

// client returns a client of addr, closed when the test ends.
func client(t *testing.T, addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func TestHandler(t *testing.T) {
	srv := redistest.Start(t)
	sessiontest.Handler(t, sessionredis.New(client(t, srv.Addr()), sessionredis.Options{}))
}

func TestKeysPrefixAndTTL(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	h := sessionredis.New(rdb, sessionredis.Options{Prefix: "app:s:"})
	ctx := context.Background()
	id := http.NewSessionID()
	require.NoError(t, h.Write(ctx, id, http.SessionChanges{Set: map[string][]byte{"k": []byte("v")}}, time.Minute))
	assert.Equal(t, "app:s:"+id, h.Key(id))
	ttl, err := rdb.PTTL(ctx, "app:s:"+id).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 50*time.Second)
	assert.LessOrEqual(t, ttl, time.Minute)
	v, err := rdb.HGet(ctx, "app:s:"+id, "k").Result()
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	keys, err := rdb.Keys(ctx, "*").Result()
	require.NoError(t, err)
	assert.Equal(t, []string{"app:s:" + id}, keys)

	for _, bad := range []string{"*", "../x", id + "0"} {
		_, err := h.Read(ctx, bad, time.Minute)
		assert.ErrorIs(t, err, sessionredis.ErrInvalidID)
		assert.ErrorIs(t, h.Write(ctx, bad, http.SessionChanges{}, time.Minute), sessionredis.ErrInvalidID)
		assert.ErrorIs(t, h.Destroy(ctx, bad), sessionredis.ErrInvalidID)
	}
}

func manager(addr string) func(t *testing.T) *http.SessionManager {
	return func(t *testing.T) *http.SessionManager {
		return sessiontest.NewManager(t, http.SessionConfig{Handler: sessionredis.New(client(t, addr), sessionredis.Options{})})
	}
}

func TestServer(t *testing.T) {
	srv := redistest.Start(t)
	sessiontest.Server(t, manager(srv.Addr()))
}

// Sessions shared by two workers through Redis, each with its own client
// and manager, as two processes (or machines) have.
func TestSharedByTwoWorkers(t *testing.T) {
	srv := redistest.Start(t)
	sessiontest.Shared(t, manager(srv.Addr()))
}

// With Redis unreachable a load fails within its timeout, with an error
// the application can answer; once Redis is back, sessions work again.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	proxy := redistest.NewProxy(t, srv)
	m := sessiontest.NewManager(t, http.SessionConfig{
		Handler:     sessionredis.New(client(t, proxy.Addr()), sessionredis.Options{}),
		LoadTimeout: 300 * time.Millisecond, IOTimeout: 300 * time.Millisecond,
	})
	base := sessiontest.StartWorker(t, m, &sessiontest.App{}, nil)
	c := sessiontest.NewClient(t, http.DefaultSessionName, nil)
	body, _ := c.Get(base, "/incr")
	require.Equal(t, "1", body)
	direct := client(t, srv.Addr())
	require.Eventually(t, func() bool {
		n, _ := direct.HLen(context.Background(), sessionredis.DefaultPrefix+c.Cookie).Result()
		return n == 1
	}, 5*time.Second, 10*time.Millisecond, "saved")
	proxy.Cut()
	for _, q := range []string{"", "async=1"} {
		start := time.Now()
		status, body, _ := c.Do(base, "/incr?"+q)
		assert.Equal(t, 500, status, body)
		assert.Contains(t, body, "loading session")
		assert.Less(t, time.Since(start), 3*time.Second)
	}
	// A new session needs no load; its save fails, and is counted.
	fresh := sessiontest.NewClient(t, http.DefaultSessionName, nil)
	body, _ = fresh.Get(base, "/incr")
	assert.Equal(t, "1", body)
	assert.Eventually(t, func() bool { return m.Dropped() == 1 }, 5*time.Second, 10*time.Millisecond)
	proxy.Heal()
	assert.Eventually(t, func() bool {
		status, body, _ := c.Do(base, "/get?k=n")
		return status == 200 && body == "int:1"
	}, 5*time.Second, 50*time.Millisecond)
}

const serveAddrEnv = "SESSIONREDIS_TEST_SERVE_ADDR"

// TestChildServer is the other process of TestSharedByTwoProcesses.
func TestChildServer(t *testing.T) {
	if !sessiontest.IsChild() || os.Getenv(serveAddrEnv) == "" {
		t.Skip("run by TestSharedByTwoProcesses")
	}
	sessiontest.ServeAsChild(t, manager(os.Getenv(serveAddrEnv))(t))
}

// Sessions shared by two worker processes through one Redis.
func TestSharedByTwoProcesses(t *testing.T) {
	srv := redistest.Start(t)
	child := sessiontest.StartChild(t, "TestChildServer", serveAddrEnv+"="+srv.Addr())
	own := sessiontest.StartWorker(t, manager(srv.Addr())(t), &sessiontest.App{}, nil)
	sessiontest.SharedBetween(t, child, own)
}

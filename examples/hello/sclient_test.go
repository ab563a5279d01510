package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// request asks for / and for the connection's close after the answer,
// so that s_client, which ignores the end of its input (-ign_eof), ends
// when the server closes.
const request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

// sClientArgs connect s_client to srv, verifying its certificate for
// 127.0.0.1 against the test CA and failing the handshake otherwise.
func sClientArgs(srv tlsServer, args ...string) []string {
	return slices.Concat([]string{"s_client", "-connect", srv.addr, "-CAfile", srv.caFile,
		"-verify_ip", "127.0.0.1", "-verify_return_error"}, args)
}

// sClient runs openssl s_client against srv with request on its input
// and returns all it printed, and its exit error. OpenSSL 3 exits 0 only
// when the connection ended with the server's close_notify alert; a bare
// TCP close is "unexpected eof while reading" and exit status 1.
func sClient(t *testing.T, openssl string, srv tlsServer, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, openssl, sClientArgs(srv, slices.Concat(args, []string{"-ign_eof"})...)...)
	cmd.Stdin = strings.NewReader(request)
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err(), "s_client did not end:\n%s", out)
	return string(out), err
}

// session is s_client run interactively, with its commands on (no
// -ign_eof): a line "R" renegotiates, "K" updates keys and asks the peer
// to, "Q" quits. Its input is written as the test goes, and its output
// (stdout and stderr) is read line by line. It is killed when its 20 s are
// up or the test ends.
type session struct {
	ctx    context.Context
	stdin  io.WriteCloser
	lines  <-chan string
	exited chan error
	out    strings.Builder // all that was read so far
}

func startSession(t *testing.T, openssl string, srv tlsServer, args ...string) *session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.CommandContext(ctx, openssl, sClientArgs(srv, args...)...)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = pw, pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		cancel()
		require.NoError(t, err)
	}
	s := &session{ctx: ctx, stdin: stdin, exited: make(chan error, 1)}
	waited := make(chan struct{})
	go func() {
		s.exited <- cmd.Wait()
		close(waited)
	}()
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	s.lines = lines
	t.Cleanup(func() {
		cancel() // kills s_client if it still runs
		<-waited
		for range lines { // unblock the reader, should the test have stopped early
		}
	})
	return s
}

// waitLine reads s_client's output up to a line containing sub, and
// reports whether one came before its end or deadline. An empty sub reads
// all.
func (s *session) waitLine(sub string) bool {
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				return false
			}
			s.out.WriteString(l + "\n")
			if sub != "" && strings.Contains(l, sub) {
				return true
			}
		case <-s.ctx.Done():
			return false
		}
	}
}

// send writes text to s_client's input.
func (s *session) send(text string) error {
	_, err := io.WriteString(s.stdin, text)
	return err
}

// waitExit reports whether s_client ended by itself (its input still
// open) before its deadline, and then reads the rest of its output.
func (s *session) waitExit() bool {
	select {
	case <-s.exited:
		s.waitLine("")
		return true
	case <-s.ctx.Done():
		return false
	}
}

// output is all that was read so far.
func (s *session) output() string { return s.out.String() }

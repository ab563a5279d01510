#!/usr/bin/env bash
# cpu-per-request.sh BASE [ROUNDS] [SECONDS]: server CPU per request of
# examples/hello at git ref BASE and at the work tree, side by side, for
# plaintext (256 connections) and 16-deep pipelining, with wrk -t1.
# Rounds interleave the two builds; the median of each is printed. CPU is
# the server's on-CPU time from /proc/PID/task/*/schedstat, so it does not
# depend on who won the shared cores. Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: $0 BASE-REF [ROUNDS] [SECONDS]}
rounds=${2:-5}
secs=${3:-5}
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add --detach "$tmp/base" "$base" >/dev/null 2>&1
(cd "$tmp/base" && go build -o "$tmp/hello-base" ./examples/hello)
go build -o "$tmp/hello-head" ./examples/hello
cat >"$tmp/pipe.lua" <<'LUA'
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format(nil, "/") end
  req = table.concat(r)
end
request = function() return req end
LUA

cpu_ns() { # on-CPU nanoseconds of every thread of PID
  local sum=0 f
  for f in /proc/"$1"/task/*/schedstat; do
    read -r ns _ <"$f" && sum=$((sum + ns))
  done
  echo "$sum"
}

run() { # run BUILD SCENARIO -> prints ns per request
  local bin=$tmp/hello-$1 port=$((20000 + RANDOM % 20000)) pid c0 c1 reqs
  GOMAXPROCS=1 "$bin" -addr 127.0.0.1:$port -count 1 >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  local args=(-t1 -c256 "http://127.0.0.1:$port/")
  [ "$2" = pipeline ] && args=(-s "$tmp/pipe.lua" "${args[@]}")
  wrk -d1s "${args[@]}" >/dev/null
  c0=$(cpu_ns $pid)
  reqs=$(wrk -d"${secs}s" "${args[@]}" | awk '/requests in/ {print $1}')
  c1=$(cpu_ns $pid)
  kill $pid; wait $pid 2>/dev/null || true
  echo $(((c1 - c0) / reqs))
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for sc in plaintext pipeline; do
  : >"$tmp/$sc.base"; : >"$tmp/$sc.head"
  for _ in $(seq "$rounds"); do
    run base $sc >>"$tmp/$sc.base"
    run head $sc >>"$tmp/$sc.head"
  done
  b=$(median <"$tmp/$sc.base"); h=$(median <"$tmp/$sc.head")
  echo "$sc: base $b ns/req [$(tr '\n' ' ' <"$tmp/$sc.base")], head $h ns/req [$(tr '\n' ' ' <"$tmp/$sc.head")], head/base $(awk -v h="$h" -v b="$b" 'BEGIN {printf "%.3f", h/b}')"
done

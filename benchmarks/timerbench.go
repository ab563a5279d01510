package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// benchLine is one parsed `go test -bench` result.
type benchLine struct {
	Name    string             // without "Benchmark" and the -GOMAXPROCS suffix
	Procs   string             // the -N suffix
	Iters   int64              // b.N
	Metrics map[string]float64 // unit -> value: ns/op, B/op, allocs/op, B/timer...
	Units   []string           // units in output order
}

// runTimerBench runs the framework's timer benchmarks in root and parses
// them. benchtime is passed to -benchtime when not empty.
func runTimerBench(ctx context.Context, root, benchtime string) ([]benchLine, string, error) {
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchmem"}
	if benchtime != "" {
		args = append(args, "-benchtime", benchtime)
	}
	args = append(args, "./timer")
	cmd := command(ctx, "go", args...)
	cmd.Dir = root
	out, err := runChild(cmd)
	cmdline := "go " + strings.Join(args, " ")
	if err != nil {
		return nil, cmdline, fmt.Errorf("%s: %v\n%s", cmdline, err, out)
	}
	return parseBench(string(out)), cmdline, nil
}

// parseBench parses benchmark lines: name, iterations, then value/unit
// pairs.
func parseBench(out string) []benchLine {
	var res []benchLine
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		iters, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		b := benchLine{Name: strings.TrimPrefix(f[0], "Benchmark"), Iters: iters, Metrics: map[string]float64{}}
		if i := strings.LastIndexByte(b.Name, '-'); i > 0 {
			b.Name, b.Procs = b.Name[:i], b.Name[i+1:]
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			b.Metrics[f[i+1]] = v
			b.Units = append(b.Units, f[i+1])
		}
		res = append(res, b)
	}
	return res
}

// benchPairKey maps a wheel benchmark and its time.AfterFunc counterpart to
// one key: WheelAddDel and AfterFuncStop are both "Stop", WheelAddFire and
// AfterFuncFire "Fire", WheelPendingMem and AfterFuncPendingMem
// "PendingMem". ok is false for names that are neither.
func benchPairKey(name string) (key string, wheel, ok bool) {
	switch {
	case strings.HasPrefix(name, "Wheel"):
		key, wheel = strings.TrimPrefix(name, "Wheel"), true
	case strings.HasPrefix(name, "AfterFunc"):
		key = strings.TrimPrefix(name, "AfterFunc")
	default:
		return name, false, false
	}
	key = strings.TrimPrefix(key, "Add")
	key = strings.Replace(key, "Del", "Stop", 1)
	return key, wheel, true
}

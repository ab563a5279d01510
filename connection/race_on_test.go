//go:build race

package connection

const raceEnabled = true

//go:build race

package tlstransport

const raceEnabled = true

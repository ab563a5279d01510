//go:build !race

package tlstransport

const raceEnabled = false

package timer

import "time"

// std is the default wheel used by the package-level functions.
var std = NewWheel()

// Add schedules fn to run every interval on the default wheel, like
// workerman's Timer::add. See Wheel.Add.
func Add(interval time.Duration, fn func(id ID)) (ID, error) { return std.Add(interval, fn) }

// Once schedules fn to run once after interval on the default wheel.
// See Wheel.Once.
func Once(interval time.Duration, fn func(id ID)) (ID, error) { return std.Once(interval, fn) }

// Del deletes a timer of the default wheel, like workerman's Timer::del.
// See Wheel.Del.
func Del(id ID) bool {
	unbind(id)
	return std.Del(id)
}

// DelAll deletes every timer of the default wheel, like workerman's
// Timer::delAll. See Wheel.DelAll.
func DelAll() {
	unbindAll()
	std.DelAll()
}

// Len returns the number of pending timers of the default wheel.
func Len() int { return std.Len() }

package websocket

// Compressions is how many times p was compressed.
func Compressions(p *Prepared) int { return int(p.made.Load()) }

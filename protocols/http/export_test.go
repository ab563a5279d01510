package http

// BodyBudgetInUse reports what a Protocol's requests hold: body bytes
// counted in memory and spool files open.
func BodyBudgetInUse(p *Protocol) (memory, spools int64) {
	return p.budget.memory.Load(), p.budget.spools.Load()
}

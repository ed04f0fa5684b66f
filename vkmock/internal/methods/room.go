package methods

// Deps is what the room needs: the table it answers from and the seed of
// the answers.
type Deps struct {
	Table *Table
	Seed  int64
}

// Room synthesises the answers of the methods the world does not answer,
// and keeps answers in a cache bounded by count and bytes. Every answer
// is drawn from its own random stream, seeded by a hash of the seed, the
// method, the response variant and the request parameters (sorted, the
// token and other secrets left out), so the same request always gets the
// same answer, whatever was asked before. The zero value is not usable
// (New makes one); a Room is safe for concurrent use.
type Room struct {
	table *Table
	seed  int64
	cache respCache
}

// New returns a room over d.Table.
func New(d Deps) *Room { return &Room{table: d.Table, seed: d.Seed} }

// Table returns the room's table.
func (r *Room) Table() *Table { return r.table }

package reqlog

import (
	"sync"

	"github.com/vkerr/vkerr/vkmock/internal/fifo"
)

// Log is the request log, bounded by count and by bytes: the oldest
// records are evicted first. Records are stored redacted and cut, as
// copies that share no memory with the requests.
type Log struct {
	mu   sync.Mutex
	recs fifo.FIFO[Record]
}

func (l *Log) Init(count int, bytes int64) { l.recs = fifo.New[Record](count, bytes) }

func (l *Log) Add(r Record) {
	n := r.size()
	l.mu.Lock()
	defer l.mu.Unlock()
	if n > l.recs.MaxBytes() {
		// A record larger than the whole log keeps its head only.
		r.Params = nil
		n = r.size()
	}
	l.recs.Add(r, n, nil)
}

// Stats returns the number of records and their estimated bytes.
func (l *Log) Stats() (int, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recs.Len(), l.recs.Bytes()
}

func (l *Log) Snapshot() []Record {
	l.mu.Lock()
	out := append([]Record(nil), l.recs.All()...)
	l.mu.Unlock()
	// The stored records are never changed; give out copies of the
	// parameter lists all the same, so callers cannot change the log.
	for i := range out {
		out[i].Params = append([]Param(nil), out[i].Params...)
	}
	return out
}

func (l *Log) Reset() {
	l.mu.Lock()
	l.recs.Reset()
	l.mu.Unlock()
}

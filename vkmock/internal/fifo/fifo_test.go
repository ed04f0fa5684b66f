package fifo

import (
	"fmt"
	"testing"
)

func TestFIFOEvictsOldestByCountAndBytes(t *testing.T) {
	f := New[int](3, 100)
	var evicted []int
	for i := range 5 {
		f.Add(i, 10, func(v int) { evicted = append(evicted, v) })
	}
	if got := fmt.Sprint(f.All(), evicted, f.Bytes()); got != "[2 3 4] [0 1] 30" {
		t.Fatalf("by count: %s", got)
	}
	f.Add(5, 80, func(v int) { evicted = append(evicted, v) })
	if got := fmt.Sprint(f.All(), evicted, f.Bytes()); got != "[3 4 5] [0 1 2] 100" {
		t.Fatalf("by bytes: %s", got)
	}
	f.Add(6, 500, nil)
	if f.Len() != 0 || f.Bytes() != 0 {
		t.Fatalf("an entry over the byte bound stays: %v %d", f.All(), f.Bytes())
	}
	for i := range 1000 {
		f.Add(i, 1, nil)
	}
	if f.Len() != 3 || len(f.items) > 200 {
		t.Fatalf("len %d, backing %d: evicted entries are not freed", f.Len(), len(f.items))
	}
}

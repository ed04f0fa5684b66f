// Package testpar lets a test binary whose parallel tests wait on real
// clocks (a rate limit's window, a lease, a child process starting) run
// more of them at once than it has CPUs: `go test` runs GOMAXPROCS
// parallel tests at a time by default, 2 on a 2-core machine, though such
// tests leave the CPU idle while they wait.
//
//	func TestMain(m *testing.M) {
//		testpar.AtLeast(8)
//		os.Exit(m.Run())
//	}
package testpar

import (
	"flag"
	"strconv"
)

// AtLeast raises -test.parallel to n, unless the command line set it (an
// explicit -parallel always wins) or it is n or more already. Call it
// from TestMain, before m.Run; it parses the command line if nothing has.
func AtLeast(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	f := flag.Lookup("test.parallel")
	if f == nil {
		return
	}
	explicit := false
	flag.Visit(func(v *flag.Flag) { explicit = explicit || v == f })
	if cur, err := strconv.Atoi(f.Value.String()); explicit || (err == nil && cur >= n) {
		return
	}
	_ = f.Value.Set(strconv.Itoa(n))
}

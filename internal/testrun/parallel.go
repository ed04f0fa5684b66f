package testrun

// go test runs GOMAXPROCS parallel tests of a package at once by default,
// 2 on a 2-core machine, though tests that wait on a real clock (a rate
// window, a lease, a child process starting) leave the CPU idle:
//
//	func TestMain(m *testing.M) {
//		testrun.ParallelAtLeast(8)
//		os.Exit(m.Run())
//	}

import (
	"flag"
	"strconv"
)

// ParallelAtLeast raises -test.parallel to n, unless the command line set
// it (an explicit -parallel always wins) or it is n or more already. Call
// it from TestMain, before m.Run; it parses the command line if nothing
// has.
func ParallelAtLeast(n int) {
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

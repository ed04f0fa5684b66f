package core

// PositiveOr is v, or def when v is zero or negative: the rule of every
// configuration of the mock, whose zero value of a field means its
// default.
func PositiveOr[T ~int | ~int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

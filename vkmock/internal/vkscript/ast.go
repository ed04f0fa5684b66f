package vkscript

type node interface{ lineNo() int }

type pos struct{ line int }

func (p pos) lineNo() int { return p.line }

// The syntax tree the parser makes and the interpreter runs.

type (
	numLit struct {
		pos
		v float64
	}
	strLit struct {
		pos
		v string
	}
	boolLit struct {
		pos
		v bool
	}
	nullLit   struct{ pos }
	identExpr struct {
		pos
		name string
	}
	argsExpr struct{ pos }
	arrayLit struct {
		pos
		elems []node
	}
	objectLit struct {
		pos
		keys []string
		vals []node
	}
	memberExpr struct {
		pos
		obj  node
		name string
	}
	indexExpr struct {
		pos
		obj, idx node
	}
	pluckExpr struct {
		pos
		obj  node
		name string
	}
	unaryExpr struct {
		pos
		op string
		x  node
	}
	binaryExpr struct {
		pos
		op   string
		l, r node
	}
	logicalExpr struct {
		pos
		op   string
		l, r node
	}
	condExpr struct {
		pos
		cond, a, b node
	}
	assignExpr struct {
		pos
		op     string // "=", "+=", ...
		target node   // identExpr, memberExpr or indexExpr
		value  node
	}
	methodCall struct {
		pos
		obj  node
		name string
		args []node
	}
	funcCall struct {
		pos
		name string
		args []node
	}
	apiCall struct {
		pos
		method string
		args   []node
	}
)

type (
	varStmt struct {
		pos
		names []string
		inits []node // nil entries: no initialiser
	}
	exprStmt struct {
		pos
		x node
	}
	ifStmt struct {
		pos
		cond       node
		then, els_ node
	}
	whileStmt struct {
		pos
		cond node
		body node
	}
	returnStmt struct {
		pos
		x node // nil: return;
	}
	blockStmt struct {
		pos
		list []node
	}
	deleteStmt struct {
		pos
		target node
	}
	emptyStmt struct{ pos }
)

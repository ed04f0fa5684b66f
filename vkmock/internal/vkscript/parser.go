package vkscript

import "strconv"

// Program is a compiled script.
type Program struct {
	body []node
	vars int
}

// maxDepth bounds the nesting of expressions and statements.
const maxDepth = 200

// methods are the methods of arrays and strings the interpreter knows.
var methods = map[string]bool{
	"push": true, "pop": true, "shift": true, "unshift": true, "slice": true, "splice": true,
	"indexOf": true, "join": true, "split": true, "substr": true,
}

var funcs = map[string]bool{"parseInt": true, "parseDouble": true}

var keywords = map[string]bool{
	"var": true, "if": true, "else": true, "while": true, "return": true, "true": true, "false": true,
	"null": true, "delete": true, "API": true, "Args": true,
}

type parser struct {
	toks     []token
	i        int
	depth    int
	declared map[string]bool
}

// bail carries a compile error up the parser's recursion.
type bail struct{ err *CompileError }

// Compile parses a script. The error is a *CompileError.
func Compile(src string) (prog *Program, err error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, declared: map[string]bool{}}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			prog, err = nil, b.err
		}
	}()
	prog = &Program{}
	for p.peek().kind != tEOF {
		prog.body = append(prog.body, p.statement())
	}
	prog.vars = len(p.declared)
	return prog, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) fail(line int, detail string) {
	panic(bail{&CompileError{Detail: detail, Line: line}})
}

func (p *parser) is(text string) bool {
	t := p.peek()
	return (t.kind == tPunct || t.kind == tIdent) && t.text == text
}

// expect consumes the punctuator or keyword text, or fails with VK's
// "'x' expected, 'y' found".
func (p *parser) expect(text string) token {
	t := p.peek()
	if (t.kind == tPunct || t.kind == tIdent) && t.text == text {
		return p.next()
	}
	p.fail(t.line, "'"+text+"' expected, '"+t.display()+"' found")
	return t
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.peek().line, "code is too complex")
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) statement() node {
	p.enter()
	defer p.leave()
	t := p.peek()
	at := pos{t.line}
	if t.kind == tPunct {
		switch t.text {
		case ";":
			p.next()
			return &emptyStmt{at}
		case "{":
			p.next()
			b := &blockStmt{pos: at}
			for !p.is("}") {
				if p.peek().kind == tEOF {
					p.expect("}")
				}
				b.list = append(b.list, p.statement())
			}
			p.next()
			return b
		}
	}
	if t.kind == tIdent {
		switch t.text {
		case "var":
			p.next()
			v := &varStmt{pos: at}
			for {
				n := p.next()
				if n.kind != tIdent || keywords[n.text] {
					p.fail(n.line, "identifier expected, '"+n.display()+"' found")
				}
				var init node
				if p.is("=") {
					p.next()
					init = p.assignment()
				}
				p.declared[n.text] = true
				v.names = append(v.names, n.text)
				v.inits = append(v.inits, init)
				if !p.is(",") {
					break
				}
				p.next()
			}
			p.expect(";")
			return v
		case "if":
			p.next()
			p.expect("(")
			s := &ifStmt{pos: at, cond: p.expression()}
			p.expect(")")
			s.then = p.statement()
			if p.is("else") {
				p.next()
				s.els_ = p.statement()
			}
			return s
		case "while":
			p.next()
			p.expect("(")
			s := &whileStmt{pos: at, cond: p.expression()}
			p.expect(")")
			s.body = p.statement()
			return s
		case "return":
			p.next()
			s := &returnStmt{pos: at}
			if !p.is(";") {
				s.x = p.expression()
			}
			p.expect(";")
			return s
		case "delete":
			p.next()
			target := p.expression()
			switch target.(type) {
			case *memberExpr, *indexExpr:
			default:
				p.fail(at.line, "non-variable in delete")
			}
			p.expect(";")
			return &deleteStmt{pos: at, target: target}
		case "else":
			p.fail(t.line, "unexpected 'else'")
		}
	}
	x := p.expression()
	p.expect(";")
	return &exprStmt{pos: at, x: x}
}

func (p *parser) expression() node { return p.assignment() }

func (p *parser) assignment() node {
	p.enter()
	defer p.leave()
	line := p.peek().line
	left := p.conditional()
	t := p.peek()
	if t.kind == tPunct {
		switch t.text {
		case "=", "+=", "-=", "*=", "/=", "%=":
			p.next()
			switch left.(type) {
			case *identExpr, *memberExpr, *indexExpr:
			default:
				p.fail(line, "non-variable in assignment")
			}
			return &assignExpr{pos: pos{t.line}, op: t.text, target: left, value: p.assignment()}
		case "++", "--":
			p.next()
			switch left.(type) {
			case *identExpr, *memberExpr, *indexExpr:
			default:
				p.fail(line, "non-variable in assignment")
			}
			op := "+="
			if t.text == "--" {
				op = "-="
			}
			return &assignExpr{pos: pos{t.line}, op: op, target: left, value: &numLit{pos{t.line}, 1}}
		}
	}
	return left
}

func (p *parser) conditional() node {
	c := p.logical(0)
	if p.is("?") {
		t := p.next()
		a := p.assignment()
		p.expect(":")
		b := p.assignment()
		return &condExpr{pos: pos{t.line}, cond: c, a: a, b: b}
	}
	return c
}

// binary operators by precedence, lowest first.
var levels = [][]string{
	{"||"}, {"&&"}, {"==", "!=", "===", "!=="}, {"<", ">", "<=", ">="}, {"+", "-"}, {"*", "/", "%"},
}

func (p *parser) logical(level int) node {
	if level == len(levels) {
		return p.unary()
	}
	p.enter()
	defer p.leave()
	l := p.logical(level + 1)
	for {
		t := p.peek()
		if t.kind != tPunct || !contains(levels[level], t.text) {
			return l
		}
		p.next()
		r := p.logical(level + 1)
		if t.text == "&&" || t.text == "||" {
			l = &logicalExpr{pos: pos{t.line}, op: t.text, l: l, r: r}
		} else {
			l = &binaryExpr{pos: pos{t.line}, op: t.text, l: l, r: r}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) unary() node {
	p.enter()
	defer p.leave()
	t := p.peek()
	if t.kind == tPunct && (t.text == "!" || t.text == "-" || t.text == "+") {
		p.next()
		return &unaryExpr{pos: pos{t.line}, op: t.text, x: p.unary()}
	}
	return p.postfix(p.primary())
}

func (p *parser) postfix(x node) node {
	for {
		t := p.peek()
		if t.kind != tPunct {
			return x
		}
		switch t.text {
		case ".":
			p.next()
			n := p.next()
			if n.kind != tIdent {
				p.fail(n.line, "identifier expected, '"+n.display()+"' found")
			}
			if p.is("(") {
				if !methods[n.text] {
					p.fail(n.line, "undefined method '"+n.text+"'")
				}
				p.next()
				x = &methodCall{pos: pos{n.line}, obj: x, name: n.text, args: p.args(")")}
				continue
			}
			x = &memberExpr{pos: pos{n.line}, obj: x, name: n.text}
		case "[":
			p.next()
			idx := p.expression()
			p.expect("]")
			x = &indexExpr{pos: pos{t.line}, obj: x, idx: idx}
		case "@":
			p.next()
			p.expect(".")
			n := p.next()
			if n.kind != tIdent {
				p.fail(n.line, "identifier expected, '"+n.display()+"' found")
			}
			x = &pluckExpr{pos: pos{n.line}, obj: x, name: n.text}
		default:
			return x
		}
	}
}

// args parses call arguments up to the closing text, which it consumes.
func (p *parser) args(closing string) []node {
	var out []node
	if p.is(closing) {
		p.next()
		return out
	}
	for {
		out = append(out, p.assignment())
		if p.is(",") {
			p.next()
			continue
		}
		p.expect(closing)
		return out
	}
}

func (p *parser) primary() node {
	p.enter()
	defer p.leave()
	t := p.next()
	at := pos{t.line}
	switch t.kind {
	case tNumber:
		return &numLit{at, t.num}
	case tString:
		return &strLit{at, t.str}
	case tIdent:
		switch t.text {
		case "true", "false":
			return &boolLit{at, t.text == "true"}
		case "null":
			return &nullLit{at}
		case "Args":
			return &argsExpr{at}
		case "API":
			p.expect(".")
			name := ""
			for {
				n := p.next()
				if n.kind != tIdent {
					p.fail(n.line, "identifier expected, '"+n.display()+"' found")
				}
				if name != "" {
					name += "."
				}
				name += n.text
				if !p.is(".") {
					break
				}
				p.next()
			}
			p.expect("(")
			return &apiCall{pos: at, method: name, args: p.args(")")}
		}
		if funcs[t.text] && p.is("(") {
			p.next()
			return &funcCall{pos: at, name: t.text, args: p.args(")")}
		}
		if keywords[t.text] || !p.declared[t.text] {
			p.fail(t.line, "undefined identifier '"+t.text+"'")
		}
		return &identExpr{at, t.text}
	case tPunct:
		switch t.text {
		case "(":
			x := p.expression()
			p.expect(")")
			return x
		case "[":
			return &arrayLit{pos: at, elems: p.args("]")}
		case "{":
			o := &objectLit{pos: at}
			for !p.is("}") {
				k := p.next()
				var key string
				switch k.kind {
				case tIdent:
					key = k.text
				case tString:
					key = k.str
				case tNumber:
					key = formatNumber(k.num)
				default:
					p.fail(k.line, "'}' expected, '"+k.display()+"' found")
				}
				p.expect(":")
				o.keys = append(o.keys, key)
				o.vals = append(o.vals, p.assignment())
				if !p.is(",") {
					break
				}
				p.next()
			}
			p.expect("}")
			return o
		}
	case tEOF:
		p.fail(t.line, "expression expected, '' found")
	}
	p.fail(t.line, "unexpected '"+t.display()+"'")
	return nil
}

// formatNumber prints a number as VKScript (and JSON) does: integers
// without a fraction.
func formatNumber(f float64) string {
	if f == float64(int64(f)) && f > -1e18 && f < 1e18 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

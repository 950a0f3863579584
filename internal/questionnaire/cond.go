package questionnaire

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// A condition decides whether a question is shown:
//
//	expr  := or
//	or    := and ('||' and)*
//	and   := unary ('&&' unary)*
//	unary := '!' unary | '(' expr ')' | ident (('==' | '!=') string)?
//
// A bare ident holds when that question is shown and answered (for a yes/no
// question: answered yes); ident == "v" holds when it is shown and its
// answer contains v; != is the negation of ==.

// expr is a compiled condition.
type expr interface {
	eval(v *visibility) bool
	prec() int // for printing: 1 or, 2 and, 3 unary
	String() string
}

type orExpr struct{ x, y expr }
type andExpr struct{ x, y expr }
type notExpr struct{ x expr }

// atom is a question reference, compared with a value or not.
type atom struct {
	id    string
	col   int       // column of id in the condition, from 1
	op    string    // "", "==" or "!="
	value string    // for == and !=
	vcol  int       // column of value
	q     *Question // bound by Parse
}

// constExpr is always true or always false. Conditions never contain
// one: the VSAQ import uses it for a while and simplifies it away.
type constExpr bool

func (e constExpr) eval(*visibility) bool { return bool(e) }
func (e constExpr) prec() int             { return 3 }
func (e constExpr) String() string        { return fmt.Sprint(bool(e)) }

// simplify removes constants from e, unless e is a constant.
func simplify(e expr) expr {
	switch x := e.(type) {
	case *notExpr:
		y := simplify(x.x)
		if c, ok := y.(constExpr); ok {
			return !c
		}
		return &notExpr{y}
	case *andExpr:
		a, b := simplify(x.x), simplify(x.y)
		if c, ok := a.(constExpr); ok {
			return pick(c, b, c)
		}
		if c, ok := b.(constExpr); ok {
			return pick(c, a, c)
		}
		return &andExpr{a, b}
	case *orExpr:
		a, b := simplify(x.x), simplify(x.y)
		if c, ok := a.(constExpr); ok {
			return pick(c, c, b)
		}
		if c, ok := b.(constExpr); ok {
			return pick(c, c, a)
		}
		return &orExpr{a, b}
	}
	return e
}

func pick(c constExpr, ifTrue, ifFalse expr) expr {
	if c {
		return ifTrue
	}
	return ifFalse
}

func (e *orExpr) eval(v *visibility) bool  { return e.x.eval(v) || e.y.eval(v) }
func (e *andExpr) eval(v *visibility) bool { return e.x.eval(v) && e.y.eval(v) }
func (e *notExpr) eval(v *visibility) bool { return !e.x.eval(v) }

func (e *atom) eval(v *visibility) bool {
	if e.q == nil {
		return false
	}
	var ans []string
	if v.shown(e.q) {
		ans = v.a[e.q.ID]
	}
	switch e.op {
	case "==":
		return hasAnswer(ans) && slices.Contains(ans, e.value)
	case "!=":
		return !(hasAnswer(ans) && slices.Contains(ans, e.value))
	}
	if !hasAnswer(ans) {
		return false
	}
	return e.q.Type != YesNo || ans[0] == Yes
}

func (e *orExpr) prec() int  { return 1 }
func (e *andExpr) prec() int { return 2 }
func (e *notExpr) prec() int { return 3 }
func (e *atom) prec() int    { return 3 }

func (e *orExpr) String() string { return e.x.String() + " || " + e.y.String() }

func (e *andExpr) String() string { return wrap(e.x, 2) + " && " + wrap(e.y, 2) }

func (e *notExpr) String() string {
	if a, ok := e.x.(*atom); ok && a.op != "" {
		return "!(" + a.String() + ")"
	}
	return "!" + wrap(e.x, 3)
}

func (e *atom) String() string {
	if e.op == "" {
		return e.id
	}
	return e.id + " " + e.op + " " + quote(e.value)
}

func wrap(e expr, prec int) string {
	if e.prec() < prec {
		return "(" + e.String() + ")"
	}
	return e.String()
}

// quote writes s as a condition string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// atoms returns the question references of e, left to right.
func atoms(e expr) []*atom {
	var out []*atom
	var walk func(expr)
	walk = func(e expr) {
		switch e := e.(type) {
		case *orExpr:
			walk(e.x)
			walk(e.y)
		case *andExpr:
			walk(e.x)
			walk(e.y)
		case *notExpr:
			walk(e.x)
		case *atom:
			out = append(out, e)
		}
	}
	walk(e)
	return out
}

// condError is a syntax error in a condition.
type condError struct {
	col int
	msg string
}

func (e *condError) Error() string { return fmt.Sprintf("%s at column %d", e.msg, e.col) }

type tokenKind int

const (
	tEOF tokenKind = iota
	tIdent
	tString
	tAnd
	tOr
	tNot
	tEq
	tNeq
	tLParen
	tRParen
)

type token struct {
	kind tokenKind
	text string // as written; for strings, the unquoted value
	col  int
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of condition"
	case tIdent:
		return t.text
	case tString:
		return quote(t.text)
	}
	return "'" + t.text + "'"
}

// lex splits a condition into tokens. Columns count characters from 1.
func lex(s string) ([]token, error) {
	var toks []token
	col := 1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		start := col
		two := ""
		if i+1 < len(s) {
			two = s[i : i+2]
		}
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			i += size
			col++
		case r == '(' || r == ')':
			kind := tLParen
			if r == ')' {
				kind = tRParen
			}
			toks = append(toks, token{kind, string(r), start})
			i++
			col++
		case two == "&&" || two == "||" || two == "==" || two == "!=":
			kind := map[string]tokenKind{"&&": tAnd, "||": tOr, "==": tEq, "!=": tNeq}[two]
			toks = append(toks, token{kind, two, start})
			i += 2
			col += 2
		case r == '!':
			toks = append(toks, token{tNot, "!", start})
			i++
			col++
		case r == '&' || r == '|' || r == '=':
			return nil, &condError{start, fmt.Sprintf("unexpected '%c' (write %c%c)", r, r, r)}
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, token{tIdent, s[i:j], start})
			col += j - i
			i = j
		case r == '"':
			var b strings.Builder
			i++
			col++
			for {
				if i >= len(s) {
					return nil, &condError{start, "unterminated string"}
				}
				r, size := utf8.DecodeRuneInString(s[i:])
				if r == '"' {
					i++
					col++
					break
				}
				if r == '\\' {
					if i+1 >= len(s) {
						return nil, &condError{start, "unterminated string"}
					}
					next, nsize := utf8.DecodeRuneInString(s[i+1:])
					if next != '"' && next != '\\' {
						return nil, &condError{col, fmt.Sprintf(`unknown escape \%c (only \" and \\)`, next)}
					}
					b.WriteRune(next)
					i += 1 + nsize
					col += 2
					continue
				}
				b.WriteRune(r)
				i += size
				col++
			}
			toks = append(toks, token{tString, b.String(), start})
		default:
			return nil, &condError{start, fmt.Sprintf("unexpected character %q", r)}
		}
	}
	return append(toks, token{tEOF, "", col}), nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseCond parses a condition. Its atoms are not bound to questions.
func parseCond(s string) (expr, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == tEOF {
		return nil, &condError{1, "empty condition"}
	}
	p := &condParser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, &condError{t.col, "unexpected ')'"}
		}
		return nil, &condError{t.col, fmt.Sprintf("unexpected %s (expected && or ||)", t.describe())}
	}
	return e, nil
}

type condParser struct {
	toks []token
	pos  int
}

func (p *condParser) peek() token { return p.toks[p.pos] }

func (p *condParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *condParser) or() (expr, error) {
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		p.next()
		y, err := p.and()
		if err != nil {
			return nil, err
		}
		x = &orExpr{x, y}
	}
	return x, nil
}

func (p *condParser) and() (expr, error) {
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tAnd {
		p.next()
		y, err := p.unary()
		if err != nil {
			return nil, err
		}
		x = &andExpr{x, y}
	}
	return x, nil
}

func (p *condParser) unary() (expr, error) {
	t := p.next()
	switch t.kind {
	case tNot:
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &notExpr{x}, nil
	case tLParen:
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, &condError{c.col, fmt.Sprintf("expected ')' to close '(' at column %d, found %s", t.col, c.describe())}
		}
		return x, nil
	case tIdent:
		a := &atom{id: t.text, col: t.col}
		if op := p.peek(); op.kind == tEq || op.kind == tNeq {
			p.next()
			v := p.next()
			if v.kind != tString {
				return nil, &condError{v.col, fmt.Sprintf("expected a quoted answer after %s, found %s", op.text, v.describe())}
			}
			a.op, a.value, a.vcol = op.text, v.text, v.col
		}
		return a, nil
	case tEOF:
		return nil, &condError{t.col, "condition ends too early: expected a question id"}
	}
	return nil, &condError{t.col, fmt.Sprintf("unexpected %s (expected a question id, '!' or '(')", t.describe())}
}

package segmenthcl

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// fastParse parses the plain subset of HCL that generated and hand-written
// policies use (blocks with quoted labels, string, bool and
// list-of-string attributes, line comments, ASCII) into the syntax tree
// hclsyntax would build, ten times faster. It declines (ok false) on
// anything else — numbers, escapes, templates, heredocs, block comments,
// single-line blocks with more than one attribute, tabs in odd places,
// non-ASCII — and the caller gives the text to hclsyntax itself. It never
// accepts what hclsyntax refuses: when unsure it declines.
// TestFastParseMatchesHCL and FuzzParse compare the two.
func fastParse(filename string, src []byte, start hcl.Pos) (*hclsyntax.Body, bool) {
	p := &fastParser{src: src, file: filename, line: start.Line, col: start.Column, off: start.Byte, base: start.Byte}
	body, ok := p.body(true)
	if !ok || p.i != len(src) {
		return nil, false
	}
	return body, true
}

type fastParser struct {
	src  []byte
	file string
	i    int // index into src
	line int
	col  int
	off  int // byte offset in the file of src[i]
	base int
}

func (p *fastParser) pos() hcl.Pos { return hcl.Pos{Line: p.line, Column: p.col, Byte: p.base + p.i} }

func (p *fastParser) rng(from hcl.Pos) hcl.Range {
	return hcl.Range{Filename: p.file, Start: from, End: p.pos()}
}

func (p *fastParser) peek() byte {
	if p.i < len(p.src) {
		return p.src[p.i]
	}
	return 0
}

func (p *fastParser) adv() {
	if p.src[p.i] == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col++
	}
	p.i++
}

// spaces skips blanks on the line.
func (p *fastParser) spaces() {
	for p.i < len(p.src) && (p.src[p.i] == ' ' || p.src[p.i] == '\t') {
		p.adv()
	}
}

// endOfLine skips blanks and a line comment; it reports whether the line
// (or the file) ends there, consuming the newline.
func (p *fastParser) endOfLine() bool {
	p.spaces()
	if c := p.peek(); c == '#' || c == '/' && p.i+1 < len(p.src) && p.src[p.i+1] == '/' {
		for p.i < len(p.src) && p.src[p.i] != '\n' {
			if p.src[p.i] >= 0x80 || p.src[p.i] == '\r' {
				return false
			}
			p.adv()
		}
	}
	switch p.peek() {
	case '\n':
		p.adv()
		return true
	case 0:
		return p.i == len(p.src)
	}
	return false
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

func (p *fastParser) ident() (string, hcl.Range, bool) {
	from := p.pos()
	s := p.i
	if !isIdentStart(p.peek()) {
		return "", hcl.Range{}, false
	}
	for p.i < len(p.src) && (isIdentStart(p.src[p.i]) || p.src[p.i] >= '0' && p.src[p.i] <= '9' || p.src[p.i] == '-') {
		p.adv()
	}
	return string(p.src[s:p.i]), p.rng(from), true
}

// str reads a quoted string without escapes or template sequences.
func (p *fastParser) str() (string, hcl.Range, bool) {
	from := p.pos()
	if p.peek() != '"' {
		return "", hcl.Range{}, false
	}
	p.adv()
	s := p.i
	for {
		if p.i >= len(p.src) {
			return "", hcl.Range{}, false
		}
		c := p.src[p.i]
		switch {
		case c == '"':
			v := string(p.src[s:p.i])
			p.adv()
			return v, p.rng(from), true
		case c == '\\' || c == '\n' || c == '\r' || c >= 0x80 || c < 0x20 && c != '\t':
			return "", hcl.Range{}, false
		case (c == '$' || c == '%') && p.i+1 < len(p.src) && p.src[p.i+1] == '{':
			return "", hcl.Range{}, false
		}
		p.adv()
	}
}

// value reads a string, true, false or a list of strings.
func (p *fastParser) value() (hcl.Expression, bool) {
	from := p.pos()
	switch c := p.peek(); {
	case c == '"':
		s, r, ok := p.str()
		if !ok {
			return nil, false
		}
		return &hclsyntax.TemplateExpr{Parts: []hclsyntax.Expression{&hclsyntax.LiteralValueExpr{Val: cty.StringVal(s), SrcRange: r}}, SrcRange: r}, true
	case c == '[':
		p.adv()
		var elems []item
		for {
			p.listSpace()
			if p.peek() == ']' {
				p.adv()
				return &strListExpr{items: elems, rng: p.rng(from)}, true
			}
			v, r, ok := p.str()
			if !ok {
				return nil, false
			}
			elems = append(elems, item{v, r})
			p.listSpace()
			switch p.peek() {
			case ',':
				p.adv()
			case ']':
			default:
				return nil, false
			}
		}
	case isIdentStart(c):
		id, r, _ := p.ident()
		switch id {
		case "true", "false":
			return &hclsyntax.LiteralValueExpr{Val: cty.BoolVal(id == "true"), SrcRange: r}, true
		}
	}
	return nil, false
}

// listSpace skips blanks and newlines inside brackets (comments there:
// decline by leaving them for value to trip on).
func (p *fastParser) listSpace() {
	for p.i < len(p.src) && (p.src[p.i] == ' ' || p.src[p.i] == '\t' || p.src[p.i] == '\n') {
		p.adv()
	}
}

// body reads items up to the closing brace (or the end of the file for
// the top level).
func (p *fastParser) body(top bool) (*hclsyntax.Body, bool) {
	b := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, SrcRange: hcl.Range{Filename: p.file, Start: p.pos(), End: p.pos()}}
	for {
		// Blank and comment lines.
		for {
			save := *p
			if p.i == len(p.src) || !p.endOfLine() {
				*p = save
				break
			}
		}
		p.spaces()
		if p.i == len(p.src) {
			return b, top
		}
		if p.peek() == '}' {
			return b, !top
		}
		name, nameRange, ok := p.ident()
		if !ok {
			return nil, false
		}
		p.spaces()
		if p.peek() == '=' {
			if _, dup := b.Attributes[name]; dup {
				return nil, false
			}
			p.adv()
			p.spaces()
			e, ok := p.value()
			if !ok || !p.endOfLine() {
				return nil, false
			}
			b.Attributes[name] = &hclsyntax.Attribute{Name: name, Expr: asSyntax(e), NameRange: nameRange,
				SrcRange: hcl.RangeBetween(nameRange, e.Range())}
			continue
		}
		blk := &hclsyntax.Block{Type: name, TypeRange: nameRange}
		for p.peek() == '"' {
			l, r, ok := p.str()
			if !ok {
				return nil, false
			}
			blk.Labels = append(blk.Labels, l)
			blk.LabelRanges = append(blk.LabelRanges, r)
			p.spaces()
		}
		if p.peek() != '{' {
			return nil, false
		}
		blk.OpenBraceRange = p.rng(p.pos())
		p.adv()
		if !p.endOfLine() {
			return nil, false // a single-line block: left to hclsyntax
		}
		inner, ok := p.body(false)
		if !ok || p.peek() != '}' {
			return nil, false
		}
		blk.CloseBraceRange = p.rng(p.pos())
		p.adv()
		if !p.endOfLine() {
			return nil, false
		}
		blk.Body = inner
		b.Blocks = append(b.Blocks, blk)
	}
}

// strListExpr is a list of plain strings as fastParse reads it: the
// strings and their ranges, without a syntax node and a cty value per
// element (a zone listing two million hosts took 1.9 GB that way). It
// evaluates like the tuple hclsyntax would build.
type strListExpr struct {
	hclsyntax.LiteralValueExpr // for the hclsyntax.Expression methods; Val unused
	items                      []item
	rng                        hcl.Range
}

func (l *strListExpr) Value(*hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	if len(l.items) == 0 {
		return cty.EmptyTupleVal, nil
	}
	vs := make([]cty.Value, len(l.items))
	for i, it := range l.items {
		vs[i] = cty.StringVal(it.s)
	}
	return cty.TupleVal(vs), nil
}

func (l *strListExpr) Range() hcl.Range      { return l.rng }
func (l *strListExpr) StartRange() hcl.Range { return l.rng }

// ExprList gives the elements, as hcl.ExprList would find them.
func (l *strListExpr) ExprList() []hcl.Expression {
	out := make([]hcl.Expression, len(l.items))
	for i, it := range l.items {
		out[i] = hcl.StaticExpr(cty.StringVal(it.s), it.r)
	}
	return out
}

// asSyntax returns e as an hclsyntax.Expression (the Attribute field's type).
func asSyntax(e hcl.Expression) hclsyntax.Expression {
	if l, ok := e.(*strListExpr); ok {
		return l
	}
	return e.(hclsyntax.Expression)
}

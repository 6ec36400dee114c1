package segmenthcl

import "github.com/hashicorp/hcl/v2"

// chunk is a run of whole top-level items of a file: src[start.Byte:end].
type chunk struct {
	start hcl.Pos
	end   int
}

// chunkSize is the least size of a chunk: big enough that parsing
// overheads vanish, small enough that syntax trees stay small.
const chunkSize = 256 << 10

// splitTopLevel cuts src into chunks (of at least size bytes) of whole top-level items, at newlines
// outside any bracket, string or comment. It returns nil (parse whole)
// when the file holds anything it does not follow exactly: templates
// ("${", "%{"), heredocs, unbalanced brackets, newlines in strings. A
// wrong cut could only make a chunk fail to parse, which sends the file
// to the whole-file parse; it can never change what a valid file means,
// because every chunk is still parsed by HCL itself.
func splitTopLevel(src []byte, size int) []chunk {
	if len(src) < 2*size {
		return nil
	}
	var out []chunk
	cur := hcl.Pos{Line: 1, Column: 1, Byte: 0}
	line := 1
	depth := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\n':
			line++
			if depth == 0 && i+1-cur.Byte >= size && i+1 < len(src) {
				out = append(out, chunk{cur, i + 1})
				cur = hcl.Pos{Line: line, Column: 1, Byte: i + 1}
			}
		case c == '"':
			for i++; ; i++ {
				if i >= len(src) || src[i] == '\n' {
					return nil
				}
				if src[i] == '\\' {
					i++
					continue
				}
				if (src[i] == '$' || src[i] == '%') && i+1 < len(src) && src[i+1] == '{' {
					return nil // a template: its braces and strings nest
				}
				if src[i] == '"' {
					break
				}
			}
		case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i-- // the newline is handled above
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			for i += 2; ; i++ {
				if i+1 >= len(src) {
					return nil
				}
				if src[i] == '\n' {
					line++
				}
				if src[i] == '*' && src[i+1] == '/' {
					i++
					break
				}
			}
		case c == '<' && i+1 < len(src) && src[i+1] == '<':
			return nil // a heredoc
		case c == '{' || c == '[' || c == '(':
			depth++
		case c == '}' || c == ']' || c == ')':
			if depth--; depth < 0 {
				return nil
			}
		}
	}
	if depth != 0 {
		return nil
	}
	return append(out, chunk{cur, len(src)})
}

package control

import (
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"
	"github.com/hashicorp/hcl/v2"
)

// ScenarioRef is one scenario (or scenario outline) of a feature file and
// the tags it carries.
type ScenarioRef struct {
	// Feature is the file's path within the features FS.
	Feature string
	// Name is the scenario's name.
	Name string
	// Line and Column locate the Scenario keyword (1-based).
	Line, Column int
	// Tags are the scenario's effective tags, in this order: the
	// feature's, the rule's, the scenario's own and, for an outline, those
	// of each Examples block (a tag on an Examples block applies to that
	// block's rows only; here it is counted for the whole outline). A tag
	// written twice appears twice, each with its own range.
	Tags []Tag
}

// HasTag reports whether the scenario carries the tag name ("@x" or "x").
func (s ScenarioRef) HasTag(name string) bool {
	name = "@" + strings.TrimPrefix(name, "@")
	for _, t := range s.Tags {
		if t.Name == name {
			return true
		}
	}
	return false
}

// Tag is a Gherkin tag where it is written.
type Tag struct {
	// Name includes the "@".
	Name  string
	Range hcl.Range
}

// gherkinErrRe matches one of the gherkin parser's errors, "(line:col): msg".
var gherkinErrRe = regexp.MustCompile(`^\((\d+):(\d+)\): (.*)$`)

// ScanFeatures reads every *.feature file under fsys (recursively, in path
// order; names starting with "." are skipped) and returns its scenarios
// with their effective tags. Syntax errors become diagnostics with file,
// line and column; a file with errors contributes no scenarios. Each file
// read is added to src (which may be nil) so diagnostics can show it.
func ScanFeatures(fsys fs.FS, src *Sources) ([]ScenarioRef, hcl.Diagnostics) {
	files, diags := readFiles(fsys, ".feature")
	var refs []ScenarioRef
	for _, f := range files {
		if src != nil {
			src.add(f.name, &hcl.File{Bytes: f.data})
		}
		lines := newLineIndex(f.name, f.data)
		if d := lines.tooLong(); d != nil {
			diags = append(diags, d)
			continue
		}
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(f.data), (&messages.Incrementing{}).NewId)
		if err != nil {
			diags = append(diags, gherkinDiags(lines, err)...)
			continue
		}
		if doc == nil || doc.Feature == nil {
			continue
		}
		refs = append(refs, scenarios(f.name, lines, doc.Feature)...)
	}
	return refs, diags
}

func scenarios(name string, lines lineIndex, feat *messages.Feature) []ScenarioRef {
	var refs []ScenarioRef
	featTags := tags(lines, feat.Tags)
	add := func(inherited []Tag, sc *messages.Scenario) {
		if sc == nil {
			return
		}
		ts := append(append([]Tag(nil), inherited...), tags(lines, sc.Tags)...)
		for _, ex := range sc.Examples {
			if ex != nil {
				ts = append(ts, tags(lines, ex.Tags)...)
			}
		}
		ref := ScenarioRef{Feature: name, Name: sc.Name, Tags: ts}
		if sc.Location != nil {
			ref.Line, ref.Column = int(sc.Location.Line), int(sc.Location.Column)
		}
		refs = append(refs, ref)
	}
	for _, ch := range feat.Children {
		if ch == nil {
			continue
		}
		add(featTags, ch.Scenario)
		if r := ch.Rule; r != nil {
			ruleTags := append(append([]Tag(nil), featTags...), tags(lines, r.Tags)...)
			for _, rc := range r.Children {
				if rc != nil {
					add(ruleTags, rc.Scenario)
				}
			}
		}
	}
	return refs
}

func tags(lines lineIndex, ts []*messages.Tag) []Tag {
	out := make([]Tag, 0, len(ts))
	for _, t := range ts {
		if t == nil || t.Location == nil {
			continue
		}
		start := lines.pos(int(t.Location.Line), int(t.Location.Column))
		out = append(out, Tag{Name: t.Name, Range: lines.span(start, len(t.Name))})
	}
	return out
}

// gherkinDiags turns the gherkin parser's error (a list of "(line:col):
// message" lines after a "Parser errors:" heading) into diagnostics.
func gherkinDiags(lines lineIndex, err error) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, msg := range strings.Split(err.Error(), "\n") {
		if msg == "" || msg == "Parser errors:" {
			continue
		}
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid Gherkin syntax"}
		if m := gherkinErrRe.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			col, _ := strconv.Atoi(m[2])
			start := lines.pos(line, col)
			r := lines.toLineEnd(start)
			d.Subject = &r
			msg = m[3]
		} else {
			r := lines.span(lines.pos(1, 1), 0)
			d.Subject = &r
		}
		d.Detail = sentence(msg)
		diags = append(diags, d)
	}
	return diags
}

// maxLine is the longest line ScanFeatures parses. The gherkin parser
// reads lines with a bufio.Scanner (64 KiB at most) and crashes on a
// longer one; godog, which uses the same parser, would too.
const maxLine = 32 << 10

// tooLong reports the first line longer than maxLine bytes.
func (li lineIndex) tooLong() *hcl.Diagnostic {
	for i := range li.start {
		line := i + 1
		if n := li.lineEnd(line) - li.start[i]; n > maxLine {
			r := li.span(li.pos(line, 1), 40)
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Line too long",
				Detail:   fmt.Sprintf("Line %d is %d bytes long; feature files may have lines of at most %d bytes, which Gherkin parsers can read.", line, n, maxLine),
				Subject:  &r,
			}
		}
	}
	return nil
}

// sentence capitalises msg and ends it with a full stop.
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = strings.ToUpper(string(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// lineIndex converts gherkin's line and (rune) column into hcl positions
// with byte offsets, which snippet rendering needs.
type lineIndex struct {
	name  string
	data  []byte
	start []int // byte offset of each line's start
}

func newLineIndex(name string, data []byte) lineIndex {
	li := lineIndex{name: name, data: data, start: []int{0}}
	for i, b := range data {
		if b == '\n' {
			li.start = append(li.start, i+1)
		}
	}
	return li
}

// pos returns the position at line and column (both 1-based, column in
// runes), clamped into the file.
func (li lineIndex) pos(line, col int) hcl.Pos {
	if line < 1 {
		line, col = 1, 1
	}
	if line > len(li.start) {
		line = len(li.start)
		col = 1 << 30 // end of the last line
	}
	off := li.start[line-1]
	end := li.lineEnd(line)
	c := 1
	for c < col && off < end {
		_, n := utf8.DecodeRune(li.data[off:end])
		off += n
		c++
	}
	return hcl.Pos{Line: line, Column: c, Byte: off}
}

// lineEnd is the byte offset of the end of line (before "\r\n" or "\n").
func (li lineIndex) lineEnd(line int) int {
	end := len(li.data)
	if line < len(li.start) {
		end = li.start[line] - 1
	}
	if end > li.start[line-1] && li.data[end-1] == '\r' {
		end--
	}
	return end
}

// span returns the range of n bytes from start, kept within its line.
func (li lineIndex) span(start hcl.Pos, n int) hcl.Range {
	endByte := min(start.Byte+n, li.lineEnd(start.Line))
	endByte = max(endByte, start.Byte)
	end := start
	end.Byte = endByte
	end.Column += utf8.RuneCount(li.data[start.Byte:endByte])
	return hcl.Range{Filename: li.name, Start: start, End: end}
}

// toLineEnd returns the range from start to the end of its line.
func (li lineIndex) toLineEnd(start hcl.Pos) hcl.Range {
	return li.span(start, li.lineEnd(start.Line)-start.Byte)
}

package oscal

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// RefProblem is a reference in an OSCAL document that does not resolve,
// or an identifier defined twice.
type RefProblem struct {
	// Pointer is the JSON pointer (RFC 6901) of the offending value, such as
	// "/assessment-results/results/0/findings/3/related-observations/0/observation-uuid".
	Pointer string
	// Ref is the value referenced: a uuid, "#" and a uuid, a control id or a
	// file path.
	Ref string
	// Detail says what is wrong, in a few words.
	Detail string
}

func (p RefProblem) String() string {
	return p.At() + ": " + p.Detail
}

// At is the problem's Pointer as text safe to print: Go-quoted and cut
// when a hostile document made it long or unprintable.
func (p RefProblem) At() string { return safeText(p.Pointer) }

// safeText returns s as is when it is short printable text, and Go-quoted
// (and cut) otherwise, so that values from a hostile document cannot forge
// lines of a report.
func safeText(s string) string {
	const max = 200
	cut := false
	if len(s) > max {
		s, cut = strings.ToValidUTF8(s[:max], ""), true
	}
	ok := utf8.ValidString(s)
	for _, r := range s {
		if !ok || !unicode.IsPrint(r) {
			ok = false
			break
		}
	}
	if !ok {
		s = strconv.Quote(s)
	}
	if cut {
		s += "..."
	}
	return s
}

// CheckReferences reads an OSCAL JSON document (assessment results,
// POA&M, or any other model) and reports every cross-reference that the JSON
// schema cannot check:
//
//   - every uuid is defined once;
//   - observation-uuid, finding-uuid, risk-uuid, component-uuid, task-uuid,
//     response-uuid, activity-uuid, party-uuid(s), location-uuids and
//     member-of-organizations name an element of that kind in the document;
//   - subject-uuid and actor-uuid name an element of the kind their sibling
//     "type" says (an inventory-item, component, party, ...; actor type
//     "tool" is a component);
//   - an href of the form "#uuid" names an element of the document;
//   - in assessment results, each finding's target-id is one of the
//     reviewed controls (unless the selection is include-all).
//
// References to other documents (an SSP's statement uuids, for example) are
// not checked. The document is read as a stream, so memory grows with the
// number of identifiers, not the size of the text. The error is for input
// that is not a JSON object holding an OSCAL model, or a read error.
func CheckReferences(r io.Reader) ([]RefProblem, error) {
	return check(r, nil)
}

// Files are the files a document's relative hrefs may name (the other
// files of an evidence bundle): each one's SHA-256, hex, by slash path.
// Signature names, those for which Signed is true, exist without being
// listed (a bundle's manifest does not list itself).
type Files struct {
	Digests map[string]string
	Signed  func(path string) bool
}

// FormatError is a document that is not JSON or holds no OSCAL model.
type FormatError struct{ Err error }

func (e *FormatError) Error() string { return e.Err.Error() }
func (e *FormatError) Unwrap() error { return e.Err }

// maxDepth bounds nesting; OSCAL documents nest a dozen levels deep.
const maxDepth = 256

// CheckReferencesAmong is CheckReferences, and it also checks that every
// relative href names one of files and that every SHA-256 digest declared
// for one (an rlink hash, Ward's sha256 prop of a piece of relevant
// evidence) is that file's.
func CheckReferencesAmong(r io.Reader, files Files) ([]RefProblem, error) {
	return check(r, &files)
}

// check is CheckReferences, with files when not nil. An input that is not
// an OSCAL JSON document gives a *FormatError; other errors are read
// errors.
func check(r io.Reader, files *Files) ([]RefProblem, error) {
	c := &refChecker{
		s:        newJSONScan(r),
		defs:     make(map[string]refDef),
		controls: make(map[string]bool),
		keys:     make(map[string]*internedKey),
		files:    files,
	}
	models, err := c.document()
	if err != nil {
		var se *jsonSyntaxError
		if errors.As(err, &se) {
			return nil, &FormatError{Err: err}
		}
		return nil, err
	}
	if models != 1 {
		return nil, &FormatError{Err: errors.New("not an OSCAL document (no single model at its root)")}
	}
	return c.resolve(), nil
}

type refDef struct {
	kind    string
	pointer string
}

type pendingRef struct {
	pointer, value, field, want string
}

// internedKey is an object key, read once per distinct key, with its
// JSON-pointer form.
type internedKey struct{ key, seg string }

// strField is a string member of the object being read that the check uses.
type strField struct{ key, value, pointer string }

type refChecker struct {
	s    *jsonScan
	keys map[string]*internedKey
	// The JSON pointer of the current value, kept as text (ptr) with the
	// key or index of each level (path) and where each level starts in ptr.
	ptr      []byte
	path     []string // key per level; "" for an array element
	ptrStart []int

	defs     map[string]refDef
	refs     []pendingRef
	problems []RefProblem

	controls   map[string]bool // reviewed control ids
	includeAll bool
	targets    []pendingRef // finding target-ids

	files  *Files
	frames [][]string   // per open object: SHA-256 digests its children declare
	strs   [][]strField // per open object: its strings the check uses, reused
	inRC   int          // depth inside reviewed-controls (> 0: inside)
	inFind int          // depth inside assessment-results findings
	isAR   bool
}

func (c *refChecker) push(k *internedKey) {
	c.ptrStart = append(c.ptrStart, len(c.ptr))
	c.path = append(c.path, k.key)
	c.ptr = append(c.ptr, '/')
	c.ptr = append(c.ptr, k.seg...)
}

func (c *refChecker) pushIndex(i int) {
	c.ptrStart = append(c.ptrStart, len(c.ptr))
	c.path = append(c.path, "")
	c.ptr = append(c.ptr, '/')
	c.ptr = strconv.AppendInt(c.ptr, int64(i), 10)
}

func (c *refChecker) pop() {
	n := len(c.ptrStart) - 1
	c.ptr = c.ptr[:c.ptrStart[n]]
	c.ptrStart = c.ptrStart[:n]
	c.path = c.path[:n]
}

func (c *refChecker) pointer() string { return string(c.ptr) }

func (c *refChecker) document() (models int, err error) {
	b, err := c.s.peek()
	if errors.Is(err, io.EOF) {
		return 0, c.s.syntax("empty input")
	}
	if err != nil {
		return 0, err
	}
	if b != '{' {
		return 0, c.s.syntax("not an OSCAL document (not a JSON object)")
	}
	c.s.pos++
	for first := true; ; first = false {
		k, ok, err := c.nextKey(first)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		key := k.key
		switch key {
		case "catalog", "profile", "mapping-collection", "component-definition", "system-security-plan",
			"assessment-plan", "assessment-results", "plan-of-action-and-milestones":
			models++
		}
		c.isAR = key == "assessment-results"
		c.push(k)
		if err := c.value(key, 1); err != nil {
			return 0, err
		}
		c.pop()
	}
	if _, err := c.s.peek(); !errors.Is(err, io.EOF) {
		if err != nil {
			return 0, err
		}
		return 0, c.s.syntax("trailing data after the document")
	}
	return models, nil
}

// nextKey reads up to the value of the next member of an object whose brace
// has been consumed; ok is false after the closing brace.
func (c *refChecker) nextKey(first bool) (key *internedKey, ok bool, err error) {
	b, err := c.s.peek()
	if err != nil {
		return nil, false, c.eof(err)
	}
	switch {
	case b == '}':
		c.s.pos++
		return nil, false, nil
	case !first && b == ',':
		c.s.pos++
	case !first:
		return nil, false, c.s.syntax("found %q after an object member", b)
	}
	if err := c.s.expect('"'); err != nil {
		return nil, false, err
	}
	raw, err := c.s.str(true)
	if err != nil {
		return nil, false, err
	}
	key, ok = c.keys[string(raw)]
	if !ok {
		k := string(raw)
		key = &internedKey{k, strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")}
		c.keys[k] = key
	}
	if err := c.s.expect(':'); err != nil {
		return nil, false, err
	}
	return key, true, nil
}

func (c *refChecker) eof(err error) error {
	if errors.Is(err, io.EOF) {
		return c.s.eofErr()
	}
	return err
}

// value reads any value. field is the key it is the value of, or the key of
// the array holding it.
func (c *refChecker) value(field string, depth int) error {
	if depth > maxDepth {
		return c.s.syntax("nested more than %d levels deep", maxDepth)
	}
	b, err := c.s.peek()
	if err != nil {
		return c.eof(err)
	}
	switch b {
	case '{':
		c.s.pos++
		return c.object(field, depth+1)
	case '[':
		c.s.pos++
		return c.array(field, depth+1, "")
	case '"':
		c.s.pos++
		_, err := c.s.str(false)
		return err
	}
	return c.s.literal()
}

// keepString reports whether an object member's string value matters to
// the check, given the object's field, and whether its pointer does.
func keepString(key, field string) (keep, pointer bool) {
	switch key {
	case "uuid", "href", "control-id", "target-id":
		return true, true
	case "type":
		return true, false
	case "name", "ns", "algorithm", "value":
		return field == "hashes" || field == "props", false
	}
	k := strings.HasSuffix(key, "-uuid")
	return k, k
}

// object reads an object whose opening brace has been consumed.
func (c *refChecker) object(field string, depth int) error {
	if field == "reviewed-controls" {
		c.inRC++
		defer func() { c.inRC-- }()
	}
	if field == "findings" && c.isAR {
		c.inFind++
		defer func() { c.inFind-- }()
	}
	level := len(c.frames)
	c.frames = append(c.frames, nil)
	if len(c.strs) <= level {
		c.strs = append(c.strs, nil)
	}
	c.strs[level] = c.strs[level][:0]
	for first := true; ; first = false {
		k, ok, err := c.nextKey(first)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		key := k.key
		c.push(k)
		b, err := c.s.peek()
		if err != nil {
			return c.eof(err)
		}
		keep, ptr := keepString(key, field)
		switch {
		case b == '"' && keep:
			c.s.pos++
			v, err := c.s.str(true)
			if err != nil {
				return err
			}
			f := strField{key: key, value: string(v)}
			if ptr {
				f.pointer = c.pointer()
			}
			c.strs[level] = append(c.strs[level], f)
		case b == '[' && uuidListKind(key) != "":
			c.s.pos++
			err = c.array(key, depth+1, uuidListKind(key))
		default:
			err = c.value(key, depth)
		}
		if err != nil {
			return err
		}
		c.pop()
	}
	strs := c.strs[level]
	digests := c.frames[level]
	c.frames = c.frames[:level]

	typ, name, ns, algorithm, value, href, hrefPtr := "", "", "", "", "", "", ""
	for _, s := range strs {
		switch s.key {
		case "type":
			typ = s.value
		case "name":
			name = s.value
		case "ns":
			ns = s.value
		case "algorithm":
			algorithm = s.value
		case "value":
			value = s.value
		case "href":
			href, hrefPtr = s.value, s.pointer
		}
	}
	// A hash of an rlink, or Ward's sha256 prop of a piece of relevant
	// evidence: hand the digest to the object that holds it.
	if level > 0 && (field == "hashes" && strings.EqualFold(algorithm, "SHA-256") ||
		field == "props" && name == "sha256" && ns == WardNamespace) {
		c.frames[level-1] = append(c.frames[level-1], value)
	}
	if href != "" && len(digests) > 0 {
		c.checkDigests(hrefPtr, href, digests)
	}
	for _, s := range strs {
		switch {
		case s.key == "uuid":
			if prev, dup := c.defs[s.value]; dup {
				c.problems = append(c.problems, RefProblem{s.pointer, s.value, fmt.Sprintf("uuid %s is defined twice (first at %s)", safeText(s.value), safeText(prev.pointer))})
			} else {
				c.defs[s.value] = refDef{elementKind(field), s.pointer}
			}
		case s.key == "href":
			c.href(s.pointer, s.value)
		case s.key == "control-id" && field == "include-controls" && c.inRC > 0:
			c.controls[s.value] = true
		case s.key == "target-id" && field == "target" && c.inFind > 0:
			c.targets = append(c.targets, pendingRef{s.pointer, s.value, s.key, ""})
		case strings.HasSuffix(s.key, "-uuid"):
			if want, ok := uuidRefKind(s.key, typ); ok {
				c.refs = append(c.refs, pendingRef{s.pointer, s.value, s.key, want})
			}
		}
	}
	if field == "include-all" && c.inRC > 0 {
		c.includeAll = true
	}
	return nil
}

// array reads an array whose bracket has been consumed. With want, its
// string elements are references to elements of that kind.
func (c *refChecker) array(field string, depth int, want string) error {
	for i := 0; ; i++ {
		b, err := c.s.peek()
		if err != nil {
			return c.eof(err)
		}
		switch {
		case b == ']':
			c.s.pos++
			return nil
		case i > 0 && b == ',':
			c.s.pos++
		case i > 0:
			return c.s.syntax("found %q after an array element", b)
		}
		c.pushIndex(i)
		if b, err = c.s.peek(); err != nil {
			return c.eof(err)
		}
		if want != "" && b == '"' {
			c.s.pos++
			v, err := c.s.str(true)
			if err != nil {
				return err
			}
			c.refs = append(c.refs, pendingRef{c.pointer(), string(v), field, want})
		} else if err := c.value(field, depth); err != nil {
			return err
		}
		c.pop()
	}
}

// href records a "#uuid" reference, and with a file list checks relative
// references to files of the bundle.
func (c *refChecker) href(pointer, href string) {
	if frag, ok := strings.CutPrefix(href, "#"); ok {
		c.refs = append(c.refs, pendingRef{pointer, frag, "href", ""})
		return
	}
	if c.files == nil {
		return
	}
	p, ok := RelativePath(href)
	if !ok {
		return
	}
	if _, ok := c.files.Digests[p]; !ok && (c.files.Signed == nil || !c.files.Signed(p)) {
		c.problems = append(c.problems, RefProblem{pointer, href, fmt.Sprintf("href %s names no file of the bundle", safeText(href))})
	}
}

// bundleRef returns the bundle path a relative href refers to; ok is false
// for absolute URLs, fragments and absolute paths.
func RelativePath(href string) (string, bool) {
	u, err := url.Parse(href)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.Path == "" || strings.HasPrefix(u.Path, "/") {
		return "", false
	}
	return u.Path, true
}

// checkDigests compares the SHA-256 digests an rlink or a piece of relevant
// evidence declares for href with the manifest's.
func (c *refChecker) checkDigests(pointer, href string, digests []string) {
	if c.files == nil {
		return
	}
	p, ok := RelativePath(href)
	if !ok {
		return
	}
	want, ok := c.files.Digests[p]
	if !ok {
		return // reported by href
	}
	for _, d := range digests {
		if !strings.EqualFold(d, want) {
			c.problems = append(c.problems, RefProblem{pointer, href, fmt.Sprintf("declares SHA-256 %s for %s, the manifest says %s", safeText(d), safeText(p), want)})
		}
	}
}

func (c *refChecker) resolve() []RefProblem {
	for _, r := range c.refs {
		d, ok := c.defs[r.value]
		switch {
		case !ok && r.field == "href":
			c.problems = append(c.problems, RefProblem{r.pointer, "#" + r.value, fmt.Sprintf("href #%s names no element of the document", safeText(r.value))})
		case !ok:
			c.problems = append(c.problems, RefProblem{r.pointer, r.value, fmt.Sprintf("%s %s names no %s in the document", r.field, safeText(r.value), cmp.Or(r.want, "element"))})
		case r.want != "" && d.kind != r.want:
			c.problems = append(c.problems, RefProblem{r.pointer, r.value, fmt.Sprintf("%s %s names a %s (%s), not a %s", r.field, safeText(r.value), safeText(d.kind), safeText(d.pointer), r.want)})
		}
	}
	if !c.includeAll {
		for _, t := range c.targets {
			if !c.controls[t.value] {
				c.problems = append(c.problems, RefProblem{t.pointer, t.value, fmt.Sprintf("target-id %s is not one of the reviewed controls", safeText(t.value))})
			}
		}
	}
	slices.SortStableFunc(c.problems, func(a, b RefProblem) int { return strings.Compare(a.Pointer, b.Pointer) })
	return c.problems
}

// elementKind names what an object holding a uuid defines, from the key of
// the array (or field) it sits in: "observations" -> "observation".
func elementKind(field string) string {
	switch field {
	case "remediations":
		return "response"
	case "parties":
		return "party"
	case "activities":
		return "activity"
	case "assessment-results", "plan-of-action-and-milestones", "assessment-plan", "system-security-plan",
		"catalog", "profile", "component-definition", "mapping-collection":
		return "document"
	}
	if k, ok := strings.CutSuffix(field, "s"); ok {
		return k
	}
	return field
}

// uuidRefKind is the kind of element a *-uuid field must name, given the
// "type" field beside it. ok is false for fields Ward does not check
// (references into other documents).
func uuidRefKind(key, typ string) (kind string, ok bool) {
	switch key {
	case "observation-uuid":
		return "observation", true
	case "finding-uuid":
		return "finding", true
	case "risk-uuid":
		return "risk", true
	case "component-uuid":
		return "component", true
	case "task-uuid":
		return "task", true
	case "response-uuid":
		return "response", true
	case "activity-uuid":
		return "activity", true
	case "party-uuid":
		return "party", true
	case "subject-uuid":
		switch typ {
		case "component", "inventory-item", "location", "party", "user", "resource":
			return typ, true
		}
		return "", true
	case "actor-uuid":
		switch typ {
		case "tool":
			return "component", true
		case "assessment-platform", "party":
			return typ, true
		}
		return "", true
	}
	return "", false
}

// uuidListKind is the kind the strings of a uuid-list field must name.
func uuidListKind(key string) string {
	switch key {
	case "party-uuids", "member-of-organizations":
		return "party"
	case "location-uuids":
		return "location"
	}
	return ""
}

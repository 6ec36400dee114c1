package harness

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v21"
)

// featureIndex maps godog's pickles back to the Gherkin source, for the
// line numbers and step keywords the evidence shows. godog numbers AST nodes
// with a fresh incrementing generator on every parse, so parsing the same
// files again yields the same ids.
type featureIndex struct {
	nodes map[string]node // AST node id -> where it is
	names map[string]string
}

type node struct {
	line    int
	keyword string
	uri     string
}

type location struct {
	id       string
	feature  string
	line     int
	keywords []string
}

func (r *Runner) index() (*featureIndex, error) {
	suite := godog.TestSuite{Options: &godog.Options{FS: r.features, Paths: []string{"."}}}
	feats, err := suite.RetrieveFeatures()
	if err != nil {
		return nil, fmt.Errorf("%w: features: %w", ErrConfig, err)
	}
	idx := &featureIndex{nodes: map[string]node{}, names: map[string]string{}}
	for _, f := range feats {
		doc := f.GherkinDocument
		if doc == nil || doc.Feature == nil {
			continue
		}
		idx.names[doc.Uri] = doc.Feature.Name
		var addScenario func(sc *messages.Scenario)
		addSteps := func(steps []*messages.Step) {
			for _, st := range steps {
				idx.nodes[st.Id] = node{line: int(st.Location.Line), keyword: strings.TrimSpace(st.Keyword), uri: doc.Uri}
			}
		}
		addScenario = func(sc *messages.Scenario) {
			idx.nodes[sc.Id] = node{line: int(sc.Location.Line), uri: doc.Uri}
			addSteps(sc.Steps)
			for _, ex := range sc.Examples {
				for _, row := range ex.TableBody {
					idx.nodes[row.Id] = node{line: int(row.Location.Line), uri: doc.Uri}
				}
			}
		}
		for _, c := range doc.Feature.Children {
			switch {
			case c.Background != nil:
				addSteps(c.Background.Steps)
			case c.Scenario != nil:
				addScenario(c.Scenario)
			case c.Rule != nil:
				for _, rc := range c.Rule.Children {
					if rc.Background != nil {
						addSteps(rc.Background.Steps)
					}
					if rc.Scenario != nil {
						addScenario(rc.Scenario)
					}
				}
			}
		}
	}
	return idx, nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// locate names a pickle: its line is the example row's for outlines, else
// the scenario's; its id is "<feature path>-L<line>", unique and safe as a
// directory name.
func (idx *featureIndex) locate(p *godog.Scenario) location {
	loc := location{feature: idx.names[p.Uri]}
	for _, id := range p.AstNodeIds {
		if n, ok := idx.nodes[id]; ok {
			loc.line = n.line // the last one (the example row) wins
		}
	}
	for _, st := range p.Steps {
		kw := ""
		if len(st.AstNodeIds) > 0 {
			kw = idx.nodes[st.AstNodeIds[0]].keyword
		}
		loc.keywords = append(loc.keywords, kw)
	}
	base := strings.TrimSuffix(p.Uri, path.Ext(p.Uri))
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(base), "-"), "-")
	loc.id = fmt.Sprintf("%s-L%03d", slug, loc.line)
	return loc
}

package questionnaire

import (
	"bytes"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Marshal writes t as a template file: fields in the order a reader
// expects, defaults left out. Parse reads it back to the same template.
func Marshal(t *Template) ([]byte, error) {
	root := mapNode()
	addStr(root, "id", t.ID)
	addStr(root, "version", t.Version)
	addStr(root, "title", t.Title)
	addStr(root, "description", t.Description)
	sections := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range t.Sections {
		sn := mapNode()
		addStr(sn, "id", s.ID)
		addStr(sn, "title", s.Title)
		addStr(sn, "help", s.Help)
		qs := &yaml.Node{Kind: yaml.SequenceNode}
		for i := range s.Questions {
			qs.Content = append(qs.Content, questionNode(&s.Questions[i]))
		}
		add(sn, "questions", qs)
		sections.Content = append(sections.Content, sn)
	}
	add(root, "sections", sections)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func questionNode(q *Question) *yaml.Node {
	n := mapNode()
	addStr(n, "id", q.ID)
	addStr(n, "text", q.Text)
	addStr(n, "help", q.Help)
	addStr(n, "type", string(q.Type))
	if q.Required {
		add(n, "required", plain("true"))
	}
	if q.Weight != defaultWeight(q.Type) {
		add(n, "weight", number(q.Weight))
	}
	if q.Severity != "" && q.Severity != Medium {
		addStr(n, "severity", string(q.Severity))
	}
	if q.Evidence {
		add(n, "evidence", plain("true"))
	}
	if q.NA {
		add(n, "na", plain("true"))
	}
	addStr(n, "when", q.When)
	addList(n, "controls", q.Controls)
	addList(n, "hipaa", q.HIPAA)
	if len(q.Choices) > 0 {
		cs := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range q.Choices {
			cn := mapNode()
			addStr(cn, "value", c.Value)
			addStr(cn, "label", c.Label)
			if c.Score != 0 {
				add(cn, "score", number(c.Score))
			}
			if len(c.Label) <= 60 {
				cn.Style = yaml.FlowStyle
			}
			cs.Content = append(cs.Content, cn)
		}
		add(n, "choices", cs)
	}
	if q.Min != nil {
		add(n, "min", number(*q.Min))
	}
	if q.Max != nil {
		add(n, "max", number(*q.Max))
	}
	if q.MaxLength != 0 {
		add(n, "max_length", plain(strconv.Itoa(q.MaxLength)))
	}
	return n
}

func mapNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

// str is a string the encoder quotes whenever it would read as something
// else, such as "2026.1" or "true". It also quotes the words older YAML
// readers take for true and false (yes, no, on, off), for people and
// tools that still read YAML 1.1.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "on", "off":
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func plain(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func number(f float64) *yaml.Node { return plain(strconv.FormatFloat(f, 'f', -1, 64)) }

func add(m *yaml.Node, key string, v *yaml.Node) { m.Content = append(m.Content, str(key), v) }

func addStr(m *yaml.Node, key, v string) {
	if v != "" {
		add(m, key, str(v))
	}
}

func addList(m *yaml.Node, key string, vs []string) {
	if len(vs) == 0 {
		return
	}
	l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range vs {
		l.Content = append(l.Content, str(v))
	}
	add(m, key, l)
}

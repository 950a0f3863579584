package questionnaire

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"dossier/internal/text"

	"go.yaml.in/yaml/v3"
)

var (
	templateIDRe = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	itemIDRe     = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	choiceRe     = regexp.MustCompile(`^[a-z0-9_]+$`)
	controlRe    = regexp.MustCompile(`^[5-8]\.\d{1,2}$`)
	// A HIPAA Security Rule reference: 164.302 to 164.318 with optional
	// paragraph parts, "164.308(a)(1)(ii)(A)".
	hipaaRe         = regexp.MustCompile(`^164\.3(0[2-9]|1[0-8])(\([0-9A-Za-z]{1,6}\))*$`)
	yamlErrorRe     = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)
	unknownAnchorRe = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

var (
	templateFields = []string{"id", "version", "title", "description", "sections"}
	sectionFields  = []string{"id", "title", "help", "questions"}
	questionFields = []string{"id", "text", "help", "type", "required", "weight", "severity", "evidence",
		"na", "when", "controls", "hipaa", "choices", "min", "max", "max_length"}
	choiceFields = []string{"value", "label", "score"}
)

// Parse reads one template from YAML. file names it in messages. Parse is
// strict: an unknown field, a value of the wrong type or any broken rule
// is an error. It reports every problem it finds, each as "file:line:
// reason", joined and sorted by line.
func Parse(file string, data []byte) (*Template, error) {
	p := &parser{file: file}
	t := p.template(data)
	if len(p.probs) > 0 {
		return nil, p.err()
	}
	t.File = file
	t.Source = bytes.Clone(data)
	sum := sha256.Sum256(data)
	t.Hash = hex.EncodeToString(sum[:])
	return t, nil
}

// Load parses every .yaml and .yml file directly in dir of fsys (not in
// sub-folders) and returns the templates sorted by ID. It reports the
// problems of every file at once, and refuses two files that use the same
// template id.
func Load(fsys fs.FS, dir string) ([]*Template, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("questionnaire templates: %w", err)
	}
	var (
		out   []*Template
		errs  []error
		files = make(map[string]string) // template id → file
	)
	for _, e := range entries {
		ext := strings.ToLower(path.Ext(e.Name()))
		if e.IsDir() || ext != ".yaml" && ext != ".yml" {
			continue
		}
		name := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		t, err := Parse(name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, ok := files[t.ID]; ok {
			errs = append(errs, fmt.Errorf("%s:%d: template id %s is also used by %s", name, t.idLine, t.ID, other))
			continue
		}
		files[t.ID] = name
		out = append(out, t)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(out, func(a, b *Template) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

type problem struct {
	line int
	msg  string
}

type parser struct {
	file  string
	probs []problem
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.probs = append(p.probs, problem{line, fmt.Sprintf(format, args...)})
}

func (p *parser) err() error {
	slices.SortStableFunc(p.probs, func(a, b problem) int { return cmp.Compare(a.line, b.line) })
	errs := make([]error, len(p.probs))
	for i, pr := range p.probs {
		errs[i] = fmt.Errorf("%s:%d: %s", p.file, pr.line, pr.msg)
	}
	return errors.Join(errs...)
}

// syntax reports a YAML syntax error, which yaml.v3 words as
// "yaml: line N: reason".
func (p *parser) syntax(err error, data []byte) {
	if m := yamlErrorRe.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		if strings.HasPrefix(m[2], "did not find expected") {
			// yaml.v3 counts lines from 0 for these, where the
			// unfinished list, mapping or document starts
			line++
		}
		p.errorf(line, "%s", m[2])
		return
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := unknownAnchorRe.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line = bytes.Count(data[:i], []byte("\n")) + 1
		}
	}
	p.errorf(line, "%s", msg)
}

func (p *parser) template(data []byte) *Template {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			p.errorf(1, "the file is empty")
		} else {
			p.syntax(err, data)
		}
		return nil
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		p.errorf(more.Line, "only one template per file: remove the second YAML document")
	} else if err != io.EOF {
		p.syntax(err, data)
	}
	if len(doc.Content) == 0 {
		p.errorf(1, "the file is empty")
		return nil
	}
	root := doc.Content[0]

	t := &Template{}
	m := p.mapping(root, "template", templateFields)
	if m == nil {
		return t
	}
	t.ID, t.idLine = p.str(m, "id", "template", true), root.Line
	if n := m.v["id"]; n != nil {
		t.idLine = n.Line
		if t.ID != "" && !templateIDRe.MatchString(t.ID) {
			p.errorf(n.Line, "template id %q: use lower-case letters, digits and '-', starting with a letter", t.ID)
		}
	}
	t.Version = p.str(m, "version", "template", true)
	t.Title = p.str(m, "title", "template", true)
	t.Description = p.str(m, "description", "template", false)

	sections := m.v["sections"]
	if sections == nil {
		p.errorf(root.Line, "template: sections is missing")
		return t
	}
	if p.sequence(sections, "template: sections") {
		if len(sections.Content) == 0 {
			p.errorf(m.keys["sections"], "template: sections is empty")
		}
		seen := make(map[string]int)
		for _, n := range sections.Content {
			s, idLine, ok := p.section(n)
			if !ok {
				continue
			}
			if s.ID != "" {
				if line, dup := seen[s.ID]; dup {
					p.errorf(idLine, "section id %s is also used at line %d", s.ID, line)
				} else {
					seen[s.ID] = idLine
				}
			}
			t.Sections = append(t.Sections, s)
		}
	}
	p.index(t)
	p.conditions(t)
	return t
}

func (p *parser) section(n *yaml.Node) (s Section, idLine int, ok bool) {
	what := named("section", n)
	m := p.mapping(n, what, sectionFields)
	if m == nil {
		return s, 0, false
	}
	s.ID, idLine = p.str(m, "id", what, true), n.Line
	if id := m.v["id"]; id != nil {
		idLine = id.Line
		if s.ID != "" {
			what = "section " + s.ID
			if !itemIDRe.MatchString(s.ID) {
				p.errorf(id.Line, "section id %q: use lower-case letters, digits and '_', starting with a letter", s.ID)
			}
		}
	}
	s.Title = p.str(m, "title", what, true)
	s.Help = p.str(m, "help", what, false)
	qs := m.v["questions"]
	if qs == nil {
		p.errorf(n.Line, "%s: has no questions", what)
		return s, idLine, true
	}
	if p.sequence(qs, what+": questions") {
		if len(qs.Content) == 0 {
			p.errorf(m.keys["questions"], "%s: has no questions", what)
		}
		for _, qn := range qs.Content {
			if q, ok := p.question(qn); ok {
				s.Questions = append(s.Questions, q)
			}
		}
	}
	return s, idLine, true
}

func (p *parser) question(n *yaml.Node) (Question, bool) {
	q := Question{line: n.Line}
	what := named("question", n)
	m := p.mapping(n, what, questionFields)
	if m == nil {
		return q, false
	}
	q.ID = p.str(m, "id", what, true)
	if id := m.v["id"]; id != nil && q.ID != "" {
		what = "question " + q.ID
		if !itemIDRe.MatchString(q.ID) {
			p.errorf(id.Line, "question id %q: use lower-case letters, digits and '_', starting with a letter", q.ID)
		}
	}
	q.Text = p.str(m, "text", what, true)
	q.Help = p.str(m, "help", what, false)
	const types = "yesno, single, multi, text, longtext, number, date or file"
	if tn := m.v["type"]; tn == nil {
		p.errorf(n.Line, "%s: type is missing (%s)", what, types)
	} else if s, ok := p.scalarText(tn, what+": type"); ok {
		switch t := Type(s); t {
		case YesNo, Single, Multi, Text, LongText, Number, Date, File:
			q.Type = t
		default:
			p.errorf(tn.Line, "%s: unknown type %q (%s)", what, s, types)
		}
	}
	q.Required = p.boolean(m, "required", what)
	q.Evidence = p.boolean(m, "evidence", what)
	q.NA = p.boolean(m, "na", what)
	q.When = p.str(m, "when", what, false)
	if w := m.v["when"]; w != nil {
		q.whenLine = w.Line
		if w.Tag == "!!str" && strings.TrimSpace(q.When) == "" {
			p.errorf(w.Line, "%s: when is empty: remove it to always show the question", what)
		}
	}

	q.Weight = defaultWeight(q.Type)
	if wn := m.v["weight"]; wn != nil {
		if w, ok := p.number(wn, what+": weight"); ok {
			switch {
			case w < 0:
				p.errorf(wn.Line, "%s: weight must be 0 or more", what)
			case textLike(q.Type) && w != 0:
				p.errorf(wn.Line, "%s: %s questions are not scored: remove the weight", what, q.Type)
			}
			q.Weight = w
		}
	}

	q.Severity = Medium
	if sn := m.v["severity"]; sn != nil {
		if s, ok := p.scalarText(sn, what+": severity"); ok {
			switch s := Severity(s); s {
			case Low, Medium, High, Critical:
				q.Severity = s
			default:
				p.errorf(sn.Line, "%s: unknown severity %q (low, medium, high or critical)", what, s)
			}
		}
	}

	q.Controls = p.strList(m, "controls", what)
	seen := make(map[string]bool)
	for i, c := range q.Controls {
		line := m.v["controls"].Content[i].Line
		if _, ok := ControlName(c); !ok {
			p.errorf(line, "%s: %q is not an ISO/IEC 27001:2022 Annex A control (5.1–5.37, 6.1–6.8, 7.1–7.14, 8.1–8.34)", what, c)
		} else if seen[c] {
			p.errorf(line, "%s: control %s is listed twice", what, c)
		}
		seen[c] = true
	}
	q.HIPAA = p.strList(m, "hipaa", what)
	for i, h := range q.HIPAA {
		line := m.v["hipaa"].Content[i].Line
		if !hipaaRe.MatchString(h) {
			p.errorf(line, "%s: %q is not a HIPAA Security Rule section (164.302 to 164.318, such as 164.308(a)(1)(ii)(A))", what, h)
		} else if seen[h] {
			p.errorf(line, "%s: HIPAA section %s is listed twice", what, h)
		}
		seen[h] = true
	}

	p.typeRules(&q, m, what)
	return q, true
}

// typeRules checks the fields that belong to some types only.
func (p *parser) typeRules(q *Question, m *fields, what string) {
	only := func(field string, ok bool, types string) {
		if m.v[field] != nil && !ok && q.Type != "" {
			p.errorf(m.keys[field], "%s: %s applies to %s questions only", what, field, types)
		}
	}
	only("na", q.Type == YesNo, "yesno")
	only("choices", q.Type == YesNo || q.Type == Single || q.Type == Multi, "yesno, single and multi")
	only("min", q.Type == Number, "number")
	only("max", q.Type == Number, "number")
	only("max_length", q.Type == Text || q.Type == LongText, "text and longtext")
	if q.Type == File && q.Evidence {
		p.errorf(m.keys["evidence"], "%s: a file question is its own evidence: remove evidence", what)
	}

	if n := m.v["min"]; n != nil {
		if f, ok := p.number(n, what+": min"); ok {
			q.Min = &f
		}
	}
	if n := m.v["max"]; n != nil {
		if f, ok := p.number(n, what+": max"); ok {
			q.Max = &f
		}
	}
	if q.Min != nil && q.Max != nil && *q.Min > *q.Max {
		p.errorf(m.v["max"].Line, "%s: max %v is less than min %v", what, *q.Max, *q.Min)
	}

	if n := m.v["max_length"]; n != nil {
		var v int
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
			p.errorf(n.Line, "%s: max_length: expected a whole number, found %s", what, describe(n))
		} else {
			limit := textMaxLengthLimit
			if q.Type == LongText {
				limit = longTextMaxLengthLimit
			}
			if v < 1 || v > limit {
				p.errorf(n.Line, "%s: max_length must be between 1 and %d for %s questions", what, limit, q.Type)
			}
			q.MaxLength = v
		}
	}

	cn := m.v["choices"]
	if cn != nil {
		q.Choices = p.choices(cn, q.Type, what)
	}
	if (q.Type == Single || q.Type == Multi) && len(q.Choices) < 2 {
		line := q.line
		if cn != nil {
			line = m.keys["choices"]
		}
		if cn == nil || p.isSequence(cn) {
			p.errorf(line, "%s: %s questions need at least 2 choices", what, q.Type)
		}
	}
}

func (p *parser) choices(n *yaml.Node, t Type, what string) []Choice {
	if !p.sequence(n, what+": choices") {
		return nil
	}
	var out []Choice
	seen := make(map[string]int)
	for _, cn := range n.Content {
		m := p.mapping(cn, what+": choice", choiceFields)
		if m == nil {
			continue
		}
		c := Choice{
			Value: p.str(m, "value", what+": choice", true),
			Label: p.str(m, "label", what+": choice", t != YesNo),
		}
		cw := what + ": choice " + c.Value
		switch {
		case c.Value == "":
		case t == YesNo && c.Value != Yes && c.Value != No:
			p.errorf(m.v["value"].Line, "%s: choice %q: a yesno question may only set the scores of yes and no", what, c.Value)
		case !choiceRe.MatchString(c.Value):
			p.errorf(m.v["value"].Line, "%s: choice value %q: use lower-case letters, digits and '_'", what, c.Value)
		}
		if line, dup := seen[c.Value]; dup && c.Value != "" {
			p.errorf(cn.Line, "%s: choice %s is also listed at line %d", what, c.Value, line)
		} else {
			seen[c.Value] = cn.Line
		}
		if sn := m.v["score"]; sn != nil {
			if f, ok := p.number(sn, cw+": score"); ok {
				if f < 0 || f > 1 {
					p.errorf(sn.Line, "%s: score must be between 0 and 1", cw)
				}
				c.Score = f
			}
		}
		out = append(out, c)
	}
	return out
}

// index records the questions in document order and refuses duplicates.
func (p *parser) index(t *Template) {
	t.index = make(map[string]*Question)
	for i := range t.Sections {
		for j := range t.Sections[i].Questions {
			q := &t.Sections[i].Questions[j]
			if q.ID == "" {
				continue
			}
			if other, dup := t.index[q.ID]; dup {
				p.errorf(q.line, "question id %s is also used at line %d", q.ID, other.line)
				continue
			}
			t.index[q.ID] = q
			t.order = append(t.order, q)
		}
	}
}

// conditions compiles every condition, binds it to the questions it
// names and refuses conditions that cannot work.
func (p *parser) conditions(t *Template) {
	deps := make(map[*Question][]*Question)
	for _, q := range t.order {
		if strings.TrimSpace(q.When) == "" {
			continue
		}
		what := "question " + q.ID + ": when"
		e, err := parseCond(q.When)
		if err != nil {
			p.errorf(q.whenLine, "%s: %v", what, err)
			continue
		}
		ok := true
		for _, a := range atoms(e) {
			ref, found := t.index[a.id]
			switch {
			case !found:
				p.errorf(q.whenLine, "%s: unknown question %q at column %d", what, a.id, a.col)
				ok = false
				continue
			case ref == q:
				p.errorf(q.whenLine, "%s: the condition refers to the question itself at column %d", what, a.col)
				ok = false
				continue
			}
			a.q = ref
			if vs := ref.values(); a.op != "" && vs != nil && !slices.Contains(vs, a.value) {
				p.errorf(q.whenLine, "%s: %s is not an answer of question %s (%s) at column %d",
					what, quote(a.value), ref.ID, strings.Join(vs, ", "), a.vcol)
				ok = false
			}
			if !slices.Contains(deps[q], ref) {
				deps[q] = append(deps[q], ref)
			}
		}
		if ok {
			q.cond = e
		}
	}
	for _, c := range cycles(t.order, deps) {
		ids := make([]string, len(c))
		for i, q := range c {
			ids[i] = q.ID
		}
		p.errorf(c[0].whenLine, "question %s: when: condition cycle: %s", c[0].ID, strings.Join(ids, " → "))
	}
}

// cycles finds the cycles among conditions, each once, starting at its
// question that comes first in the document and ending where it began.
func cycles(order []*Question, deps map[*Question][]*Question) [][]*Question {
	pos := make(map[*Question]int, len(order))
	for i, q := range order {
		pos[q] = i
	}
	const (
		white = iota
		grey
		black
	)
	color := make(map[*Question]int)
	var (
		stack []*Question
		out   [][]*Question
		seen  = make(map[string]bool)
	)
	var visit func(q *Question)
	visit = func(q *Question) {
		color[q] = grey
		stack = append(stack, q)
		for _, d := range deps[q] {
			switch color[d] {
			case white:
				visit(d)
			case grey:
				i := slices.Index(stack, d)
				c := slices.Clone(stack[i:])
				first := 0
				for k := range c {
					if pos[c[k]] < pos[c[first]] {
						first = k
					}
				}
				c = append(c[first:], c[:first]...)
				c = append(c, c[0])
				key := fmt.Sprint(c)
				if !seen[key] {
					seen[key] = true
					out = append(out, c)
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[q] = black
	}
	for _, q := range order {
		if color[q] == white {
			visit(q)
		}
	}
	return out
}

// named words a section or question for messages, by its id when the
// mapping has a usable one.
func named(kind string, n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return kind
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "id" && v.Kind == yaml.ScalarNode && v.Value != "" {
			return kind + " " + v.Value
		}
	}
	return kind
}

// fields are the values of a mapping by key, and the mapping's line.
type fields struct {
	line int
	v    map[string]*yaml.Node
	keys map[string]int // line of each key
}

// mapping checks that n is a mapping with known keys only, each once, and
// returns its values by key. It returns nil when n is not a mapping.
func (p *parser) mapping(n *yaml.Node, what string, known []string) *fields {
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, "%s: expected a mapping of fields, found %s", what, describe(n))
		return nil
	}
	m := &fields{line: n.Line, v: make(map[string]*yaml.Node, len(n.Content)/2), keys: make(map[string]int)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k.Line, "%s: expected a field name, found %s", what, describe(k))
			continue
		}
		if !slices.Contains(known, k.Value) {
			msg := fmt.Sprintf("%s: unknown field %q", what, k.Value)
			if s := suggest(k.Value, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			p.errorf(k.Line, "%s", msg)
			continue
		}
		if line, dup := m.keys[k.Value]; dup {
			p.errorf(k.Line, "%s: field %s is also set at line %d", what, k.Value, line)
			continue
		}
		m.keys[k.Value] = k.Line
		m.v[k.Value] = v
	}
	return m
}

func (p *parser) isSequence(n *yaml.Node) bool { return n.Kind == yaml.SequenceNode }

func (p *parser) sequence(n *yaml.Node, what string) bool {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, "%s: expected a list, found %s", what, describe(n))
		return false
	}
	return true
}

// str returns the text of m.v[key]. Numbers are taken as written, so
// version: 2026.10 stays "2026.10".
func (p *parser) str(m *fields, key, what string, required bool) string {
	n := m.v[key]
	if n == nil {
		if required {
			p.errorf(m.line, "%s: %s is missing", what, key)
		}
		return ""
	}
	s, ok := p.scalarText(n, what+": "+key)
	if ok && required && strings.TrimSpace(s) == "" {
		p.errorf(n.Line, "%s: %s is empty", what, key)
	}
	return s
}

func (p *parser) scalarText(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" {
		p.errorf(n.Line, "%s: expected text, found %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) strList(m *fields, key, what string) []string {
	n := m.v[key]
	if n == nil || !p.sequence(n, what+": "+key) {
		return nil
	}
	var out []string
	for _, e := range n.Content {
		if s, ok := p.scalarText(e, what+": "+key); ok {
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) boolean(m *fields, key, what string) bool {
	n := m.v[key]
	if n == nil {
		return false
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		p.errorf(n.Line, "%s: %s: expected true or false, found %s", what, key, describe(n))
	}
	return b
}

func (p *parser) number(n *yaml.Node, what string) (float64, bool) {
	var f float64
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" && n.Tag != "!!float" || n.Decode(&f) != nil ||
		math.IsNaN(f) || math.IsInf(f, 0) {
		p.errorf(n.Line, "%s: expected a number, found %s", what, describe(n))
		return 0, false
	}
	return f, true
}

// describe words a node for an error message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias (anchors and aliases are not supported: write the value out)"
	}
	switch n.Tag {
	case "!!null":
		return "no value"
	case "!!bool":
		return n.Value + " (true/false)"
	case "!!str":
		return strconv.Quote(text.Shorten(n.Value, 40))
	}
	return n.Value
}

// suggest returns the known name closest to s when it is a likely typo.
func suggest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

package questionnaire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"path"
	"regexp"
	"slices"
	"strings"

	"dossier/internal/text"
)

// ImportVSAQ converts a questionnaire in Google's VSAQ format
// (github.com/google/vsaq, such as questionnaires/webapp.json) into a
// template. name is the file name; it gives the template id. The template
// passes Parse; the warnings say what could not be carried over and need a
// person's review before the template is used.
//
// Blocks at the top (under VSAQ's one root block) become sections; nested
// blocks are flattened into their section, their condition added to each
// of their items' and their heading put before the help of their first
// question. info text becomes help of the question after it, tip text help
// of the question it is about. A tip with warn "yes" sets that question's
// severity and, where its condition shows which answers are bad, the
// choices' scores. Choice questions whose bad answers no tip names are not
// scored (weight 0).
func ImportVSAQ(name string, data []byte) (*Template, []string, error) {
	js, src, err := strictJSON(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	items, err := decodeVSAQ(js)
	if err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			err = fmt.Errorf("line %d: %v", lineAt(data, srcOffset(src, se.Offset)), err)
		case errors.As(err, &te):
			err = fmt.Errorf("line %d: %v", lineAt(data, srcOffset(src, te.Offset)), err)
		}
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	im := &importer{refs: make(map[string]vsaqRef), tipConds: make(map[string]string), ids: make(map[string]bool)}
	t := im.build(name, items)
	if len(im.questions) == 0 {
		return nil, im.warnings, fmt.Errorf("%s: no questions found", name)
	}
	out, err := Marshal(t)
	if err != nil {
		return nil, im.warnings, fmt.Errorf("%s: %w", name, err)
	}
	parsed, err := Parse(t.ID+".yaml", out)
	if err != nil {
		return nil, im.warnings, fmt.Errorf("%s: the imported template does not pass its checks: %w", name, err)
	}
	return parsed, im.warnings, nil
}

func srcOffset(src []int, off int64) int {
	switch {
	case len(src) == 0:
		return 0
	case off <= 0:
		return src[0]
	case int(off) > len(src):
		return src[len(src)-1]
	}
	return src[off-1]
}

type vsaqItem struct {
	Type     string            `json:"type"`
	ID       string            `json:"id"`
	Text     string            `json:"text"`
	Cond     string            `json:"cond"`
	Required any               `json:"required"`
	Items    []vsaqItem        `json:"items"`
	Choices  []json.RawMessage `json:"choices"`
	Warn     any               `json:"warn"`
	Severity string            `json:"severity"`
	Name     string            `json:"name"`
}

// decodeVSAQ reads {"questionnaire": [items]} or a bare list of items.
func decodeVSAQ(js []byte) ([]vsaqItem, error) {
	js = bytes.TrimSpace(js)
	if len(js) > 0 && js[0] == '[' {
		var items []vsaqItem
		return items, json.Unmarshal(js, &items)
	}
	var doc struct {
		Questionnaire []vsaqItem `json:"questionnaire"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, err
	}
	if doc.Questionnaire == nil {
		return nil, errors.New(`no "questionnaire" list`)
	}
	return doc.Questionnaire, nil
}

func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "yes" || v == "true"
	}
	return false
}

// vsaqRef is what a VSAQ id names: a question, or one choice of it.
type vsaqRef struct {
	q     *draft
	value string // the choice value, or "" for the question itself
}

// draft is a question being imported.
type draft struct {
	q       Question
	conds   []string // VSAQ conditions that must all hold: outer blocks' first
	scores  map[string]float64
	sevSet  bool
	section *Section
}

type tip struct {
	item    vsaqItem
	after   int // number of questions before it
	section *Section
}

type importer struct {
	questions []*draft
	sections  []*Section
	tips      []tip
	refs      map[string]vsaqRef
	tipConds  map[string]string // tip id → the condition that shows it
	ids       map[string]bool   // question ids in use
	warnings  []string
	// pending help for the next question: info text, headings of blocks
	// just entered
	info, heading []string
}

func (im *importer) warnf(format string, args ...any) {
	im.warnings = append(im.warnings, fmt.Sprintf(format, args...))
}

func (im *importer) build(name string, items []vsaqItem) *Template {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	stem := strings.TrimSuffix(base, path.Ext(base))
	t := &Template{
		ID:          templateID(stem),
		Version:     "imported-1",
		Title:       stem,
		Description: "Imported from the VSAQ questionnaire " + base + ".",
	}
	top := items
	if len(items) == 1 && items[0].Type == "block" {
		// VSAQ wants everything in one root block: its heading is the
		// questionnaire's title, its blocks the sections.
		if s := plainText(items[0].Text); s != "" {
			t.Title = s
		}
		top = items[0].Items
		if items[0].Cond != "" {
			im.warnf("the condition %q of the root block was dropped", items[0].Cond)
		}
	} else {
		for _, it := range items {
			if it.Type == "block" && plainText(it.Text) != "" {
				t.Title = plainText(it.Text)
				break
			}
		}
	}

	var loose *Section // for items outside any block
	for _, it := range top {
		if it.Type == "block" {
			loose = nil
			s := im.newSection(it.ID, plainText(it.Text))
			im.info, im.heading = nil, nil
			im.items(it.Items, s, condList(nil, it.Cond))
			im.flushInfo(s)
			continue
		}
		if loose == nil {
			loose = im.newSection("general", t.Title)
		}
		im.items([]vsaqItem{it}, loose, nil)
	}
	if loose != nil {
		im.flushInfo(loose)
	}

	im.applyTips()
	im.conditions()

	for _, s := range im.sections {
		for _, d := range im.questions {
			if d.section == s {
				im.finish(d)
				s.Questions = append(s.Questions, d.q)
			}
		}
		if len(s.Questions) == 0 {
			im.warnf("section %q has no questions and was left out", s.Title)
			continue
		}
		t.Sections = append(t.Sections, *s)
	}
	return t
}

func condList(outer []string, cond string) []string {
	if strings.TrimSpace(cond) == "" {
		return outer
	}
	return append(slices.Clone(outer), cond)
}

func (im *importer) newSection(vsaqID, title string) *Section {
	id := vsaqID
	if id == "" {
		id = slug(title, 40)
	}
	id = uniqueID(convertID(id), func(s string) bool {
		return slices.ContainsFunc(im.sections, func(x *Section) bool { return x.ID == s })
	})
	if title == "" {
		title = "Section " + fmt.Sprint(len(im.sections)+1)
	}
	s := &Section{ID: id, Title: title}
	im.sections = append(im.sections, s)
	return s
}

// flushInfo gives info text that no question followed to the section.
func (im *importer) flushInfo(s *Section) {
	if len(im.info) > 0 {
		s.Help = joinText(append([]string{s.Help}, im.info...)...)
	}
	im.info, im.heading = nil, nil
}

func (im *importer) items(items []vsaqItem, s *Section, conds []string) {
	for _, it := range items {
		switch it.Type {
		case "block":
			if h := plainText(it.Text); h != "" {
				im.heading = append(im.heading, h)
			}
			im.items(it.Items, s, condList(conds, it.Cond))
		case "info":
			if txt := plainText(it.Text); txt != "" {
				im.info = append(im.info, txt)
			}
		case "spacer":
		case "tip":
			// parenthesised: VSAQ reads && and || with equal precedence
			var parts []string
			for _, c := range condList(conds, it.Cond) {
				parts = append(parts, "("+c+")")
			}
			it.Cond = strings.Join(parts, " && ")
			if it.ID != "" {
				im.tipConds[it.ID] = it.Cond
			}
			im.tips = append(im.tips, tip{it, len(im.questions), s})
		case "line", "box", "check", "yesno", "radiogroup", "checkgroup", "upload":
			im.question(it, s, condList(conds, it.Cond))
		default:
			im.warnf("item %s: type %q is not supported and was left out", itemName(it), it.Type)
		}
	}
}

func itemName(it vsaqItem) string {
	if it.ID != "" {
		return it.ID
	}
	return fmt.Sprintf("%q", text.Shorten(plainText(it.Text), 40))
}

func (im *importer) question(it vsaqItem, s *Section, conds []string) {
	d := &draft{conds: conds, section: s}
	q := &d.q
	q.Text = plainText(it.Text)
	q.Required = truthy(it.Required)
	switch it.Type {
	case "line":
		q.Type = Text
	case "box":
		q.Type = LongText
	case "check", "yesno":
		q.Type = YesNo
	case "radiogroup":
		q.Type = Single
	case "checkgroup":
		q.Type = Multi
	case "upload":
		q.Type = File
	}
	q.Weight = defaultWeight(q.Type)
	q.Severity = Medium

	var choiceIDs []string
	if q.Type == Single || q.Type == Multi {
		for _, raw := range it.Choices {
			id, label, err := decodeChoice(raw)
			if err != nil {
				im.warnf("item %s: a choice was left out: %v", itemName(it), err)
				continue
			}
			value := uniqueID(convertChoice(id), func(v string) bool {
				return slices.ContainsFunc(q.Choices, func(c Choice) bool { return c.Value == v })
			})
			if label = plainText(label); label == "" {
				label = value
			}
			q.Choices = append(q.Choices, Choice{Value: value, Label: label})
			choiceIDs = append(choiceIDs, id)
		}
		switch {
		case len(q.Choices) == 1 && q.Type == Multi:
			// one check box: a yes/no question named after its choice
			if q.Text == "" {
				q.Text = q.Choices[0].Label
			} else {
				im.info = append(im.info, q.Choices[0].Label)
			}
			it.ID, choiceIDs = choiceIDs[0], nil
			q.Type, q.Choices = YesNo, nil
		case len(q.Choices) < 2:
			im.warnf("item %s: a %s needs at least 2 choices; left out", itemName(it), it.Type)
			return
		}
		q.Weight = 0 // until a tip tells the bad answers
	}

	// info just before a question is its help; without text of its own,
	// its text.
	if q.Text == "" && len(im.info) > 0 {
		q.Text, im.info = im.info[len(im.info)-1], im.info[:len(im.info)-1]
	}
	q.Help = joinText(append(slices.Clone(im.heading), im.info...)...)
	im.info, im.heading = nil, nil

	id := it.ID
	if id == "" {
		// named after what its choices share: "pentest_freq" for
		// pentest_freq_yearly, pentest_freq_never
		if id = commonPrefix(choiceIDs); len(strings.Trim(id, "_-")) < 3 {
			id = s.ID + "_q"
		}
	}
	q.ID = uniqueID(convertID(id), func(v string) bool { return im.ids[v] })
	im.ids[q.ID] = true
	if q.Text == "" {
		q.Text = q.ID
		im.warnf("question %s has no text; its id stands in", q.ID)
	}

	im.addRef(it.ID, vsaqRef{q: d})
	for i, c := range choiceIDs {
		im.addRef(c, vsaqRef{q: d, value: q.Choices[i].Value})
	}
	im.questions = append(im.questions, d)
}

func (im *importer) addRef(id string, r vsaqRef) {
	if id == "" {
		return
	}
	if _, dup := im.refs[id]; dup {
		im.warnf("VSAQ id %s is used twice; conditions read the first", id)
		return
	}
	im.refs[id] = r
}

// decodeChoice reads a VSAQ choice, {"choice_id": "Label"}.
func decodeChoice(raw json.RawMessage) (id, label string, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", "", fmt.Errorf("expected {\"id\": \"label\"}, found %s", text.Shorten(string(raw), 40))
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return "", "", err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return "", "", fmt.Errorf("choice %v: label is not text", k)
		}
		if id != "" {
			return "", "", fmt.Errorf("choice %s has more than one id", id)
		}
		id, label = k.(string), v
	}
	if id == "" {
		return "", "", errors.New("empty choice")
	}
	return id, label, nil
}

// conditions converts every question's VSAQ conditions. A condition that
// cannot be carried over is dropped with a warning: the question is then
// shown more often, never less.
func (im *importer) conditions() {
	for _, d := range im.questions {
		var parts []expr
		for _, c := range d.conds {
			e, unknown, err := im.convertCond(c)
			switch {
			case err != nil:
				im.warnf("question %s: condition %q was dropped: %v", d.q.ID, c, err)
			case len(unknown) > 0:
				im.warnf("question %s: condition %q was dropped: it names %s, which is not a question or choice", d.q.ID, c, strings.Join(unknown, ", "))
			case slices.ContainsFunc(atoms(e), func(a *atom) bool { return a.id == d.q.ID }):
				im.warnf("question %s: condition %q was dropped: it names the question itself", d.q.ID, c)
			default:
				parts = append(parts, e)
			}
		}
		if len(parts) == 0 {
			continue
		}
		e := parts[0]
		for _, p := range parts[1:] {
			e = &andExpr{e, p}
		}
		switch e := simplify(e); e {
		case constExpr(true):
		case constExpr(false):
			im.warnf("question %s: its conditions never hold; they were dropped", d.q.ID)
		default:
			d.q.When = e.String()
		}
	}
}

// convertCond reads a VSAQ condition into this package's language. VSAQ
// reads && and || left to right with equal precedence; the result keeps
// that meaning, with parentheses where needed. unknown lists ids that
// name no question or choice; their atoms have no id.
func (im *importer) convertCond(cond string) (e expr, unknown []string, err error) {
	return im.convert(cond, false, 0)
}

// convert reads a VSAQ condition; lenient takes what it cannot carry over
// for an unknown id, which is enough to find the question a tip is about.
// The visibility operator, ^id, becomes the condition that shows the tip
// or question id (depth counts how deep that substitution went).
func (im *importer) convert(cond string, lenient bool, depth int) (e expr, unknown []string, err error) {
	if strings.TrimSpace(cond) == "" {
		return constExpr(true), nil, nil
	}
	toks, err := vsaqTokens(cond)
	if err != nil {
		return nil, nil, err
	}
	p := &vsaqParser{toks: toks, im: im, lenient: lenient, depth: depth}
	e, err = p.seq(false)
	if err != nil {
		return nil, nil, err
	}
	return e, p.unknown, nil
}

// vsaqTokens splits a VSAQ condition: names run until one of ' ()!&|,'.
func vsaqTokens(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '(' || c == ')' || c == '!' || c == ',':
			toks = append(toks, string(c))
			i++
		case c == '&' || c == '|':
			if i+1 >= len(s) || s[i+1] != c {
				return nil, fmt.Errorf("single %c", c)
			}
			toks = append(toks, s[i:i+2])
			i += 2
		case c == '"':
			return nil, errors.New("strings and functions are not supported")
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n()!&|,", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

type vsaqParser struct {
	toks    []string
	pos     int
	im      *importer
	lenient bool
	depth   int
	unknown []string
}

func (p *vsaqParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

// seq reads operands joined by && and ||, left to right.
func (p *vsaqParser) seq(inParens bool) (expr, error) {
	x, err := p.operand()
	if err != nil {
		return nil, err
	}
	for {
		switch op := p.peek(); op {
		case "&&", "||":
			p.pos++
			y, err := p.operand()
			if err != nil {
				return nil, err
			}
			if op == "&&" {
				x = &andExpr{x, y}
			} else {
				x = &orExpr{x, y}
			}
		case ")":
			if !inParens {
				return nil, errors.New("unbalanced ')'")
			}
			return x, nil
		case "":
			if inParens {
				return nil, errors.New("missing ')'")
			}
			return x, nil
		case ",":
			return nil, errors.New("lists and functions are not supported")
		default:
			return nil, fmt.Errorf("unexpected %q", op)
		}
	}
}

func (p *vsaqParser) operand() (expr, error) {
	tok := p.peek()
	p.pos++
	switch tok {
	case "!":
		x, err := p.operand()
		if err != nil {
			return nil, err
		}
		return &notExpr{x}, nil
	case "(":
		x, err := p.seq(true)
		if err != nil {
			return nil, err
		}
		p.pos++ // ")"
		return x, nil
	case "", ")", "&&", "||", ",":
		return nil, errors.New("the condition is incomplete")
	}
	if p.peek() == "(" {
		return nil, fmt.Errorf("function %s is not supported", tok)
	}
	if id, ok := strings.CutPrefix(tok, "^"); ok {
		return p.visible(id)
	}
	id, suffix := tok, ""
	for _, s := range []string{"/yes", "/no", "/value"} {
		if strings.HasSuffix(tok, s) {
			id, suffix = strings.TrimSuffix(tok, s), s
		}
	}
	r, ok := p.im.refs[id]
	if !ok {
		if !slices.Contains(p.unknown, id) {
			p.unknown = append(p.unknown, id)
		}
		return &atom{id: "", value: id}, nil
	}
	a := &atom{id: r.q.q.ID}
	switch {
	case r.value != "":
		a.op, a.value = "==", r.value
	case r.q.q.Type == YesNo && suffix == "/no":
		a.op, a.value = "==", No
	}
	return a, nil
}

// visible is the condition that shows tip or question id.
func (p *vsaqParser) visible(id string) (expr, error) {
	var cond string
	if c, ok := p.im.tipConds[id]; ok {
		cond = c
	} else if r, ok := p.im.refs[id]; ok && r.value == "" {
		var parts []string
		for _, c := range r.q.conds {
			parts = append(parts, "("+c+")")
		}
		cond = strings.Join(parts, " && ")
	} else {
		if p.lenient {
			p.unknown = append(p.unknown, "^"+id)
			return &atom{value: "^" + id}, nil
		}
		return nil, fmt.Errorf("^%s names no tip or question", id)
	}
	if p.depth >= 8 {
		return nil, fmt.Errorf("^%s: visibility nests too deep", id)
	}
	e, unknown, err := p.im.convert(cond, p.lenient, p.depth+1)
	if err != nil {
		return nil, err
	}
	for _, u := range unknown {
		if !slices.Contains(p.unknown, u) {
			p.unknown = append(p.unknown, u)
		}
	}
	return e, nil
}

// applyTips turns tips into help and, for warnings, into severities and
// choice scores.
func (im *importer) applyTips() {
	for _, tp := range im.tips {
		it := tp.item
		text := plainText(it.Text)
		if name := plainText(it.Name); name != "" && text != "" {
			text = name + ": " + text
		} else if text == "" {
			text = name
		}
		var target *draft
		e, _, err := im.convert(it.Cond, true, 0)
		if it.Cond != "" && err == nil {
			// the nearest question before the tip that its condition names
			for i := tp.after - 1; i >= 0 && target == nil; i-- {
				d := im.questions[i]
				if slices.ContainsFunc(atoms(e), func(a *atom) bool { return a.id == d.q.ID }) {
					target = d
				}
			}
		}
		warn := truthy(it.Warn)
		if target == nil {
			if warn {
				im.warnf("tip %s warns, but its condition %q names no question before it; kept as help only", itemName(it), it.Cond)
			}
			if tp.after > 0 && im.questions[tp.after-1].section == tp.section {
				d := im.questions[tp.after-1]
				d.q.Help = joinText(d.q.Help, text)
			} else {
				tp.section.Help = joinText(tp.section.Help, text)
			}
			continue
		}
		target.q.Help = joinText(target.q.Help, text)
		if !warn {
			continue
		}
		sev := Severity(strings.ToLower(it.Severity))
		if sev == "" {
			sev = Medium
		}
		if severityRank(sev) == 0 {
			im.warnf("tip %s: severity %q is not low, medium, high or critical; medium is used", itemName(it), it.Severity)
			sev = Medium
		}
		if !target.sevSet || severityRank(sev) > severityRank(target.q.Severity) {
			target.q.Severity, target.sevSet = sev, true
		}
		scores, ok := badAnswers(e, target)
		if !ok {
			im.warnf("tip %s: cannot tell from %q which answers of question %s are bad; its scores are left as they were",
				itemName(it), it.Cond, target.q.ID)
			continue
		}
		if target.scores == nil {
			target.scores = scores
			continue
		}
		for v, s := range scores {
			target.scores[v] = min(target.scores[v], s)
		}
	}
}

// badAnswers reads from a tip's condition the score of each answer of the
// question d it warns about. It understands the parts of the condition
// that name d only:
//
//	a || b      a and b are bad (0), the others good (1)
//	!a || !b    missing any of a, b is bad: each is worth 1/2
//	!a && !b    choosing none of a, b is bad: each is worth 1
//	!(a || b)   the same
func badAnswers(e expr, d *draft) (map[string]float64, bool) {
	var mine []expr
	for _, c := range flatten(e, true) {
		if all(atoms(c), func(a *atom) bool { return a.id == d.q.ID }) {
			mine = append(mine, c)
		}
	}
	if len(mine) == 0 {
		return nil, false
	}
	values := d.q.values()
	if d.q.Type == YesNo {
		values = []string{Yes, No}
	}
	scores := func(set []string, in, out float64) (map[string]float64, bool) {
		if len(set) == 0 || in == 0 && len(set) == len(values) {
			return nil, false // no answer named, or every answer bad
		}
		m := make(map[string]float64)
		for _, v := range values {
			m[v] = out
			if slices.Contains(set, v) {
				m[v] = in
			}
		}
		return m, true
	}
	single := d.q.Type == Single || d.q.Type == YesNo

	// !a && !b: every part a negated atom
	if len(mine) > 1 {
		var set []string
		for _, c := range mine {
			n, ok := c.(*notExpr)
			if !ok {
				return nil, false
			}
			v, ok := answerOf(n.x, d)
			if !ok {
				return nil, false
			}
			set = append(set, v)
		}
		return scores(set, 1, 0)
	}
	c := mine[0]
	if n, ok := c.(*notExpr); ok {
		if set, ok := answersOf(flatten(n.x, false), d); ok {
			return scores(set, 1, 0) // !(a || b)
		}
	}
	parts := flatten(c, false)
	if set, ok := answersOf(parts, d); ok {
		return scores(set, 0, 1) // a || b
	}
	var set []string
	for _, p := range parts {
		n, ok := p.(*notExpr)
		if !ok {
			return nil, false
		}
		v, ok := answerOf(n.x, d)
		if !ok {
			return nil, false
		}
		set = append(set, v)
	}
	if len(set) == 1 {
		return scores(set, 1, 0)
	}
	if single {
		return nil, false // one answer cannot hold several required ones
	}
	return scores(set, 1/float64(len(set)), 0) // !a || !b
}

// flatten splits e at its top-level && (and) or || (!and).
func flatten(e expr, and bool) []expr {
	switch x := e.(type) {
	case *andExpr:
		if and {
			return append(flatten(x.x, and), flatten(x.y, and)...)
		}
	case *orExpr:
		if !and {
			return append(flatten(x.x, and), flatten(x.y, and)...)
		}
	}
	return []expr{e}
}

func answersOf(parts []expr, d *draft) ([]string, bool) {
	var set []string
	for _, p := range parts {
		v, ok := answerOf(p, d)
		if !ok {
			return nil, false
		}
		set = append(set, v)
	}
	return set, true
}

// answerOf is the answer an atom about d asks for.
func answerOf(e expr, d *draft) (string, bool) {
	a, ok := e.(*atom)
	switch {
	case !ok || a.id != d.q.ID || a.op == "!=":
		return "", false
	case a.op == "==":
		return a.value, true
	case d.q.Type == YesNo:
		return Yes, true
	}
	return "", false
}

func all[T any](s []T, f func(T) bool) bool {
	for _, v := range s {
		if !f(v) {
			return false
		}
	}
	return true
}

// finish writes the scores tips gave a question into its choices.
func (im *importer) finish(d *draft) {
	if d.scores == nil {
		return
	}
	q := &d.q
	q.Weight = 1
	if q.Type == YesNo {
		if d.scores[Yes] != 1 || d.scores[No] != 0 {
			q.Choices = []Choice{{Value: Yes, Score: d.scores[Yes]}, {Value: No, Score: d.scores[No]}}
		}
		return
	}
	for i := range q.Choices {
		q.Choices[i].Score = d.scores[q.Choices[i].Value]
	}
}

var (
	nonIDRe   = regexp.MustCompile(`[^a-z0-9_]`)
	nonSlugRe = regexp.MustCompile(`[^a-z0-9]+`)
	linkRe    = regexp.MustCompile(`(?is)<a\s[^>]*href\s*=\s*["']([^"']*)["'][^>]*>(.*?)</a>`)
	breakRe   = regexp.MustCompile(`(?i)<\s*(br|/p|p|/ul|/ol)(\s[^>]*)?/?>`)
	itemRe    = regexp.MustCompile(`(?i)<\s*li\s*>`)
	tagRe     = regexp.MustCompile(`<[^>]*>`)
	blankRe   = regexp.MustCompile(`\n\s*\n\s*\n+`)
	spacesRe  = regexp.MustCompile(`[ \t]+`)
)

// convertID makes a VSAQ id a question id: lower case, '_' for anything
// else than a-z, 0-9 and '_', "q_" before a leading non-letter.
func convertID(s string) string {
	s = nonIDRe.ReplaceAllString(strings.ToLower(s), "_")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "q_" + s
	}
	return s
}

func convertChoice(s string) string {
	s = nonIDRe.ReplaceAllString(strings.ToLower(s), "_")
	if s == "" {
		s = "choice"
	}
	return s
}

// uniqueID returns id, or id_2, id_3… when taken says it is in use.
func uniqueID(id string, taken func(string) bool) string {
	if !taken(id) {
		return id
	}
	for n := 2; ; n++ {
		if c := fmt.Sprintf("%s_%d", id, n); !taken(c) {
			return c
		}
	}
}

// templateID makes a file name a template id.
func templateID(stem string) string {
	s := strings.Trim(nonSlugRe.ReplaceAllString(strings.ToLower(stem), "-"), "-")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = strings.TrimSuffix("vsaq-"+s, "-")
	}
	return s
}

// slug makes a heading an id: "Data section" → "data_section".
func slug(s string, n int) string {
	s = strings.Trim(nonSlugRe.ReplaceAllString(strings.ToLower(s), "_"), "_")
	if len(s) > n {
		s = strings.TrimRight(s[:n], "_")
	}
	return s
}

func commonPrefix(ids []string) string {
	if len(ids) < 2 {
		return ""
	}
	p := ids[0]
	for _, id := range ids[1:] {
		for !strings.HasPrefix(id, p) {
			p = p[:len(p)-1]
		}
	}
	return strings.TrimRight(p, "_-/")
}

// plainText turns VSAQ's HTML snippets into plain text: links keep their
// address, list items become "- " lines, other tags go.
func plainText(s string) string {
	s = linkRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := linkRe.FindStringSubmatch(m)
		label := strings.TrimSpace(tagRe.ReplaceAllString(sub[2], ""))
		if label == "" || label == sub[1] {
			return sub[1]
		}
		return label + " (" + sub[1] + ")"
	})
	s = itemRe.ReplaceAllString(s, "\n- ")
	s = breakRe.ReplaceAllString(s, "\n")
	s = tagRe.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(spacesRe.ReplaceAllString(l, " "))
	}
	s = strings.Join(lines, "\n")
	s = blankRe.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(strings.ReplaceAll(s, "\n\n\n", "\n\n"))
}

// joinText joins the non-empty texts as paragraphs.
func joinText(texts ...string) string {
	var out []string
	for _, t := range texts {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, "\n\n")
}

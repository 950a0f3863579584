package questionnaire

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"dossier/internal/errs"
	"dossier/internal/text"
)

func TestNormalize(t *testing.T) {
	tmpl := mustParse(t, "normalize.yaml", `
id: normalize
version: "1"
title: Normalize
sections:
  - id: s
    title: S
    questions:
      - {id: yn, text: "Do you encrypt backups?", type: yesno}
      - {id: ynna, text: "Do you use subcontractors?", type: yesno, na: true}
      - id: one
        text: Encryption at rest
        type: single
        choices: [{value: aes256, label: AES-256}, {value: none, label: None}]
      - id: many
        text: Which events do you log?
        type: multi
        choices: [{value: access, label: Access}, {value: admin, label: Admin}, {value: auth, label: Sign-ins}]
      - {id: line, text: Security contact, type: text, max_length: 5}
      - {id: para, text: Describe your incident response plan in detail for the hospital's security team, type: longtext}
      - {id: num, text: Staff with access, type: number, min: 0, max: 100}
      - {id: anynum, text: Any number, type: number}
      - {id: day, text: Certificate expiry, type: date}
      - {id: files, text: Evidence, type: file}
`)
	ev := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, strings.Repeat("a", 22)+string(rune('a'+i/16))+string("0123456789abcdef"[i%16]))
		}
		return out
	}
	tests := map[string]struct {
		q    string
		in   []string
		want []string
		err  string // the message, when an error is wanted
	}{
		"OKEmpty":            {"yn", nil, nil, ""},
		"OKEmptyString":      {"one", []string{""}, nil, ""},
		"OKBlankText":        {"line", []string{"   "}, nil, ""},
		"OKYes":              {"yn", []string{"yes"}, []string{"yes"}, ""},
		"OKNoTrimmed":        {"yn", []string{" no "}, []string{"no"}, ""},
		"OKNA":               {"ynna", []string{"na"}, []string{"na"}, ""},
		"ErrNANotOffered":    {"yn", []string{"na"}, nil, `Question "Do you encrypt backups?": answer Yes or No.`},
		"ErrYesNoOther":      {"ynna", []string{"maybe"}, nil, `Question "Do you use subcontractors?": answer Yes, No or Not applicable.`},
		"ErrYesNoTwo":        {"yn", []string{"yes", "no"}, nil, `Question "Do you encrypt backups?": give one answer only.`},
		"OKSingle":           {"one", []string{"aes256"}, []string{"aes256"}, ""},
		"ErrSingleUnknown":   {"one", []string{"des"}, nil, `Question "Encryption at rest": choose one of the listed answers.`},
		"ErrSingleTwo":       {"one", []string{"aes256", "none"}, nil, `Question "Encryption at rest": give one answer only.`},
		"OKMultiOrdered":     {"many", []string{"auth", "access", "auth", ""}, []string{"access", "auth"}, ""},
		"OKMultiOnlyEmpty":   {"many", []string{"", ""}, nil, ""},
		"ErrMultiUnknown":    {"many", []string{"access", "dns"}, nil, `Question "Which events do you log?": choose among the listed answers only.`},
		"OKText":             {"line", []string{"  Ada  "}, []string{"Ada"}, ""},
		"OKTextUnicodeLimit": {"line", []string{"Zoë 🙂"}, []string{"Zoë 🙂"}, ""},
		"ErrTextTooLong":     {"line", []string{"Zoë 🙂!"}, nil, `Question "Security contact": use at most 5 characters (this answer has 6).`},
		"ErrTextTwo":         {"line", []string{"a", "b"}, nil, `Question "Security contact": give one answer only.`},
		"ErrTextNUL":         {"line", []string{"a\x00b"}, nil, `Question "Security contact": the answer contains control characters; type or paste it again.`},
		"ErrTextNewline":     {"line", []string{"a\nb"}, nil, `Question "Security contact": keep the answer on one line.`},
		"ErrTextInvalidUTF8": {"line", []string{"a\xffb"}, nil, `Question "Security contact": the answer is not readable text; type or paste it again.`},
		"OKLongText":         {"para", []string{"Step one.\r\n\tStep two.\r\n"}, []string{"Step one.\n\tStep two."}, ""},
		"ErrLongTextTooLong": {"para", []string{strings.Repeat("é", longTextMaxLength+1)}, nil,
			`Question "Describe your incident response plan in detail for the…": use at most 10000 characters (this answer has 10001).`},
		"OKNumber":          {"num", []string{"12"}, []string{"12"}, ""},
		"OKNumberDecimal":   {"num", []string{" 3.50 "}, []string{"3.5"}, ""},
		"OKNumberNegative":  {"anynum", []string{"-2"}, []string{"-2"}, ""},
		"OKNumberZero":      {"anynum", []string{"-0"}, []string{"0"}, ""},
		"OKNumberLeading":   {"anynum", []string{".5"}, []string{"0.5"}, ""},
		"OKNumberBounds":    {"num", []string{"100"}, []string{"100"}, ""},
		"ErrNumberComma":    {"num", []string{"1,000"}, nil, `Question "Staff with access": enter a number, such as 12 or 3.5, without thousands separators.`},
		"ErrNumberExponent": {"anynum", []string{"1e5"}, nil, `Question "Any number": enter a number, such as 12 or 3.5, without thousands separators.`},
		"ErrNumberWord":     {"anynum", []string{"NaN"}, nil, `Question "Any number": enter a number, such as 12 or 3.5, without thousands separators.`},
		"ErrNumberAbove":    {"num", []string{"100.5"}, nil, `Question "Staff with access": enter a number from 0 to 100.`},
		"ErrNumberBelow":    {"num", []string{"-1"}, nil, `Question "Staff with access": enter a number from 0 to 100.`},
		"OKDate":            {"day", []string{"2028-02-29"}, []string{"2028-02-29"}, ""},
		"ErrDateNotLeap":    {"day", []string{"2027-02-29"}, nil, `Question "Certificate expiry": 2027-02-29 is not a date in the calendar.`},
		"ErrDateFormat":     {"day", []string{"29/02/2028"}, nil, `Question "Certificate expiry": enter a date as YYYY-MM-DD, such as 2026-03-31.`},
		"ErrDateShort":      {"day", []string{"2028-2-9"}, nil, `Question "Certificate expiry": enter a date as YYYY-MM-DD, such as 2026-03-31.`},
		"OKFiles":           {"files", []string{ev(2)[1], ev(2)[0], ev(2)[1]}, []string{ev(2)[1], ev(2)[0]}, ""},
		"OKFilesAtLimit":    {"files", ev(MaxFiles), ev(MaxFiles), ""},
		"ErrFilesTooMany":   {"files", ev(MaxFiles + 1), nil, `Question "Evidence": attach at most 20 files.`},
		"ErrFileID":         {"files", []string{"../../etc/passwd"}, nil, `Question "Evidence": one of the attached files is not known; upload it again.`},
		"ErrFileIDUpper":    {"files", []string{strings.ToUpper(ev(1)[0])}, nil, `Question "Evidence": one of the attached files is not known; upload it again.`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			q, ok := tmpl.Question(tt.q)
			if !ok {
				t.Fatalf("no question %s", tt.q)
			}
			got, err := q.Normalize(tt.in)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("Normalize(%q) = %q, want an error", tt.in, got)
				}
				if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != tt.q || errs.Message(err) != tt.err {
					t.Errorf("Normalize(%s) error: code %s field %q message\n %s\nwant\n %s",
						text.Shorten(fmt.Sprintf("%q", tt.in), 80), errs.Code(err), errs.FieldOf(err), errs.Message(err), tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

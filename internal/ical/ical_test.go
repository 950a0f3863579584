package ical_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"

	"dossier/internal/ical"
)

var stamp = time.Date(2026, 3, 2, 9, 30, 15, 0, time.FixedZone("CET", 3600))

func write(t *testing.T, c ical.Calendar) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := ical.Write(&b, c); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// parse reads a feed with go-ical, and checks the lines as written: CRLF
// endings, at most 75 octets, each valid UTF-8 (no character cut in two).
func parse(t *testing.T, feed []byte) *goical.Calendar {
	t.Helper()
	if !bytes.HasSuffix(feed, []byte("\r\n")) {
		t.Fatal("the feed does not end with CRLF")
	}
	for i, l := range bytes.Split(feed[:len(feed)-2], []byte("\r\n")) {
		if len(l) > 75 {
			t.Errorf("line %d has %d octets: %q", i+1, len(l), l)
		}
		if bytes.ContainsAny(l, "\r\n") {
			t.Errorf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		if !utf8.Valid(l) {
			t.Errorf("line %d is not valid UTF-8 (a character was cut): %q", i+1, l)
		}
	}
	cal, err := goical.NewDecoder(bytes.NewReader(feed)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the feed: %v\n%s", err, feed)
	}
	return cal
}

func text(t *testing.T, props goical.Props, name string) string {
	t.Helper()
	p := props.Get(name)
	if p == nil {
		t.Fatalf("no %s", name)
	}
	s, err := p.Text()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func TestWrite(t *testing.T) {
	longDescription := "Le contrat de sous-traitance (BAA) avec Müller Radiologie GmbH expire; prévenir le fournisseur, " +
		"l'équipe juridique et la DSI. 期限前に通知してください。 Ünïcödé… ✓ " + strings.Repeat("éà日本😀", 20)
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	c := ical.Calendar{
		Name:    "Dossier: contract dates, Ann Legal; General Hospital",
		ProdID:  "-//General Hospital//Dossier//EN",
		Refresh: 12 * time.Hour,
		Events: []ical.Event{
			{
				UID:     ical.UID("dossier.hospital.example", "contract", "42", "expiry"),
				Date:    time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
				Summary: "BAA with Acme Imaging, Inc.; expires", Description: "Line one,\nline two; with a \\ backslash\r\nand a CRLF.",
				URL: "https://dossier.hospital.example/contracts/42?tab=files&x=1", Stamp: stamp, AlarmDays: 7,
			},
			{
				// 23:30 in New York is already the next day in UTC: the
				// day is the one in the date's own location.
				UID:     ical.UID("dossier.hospital.example", "contract", "43", "notice"),
				Date:    time.Date(2026, 12, 31, 23, 30, 0, 0, newYork),
				Summary: "Notice deadline: MSA with Beta Lab", Description: longDescription, Stamp: stamp,
			},
		},
	}
	feed := write(t, c)
	cal := parse(t, feed)

	t.Run("OKCalendar", func(t *testing.T) {
		for name, want := range map[string]string{
			"VERSION": "2.0", "PRODID": c.ProdID, "CALSCALE": "GREGORIAN", "METHOD": "PUBLISH", "X-WR-CALNAME": c.Name,
			"X-PUBLISHED-TTL": "PT720M",
		} {
			if got := cal.Props.Get(name); got == nil || got.Value != want && text(t, cal.Props, name) != want {
				t.Errorf("%s = %+v, want %q", name, got, want)
			}
		}
		if got := text(t, cal.Props, "X-WR-CALNAME"); got != c.Name {
			t.Errorf("name %q, want %q", got, c.Name)
		}
		if p := cal.Props.Get("REFRESH-INTERVAL"); p == nil || p.Params.Get("VALUE") != "DURATION" {
			t.Errorf("REFRESH-INTERVAL %+v", p)
		} else if d, err := p.Duration(); err != nil || d != 12*time.Hour {
			t.Errorf("refresh %v %v", d, err)
		}
	})
	events := cal.Events()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	t.Run("OKEvent", func(t *testing.T) {
		e := events[0]
		if got := text(t, e.Props, "UID"); got != c.Events[0].UID {
			t.Errorf("UID %q", got)
		}
		start, err := e.DateTimeStart(time.UTC)
		if err != nil || !start.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) || e.Props.Get("DTSTART").ValueType() != goical.ValueDate {
			t.Errorf("start %v %v (%s)", start, err, e.Props.Get("DTSTART").ValueType())
		}
		end, err := e.DateTimeEnd(time.UTC)
		if err != nil || !end.Equal(time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)) || e.Props.Get("DTEND").ValueType() != goical.ValueDate {
			t.Errorf("end %v %v", end, err)
		}
		st, err := e.Props.DateTime("DTSTAMP", nil)
		if err != nil || !st.Equal(stamp.Truncate(time.Second)) || st.Location() != time.UTC || !strings.HasSuffix(e.Props.Get("DTSTAMP").Value, "Z") {
			t.Errorf("stamp %v %v", st, err)
		}
		if got := text(t, e.Props, "SUMMARY"); got != c.Events[0].Summary {
			t.Errorf("summary %q", got)
		}
		if got, want := text(t, e.Props, "DESCRIPTION"), "Line one,\nline two; with a \\ backslash\nand a CRLF."; got != want {
			t.Errorf("description %q, want %q", got, want)
		}
		if u, err := e.Props.Get("URL").URI(); err != nil || u.String() != c.Events[0].URL {
			t.Errorf("URL %v %v", u, err)
		}
		if got := e.Props.Get("TRANSP"); got == nil || got.Value != "TRANSPARENT" {
			t.Errorf("TRANSP %+v", got)
		}
		if len(e.Children) != 1 || e.Children[0].Name != "VALARM" {
			t.Fatalf("children %+v", e.Children)
		}
		alarm := e.Children[0].Props
		if d, err := alarm.Get("TRIGGER").Duration(); err != nil || d != -7*24*time.Hour || alarm.Get("ACTION").Value != "DISPLAY" || text(t, alarm, "DESCRIPTION") != c.Events[0].Summary {
			t.Errorf("alarm %+v: %v %v", alarm, d, err)
		}
	})
	t.Run("OKDateInItsOwnLocation", func(t *testing.T) {
		start, err := events[1].DateTimeStart(time.UTC)
		if err != nil || !start.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("start %v %v", start, err)
		}
		end, _ := events[1].DateTimeEnd(time.UTC)
		if !end.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("end %v: the next day across a year", end)
		}
		if len(events[1].Children) != 0 {
			t.Error("an alarm without AlarmDays")
		}
	})
	t.Run("OKLongNonASCIIFoldedRoundTrips", func(t *testing.T) {
		if got := text(t, events[1].Props, "DESCRIPTION"); got != longDescription {
			t.Errorf("description after folding:\n got %q\nwant %q", got, longDescription)
		}
		if !bytes.Contains(feed, []byte("\r\n ")) {
			t.Error("nothing was folded")
		}
	})
	t.Run("OKStable", func(t *testing.T) {
		if again := write(t, c); !bytes.Equal(again, feed) {
			t.Error("the same calendar wrote a different feed")
		}
		if ical.UID("h", "ab", "c") == ical.UID("h", "a", "bc") || ical.UID("h", "x") != ical.UID("h", "x") {
			t.Error("UID is not a stable function of its parts")
		}
	})
}

// TestTextRoundTrip writes awkward text into each TEXT property and reads
// it back with go-ical: what comes back is the text with line breaks made
// \n, control characters dropped and invalid UTF-8 replaced.
func TestTextRoundTrip(t *testing.T) {
	for name, c := range map[string]struct{ in, want string }{
		"OKCommasSemicolons": {"a,b;c\\d:e\"f", "a,b;c\\d:e\"f"},
		"OKLineBreaks":       {"one\ntwo\r\nthree\rfour\n", "one\ntwo\nthree\nfour\n"},
		"OKControls":         {"tab\there\x00\x07\x1b\x7fend", "tab\thereend"},
		"OKInvalidUTF8":      {"bad \xff\xfe byte", "bad \uFFFD byte"},
		"OKEscapeAtFold":     {strings.Repeat(",", 100) + strings.Repeat("\\", 77), strings.Repeat(",", 100) + strings.Repeat("\\", 77)},
		"OKFourByteAtFold":   {strings.Repeat("a", 66) + strings.Repeat("😀", 40), strings.Repeat("a", 66) + strings.Repeat("😀", 40)},
		"OKSpaceAtFold":      {strings.Repeat("x", 66) + "          spaces survive the fold", strings.Repeat("x", 66) + "          spaces survive the fold"},
		"OKEmpty":            {"", ""},
	} {
		t.Run(name, func(t *testing.T) {
			// Shift the text through every position against the fold.
			for pad := range 8 {
				in, want := strings.Repeat("p", pad)+c.in, strings.Repeat("p", pad)+c.want
				cal := parse(t, write(t, ical.Calendar{Name: "n" + in, ProdID: "-//T//T//EN", Events: []ical.Event{{
					UID: "u-" + in, Date: stamp, Stamp: stamp, Summary: in, Description: "d" + in, AlarmDays: 1,
				}}}))
				e := cal.Events()[0]
				for what, got := range map[string]string{
					"X-WR-CALNAME": strings.TrimPrefix(text(t, cal.Props, "X-WR-CALNAME"), "n"), "SUMMARY": text(t, e.Props, "SUMMARY"),
					"DESCRIPTION": strings.TrimPrefix(text(t, e.Props, "DESCRIPTION"), "d"), "UID": strings.TrimPrefix(text(t, e.Props, "UID"), "u-"),
					"VALARM DESCRIPTION": text(t, e.Children[0].Props, "DESCRIPTION"),
				} {
					if got != want {
						t.Fatalf("pad %d: %s read back as %q, want %q", pad, what, got, want)
					}
				}
			}
		})
	}
}

func TestWriteRefuses(t *testing.T) {
	ok := ical.Event{UID: "u@h", Date: stamp, Stamp: stamp, Summary: "s"}
	for name, change := range map[string]func(*ical.Calendar){
		"ErrNoProdID":     func(c *ical.Calendar) { c.ProdID = " " },
		"ErrNoUID":        func(c *ical.Calendar) { c.Events[0].UID = "" },
		"ErrNoDate":       func(c *ical.Calendar) { c.Events[0].Date = time.Time{} },
		"ErrNoStamp":      func(c *ical.Calendar) { c.Events[0].Stamp = time.Time{} },
		"ErrAlarmAfter":   func(c *ical.Calendar) { c.Events[0].AlarmDays = -1 },
		"ErrURLRelative":  func(c *ical.Calendar) { c.Events[0].URL = "/contracts/42" },
		"ErrURLScheme":    func(c *ical.Calendar) { c.Events[0].URL = "javascript:alert(1)" },
		"ErrURLLineBreak": func(c *ical.Calendar) { c.Events[0].URL = "https://h.example/a\r\nX-INJECTED:1" },
		"ErrNegRefresh":   func(c *ical.Calendar) { c.Refresh = -time.Hour },
	} {
		t.Run(name, func(t *testing.T) {
			c := ical.Calendar{ProdID: "-//T//T//EN", Events: []ical.Event{ok}}
			change(&c)
			var b bytes.Buffer
			if err := ical.Write(&b, c); err == nil {
				t.Fatalf("written:\n%s", b.String())
			}
			if b.Len() != 0 {
				t.Fatal("a refused calendar was partly written")
			}
		})
	}
	t.Run("OKNoEvents", func(t *testing.T) {
		cal := parse(t, write(t, ical.Calendar{ProdID: "-//T//T//EN"}))
		if len(cal.Events()) != 0 || cal.Props.Get("X-WR-CALNAME") != nil {
			t.Fatalf("%+v", cal)
		}
	})
}

// FuzzText: any text written as a SUMMARY reads back from go-ical as
// escape's documented normalization of it, on lines that stay within the
// limits.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "a,b;c\\", "é日😀\r\n\n\r", strings.Repeat("😀", 30), "\xff\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cal := parse(t, write(t, ical.Calendar{ProdID: "-//T//T//EN", Events: []ical.Event{{UID: "u@h", Date: stamp, Stamp: stamp, Summary: s}}}))
		if got, want := text(t, cal.Events()[0].Props, "SUMMARY"), normalize(s); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// normalize is what TEXT can carry of s.
func normalize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

package text

import "testing"

func TestClip(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"abcdef", 3, "abc"},
		{"héllo", 2, "h"}, // é is two bytes: not split
		{"bad\xffbyte", 20, "bad\uFFFDbyte"},
		{"", 0, ""},
	}
	for _, c := range cases {
		if got := Clip(c.in, c.n); got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestShorten(t *testing.T) {
	for in, want := range map[string]string{
		"short": "short",
		"Does your organisation hold a current certificate": "Does your organisation…",
		"Überprüfung":                "Überprüfung",
		"abcdefghijklmnopqrstuvwxyz": "abcdefghijklmnopqrstuvw…",
	} {
		if got := Shorten(in, 24); got != want {
			t.Errorf("Shorten(%q, 24) = %q, want %q", in, got, want)
		}
	}
}

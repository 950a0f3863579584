package questionnaire

import (
	"fmt"
	"testing"
)

func TestControlName(t *testing.T) {
	counts := map[int]int{5: 37, 6: 8, 7: 14, 8: 34}
	total := 0
	for theme, n := range counts {
		for i := 1; i <= n+1; i++ {
			id := fmt.Sprintf("%d.%d", theme, i)
			name, ok := ControlName(id)
			if ok != (i <= n) || ok && name == "" {
				t.Errorf("ControlName(%s) = %q, %v", id, name, ok)
			}
			if ok {
				total++
			}
		}
	}
	if total != 93 {
		t.Errorf("%d controls, want 93", total)
	}
	known := map[string]string{
		"5.1":  "Policies for information security",
		"5.19": "Information security in supplier relationships",
		"5.20": "Addressing information security within supplier agreements",
		"5.23": "Information security for use of cloud services",
		"5.37": "Documented operating procedures",
		"6.1":  "Screening",
		"6.8":  "Information security event reporting",
		"7.1":  "Physical security perimeters",
		"7.14": "Secure disposal or re-use of equipment",
		"8.1":  "User end point devices",
		"8.24": "Use of cryptography",
		"8.34": "Protection of information systems during audit testing",
	}
	for id, want := range known {
		if got, _ := ControlName(id); got != want {
			t.Errorf("ControlName(%s) = %q, want %q", id, got, want)
		}
	}
	for _, bad := range []string{"", "5", "5.0", "5.01", "4.1", "9.1", "A.5.1", "5.1.1", " 5.1", "5.38", "+5.1"} {
		if name, ok := ControlName(bad); ok {
			t.Errorf("ControlName(%q) = %q, want none", bad, name)
		}
	}
}

func TestCompareControls(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"5.2", "5.10", -1},
		{"5.10", "5.2", 1},
		{"5.37", "6.1", -1},
		{"8.8", "8.15", -1},
		{"7.4", "7.4", 0},
	}
	for _, tt := range tests {
		if got := compareControls(tt.a, tt.b); got != tt.want {
			t.Errorf("compareControls(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

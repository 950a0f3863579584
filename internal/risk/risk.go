// Package risk scores a vendor's inherent risk with a transparent rubric:
// five factors — data sensitivity, access mode, clinical (patient-safety)
// impact, tolerable downtime and record volume — each worth a configurable
// number of points, add up to a score out of 100; two thresholds turn the
// score into a tier (1 critical, 2 high, 3 moderate/low), and the tier sets
// how often the vendor is reassessed. Every point comes with a reason in
// plain words, so the vendor page can say why a vendor is in its tier.
//
// The package has no dependencies beyond the standard library, so the
// configuration can import it.
package risk

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Data a vendor handles. The supplier register reuses these values.
const (
	DataPHI         = "phi"
	DataPII         = "pii"
	DataPaymentCard = "payment_card"
	DataFinancial   = "financial"
	DataNone        = "none"
)

// How a vendor reaches the hospital's systems or data.
const (
	AccessOnsite        = "onsite"
	AccessRemote        = "remote"
	AccessHostsData     = "hosts_data"
	AccessMedicalDevice = "medical_device"
	AccessSoftwareOnly  = "software_only"
)

// Clinical and patient-safety impact should the vendor fail.
const (
	ClinicalNone     = "none"
	ClinicalLow      = "low"
	ClinicalModerate = "moderate"
	ClinicalHigh     = "high"
)

// Factor names, as Reason.Factor and in ParseWeights.
const (
	FactorData     = "data"
	FactorAccess   = "access"
	FactorClinical = "clinical"
	FactorDowntime = "downtime"
	FactorVolume   = "volume"
)

// Weights are the most points each factor can add. The defaults add up to
// 100, so a score reads as "out of 100"; Validate insists on it.
type Weights struct {
	Data, Access, Clinical, Downtime, Volume int
}

// Rubric is the whole scoring configuration.
type Rubric struct {
	Weights Weights
	// Tier1 and Tier2 are score thresholds: a score of Tier1 or more is
	// tier 1, of Tier2 or more tier 2, anything less tier 3.
	Tier1, Tier2 int
	// Reassess is the reassessment interval in months for tiers 1, 2, 3.
	Reassess [3]int
}

// Default is the rubric Dossier ships with.
//
// Weights: what the vendor can see or leak weighs most (data 35), then how
// it gets in (access 25), then what happens to patients when it fails
// (clinical 20); how fast it must be back (downtime 10) and how many
// records it holds (volume 10) sharpen the picture.
//
// Thresholds 65 and 35, checked against the hospital's typical vendors:
//   - PACS vendor with remote access to PHI, high clinical impact, 4 hours'
//     tolerable downtime, millions of studies: 35+25+20+10+10 = 100, tier 1.
//     PHI with remote access alone is 60: one more factor of any weight
//     (even low clinical impact, +5) makes it tier 1.
//   - Payroll/finance SaaS hosting staff PII and financial data, no clinical
//     impact, 3 days' tolerable downtime, a few thousand records:
//     21+25+0+3+1 = 50, tier 2.
//   - Internet provider with on-site engineers, no data, low clinical impact
//     (a second line fails over), 8 hours: 0+15+5+6+0 = 26, tier 3; with
//     moderate clinical impact and 4 hours it is 37, tier 2.
//   - Software only, no data, no clinical impact: tier 3 however it is used.
//
// Intervals 12/24/36 months follow common practice: critical vendors
// yearly, high every two years, the rest every three.
func Default() Rubric {
	return Rubric{
		Weights:  Weights{Data: 35, Access: 25, Clinical: 20, Downtime: 10, Volume: 10},
		Tier1:    65,
		Tier2:    35,
		Reassess: [3]int{12, 24, 36},
	}
}

// Validate checks a rubric: weights from 0 to 100 adding up to 100,
// thresholds with 0 < Tier2 < Tier1 <= 100, intervals from 1 to 120 months
// and no longer for a riskier tier than for a safer one.
func (r Rubric) Validate() error {
	w := r.Weights
	for _, f := range w.list() {
		if f.v < 0 || f.v > 100 {
			return fmt.Errorf("risk weight %s=%d must be between 0 and 100", f.name, f.v)
		}
	}
	if sum := w.Data + w.Access + w.Clinical + w.Downtime + w.Volume; sum != 100 {
		return fmt.Errorf("risk weights add up to %d; they must add up to 100", sum)
	}
	if r.Tier2 <= 0 || r.Tier1 <= r.Tier2 || r.Tier1 > 100 {
		return fmt.Errorf("risk tier thresholds %d,%d: need 0 < tier 2 < tier 1 <= 100, such as 65,35", r.Tier1, r.Tier2)
	}
	for i, m := range r.Reassess {
		if m < 1 || m > 120 {
			return fmt.Errorf("reassessment interval for tier %d is %d months; it must be from 1 to 120", i+1, m)
		}
	}
	if r.Reassess[0] > r.Reassess[1] || r.Reassess[1] > r.Reassess[2] {
		return fmt.Errorf("reassessment intervals %d,%d,%d: a riskier tier cannot wait longer than a safer one", r.Reassess[0], r.Reassess[1], r.Reassess[2])
	}
	return nil
}

type namedWeight struct {
	name string
	v    int
}

func (w Weights) list() []namedWeight {
	return []namedWeight{{FactorData, w.Data}, {FactorAccess, w.Access}, {FactorClinical, w.Clinical}, {FactorDowntime, w.Downtime}, {FactorVolume, w.Volume}}
}

// String writes the weights the way ParseWeights reads them.
func (w Weights) String() string {
	parts := make([]string, 0, 5)
	for _, f := range w.list() {
		parts = append(parts, f.name+"="+strconv.Itoa(f.v))
	}
	return strings.Join(parts, ",")
}

// ParseWeights reads "data=35,access=25,clinical=20,downtime=10,volume=10".
// Every factor must be named once; the sum is checked by Validate.
func ParseWeights(s string) (Weights, error) {
	var w Weights
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok {
			return Weights{}, fmt.Errorf("risk weights: %q is not name=points (such as data=35)", part)
		}
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || n < 0 || n > 100 {
			return Weights{}, fmt.Errorf("risk weights: %q needs whole points from 0 to 100", part)
		}
		var dst *int
		switch name {
		case FactorData:
			dst = &w.Data
		case FactorAccess:
			dst = &w.Access
		case FactorClinical:
			dst = &w.Clinical
		case FactorDowntime:
			dst = &w.Downtime
		case FactorVolume:
			dst = &w.Volume
		default:
			return Weights{}, fmt.Errorf("risk weights: unknown factor %q; the factors are data, access, clinical, downtime, volume", name)
		}
		if seen[name] {
			return Weights{}, fmt.Errorf("risk weights: %s is given twice", name)
		}
		seen[name] = true
		*dst = n
	}
	for _, f := range w.list() {
		if !seen[f.name] {
			return Weights{}, fmt.Errorf("risk weights: %s is missing; name all five, such as %s", f.name, Default().Weights)
		}
	}
	return w, nil
}

// ParseTiers reads the two score thresholds "65,35" (tier 1, tier 2).
func ParseTiers(s string) (tier1, tier2 int, err error) {
	ns, err := parseInts(s, 2, "risk tier thresholds", "65,35")
	if err != nil {
		return 0, 0, err
	}
	if ns[1] <= 0 || ns[0] <= ns[1] || ns[0] > 100 {
		return 0, 0, fmt.Errorf("risk tier thresholds %q: need 0 < tier 2 < tier 1 <= 100, such as 65,35", s)
	}
	return ns[0], ns[1], nil
}

// ParseIntervals reads reassessment intervals in months for tiers 1, 2 and
// 3: "12,24,36".
func ParseIntervals(s string) ([3]int, error) {
	ns, err := parseInts(s, 3, "reassessment intervals", "12,24,36")
	if err != nil {
		return [3]int{}, err
	}
	for i, m := range ns {
		if m < 1 || m > 120 {
			return [3]int{}, fmt.Errorf("reassessment intervals: %d months for tier %d; use 1 to 120", m, i+1)
		}
	}
	return [3]int{ns[0], ns[1], ns[2]}, nil
}

func parseInts(s string, n int, what, example string) ([]int, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("%s %q: give %d numbers separated by commas, such as %s", what, s, n, example)
	}
	out := make([]int, n)
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a whole number", what, strings.TrimSpace(p))
		}
		out[i] = v
	}
	return out, nil
}

// Input is what the rubric scores.
type Input struct {
	Data          []string // DataPHI…; empty: not recorded
	Access        []string // AccessRemote…; empty: not recorded
	Clinical      string   // ClinicalHigh…; "": not recorded
	DowntimeHours int      // how long the hospital can do without the vendor; 0: unknown
	Records       int64    // approximate records the vendor holds or sees; 0: none or unknown
}

// Assessment is a score, its tier and why.
type Assessment struct {
	Score int `bson:"score" json:"score"` // 0-100
	// Tier is 1 (critical), 2 (high) or 3 (moderate/low); 0 when the data
	// handled, the access modes or the clinical impact is not recorded yet,
	// since a tier guessed from half the facts would mislead.
	Tier    int      `bson:"tier" json:"tier"`
	Reasons []Reason `bson:"reasons,omitempty" json:"reasons"`
	// Missing names the facts still needed for a tier, in plain words.
	Missing []string `bson:"missing,omitempty" json:"missing,omitempty"`
}

// Computed reports whether the assessment has a tier.
func (a Assessment) Computed() bool { return a.Tier >= 1 && a.Tier <= 3 }

// Reason is one factor's contribution. Text is the whole sentence a page
// shows, points included: "Handles protected health information (PHI): +35".
type Reason struct {
	Factor string `bson:"factor" json:"factor"`
	Text   string `bson:"text" json:"text"`
	Points int    `bson:"points" json:"points"`
}

func (r Reason) String() string { return r.Text }

// TierName is a tier in words: "critical", "high", "moderate/low", or
// "not yet tiered" for 0.
func TierName(tier int) string {
	switch tier {
	case 1:
		return "critical"
	case 2:
		return "high"
	case 3:
		return "moderate/low"
	}
	return "not yet tiered"
}

// The share of a factor's weight each answer earns, in percent. They are
// part of the rubric's documentation: the reasons quote them in words.
var (
	dataShare = map[string]int{DataPHI: 100, DataPaymentCard: 80, DataPII: 60, DataFinancial: 50, DataNone: 0}
	dataWords = map[string]string{
		DataPHI:         "Handles protected health information (PHI)",
		DataPaymentCard: "Handles payment card data",
		DataPII:         "Handles personal information (PII) but no PHI",
		DataFinancial:   "Handles the hospital's financial data",
		DataNone:        "Handles none of the hospital's data",
	}
	accessShare = map[string]int{AccessRemote: 100, AccessHostsData: 100, AccessMedicalDevice: 90, AccessOnsite: 60, AccessSoftwareOnly: 20}
	accessWords = map[string]string{
		AccessRemote:        "Remote access into hospital systems",
		AccessHostsData:     "Hosts the hospital's data",
		AccessMedicalDevice: "Medical device on the hospital network",
		AccessOnsite:        "Staff work on site",
		AccessSoftwareOnly:  "Supplies software only, with no access of its own",
	}
	clinicalShare = map[string]int{ClinicalHigh: 100, ClinicalModerate: 60, ClinicalLow: 25, ClinicalNone: 0}
	clinicalWords = map[string]string{
		ClinicalHigh:     "High clinical or patient-safety impact if it fails",
		ClinicalModerate: "Moderate clinical or patient-safety impact if it fails",
		ClinicalLow:      "Low clinical or patient-safety impact if it fails",
		ClinicalNone:     "No clinical or patient-safety impact",
	}
)

// Assess scores in. Each factor adds round(weight × share) points and one
// reason; with several data kinds or access modes the most sensitive one
// counts. Unknown downtime counts as the worst case (4 hours or less): a
// hospital should not rate a vendor lower for not knowing. Nothing at all
// recorded gives the zero Assessment, with no reasons.
func (r Rubric) Assess(in Input) Assessment {
	if len(in.Data) == 0 && len(in.Access) == 0 && in.Clinical == "" && in.DowntimeHours == 0 && in.Records == 0 {
		return Assessment{}
	}
	var a Assessment
	add := func(factor string, weight, share int, words string) {
		p := (weight*share + 50) / 100
		a.Score += p
		a.Reasons = append(a.Reasons, Reason{Factor: factor, Text: fmt.Sprintf("%s: +%d", words, p), Points: p})
	}
	w := r.Weights

	if v, share := strongest(in.Data, dataShare); v != "" {
		add(FactorData, w.Data, share, dataWords[v])
	} else {
		a.Missing = append(a.Missing, "the data it handles")
		add(FactorData, w.Data, 0, "Data handled not recorded yet")
	}
	if v, share := strongest(in.Access, accessShare); v != "" {
		add(FactorAccess, w.Access, share, accessWords[v])
	} else {
		a.Missing = append(a.Missing, "how it accesses our systems")
		add(FactorAccess, w.Access, 0, "Access not recorded yet")
	}
	if share, ok := clinicalShare[in.Clinical]; ok {
		add(FactorClinical, w.Clinical, share, clinicalWords[in.Clinical])
	} else {
		a.Missing = append(a.Missing, "its clinical impact")
		add(FactorClinical, w.Clinical, 0, "Clinical impact not recorded yet")
	}
	switch h := in.DowntimeHours; {
	case h <= 0:
		add(FactorDowntime, w.Downtime, 100, "Tolerable downtime not recorded, so counted as 4 hours or less")
	case h <= 4:
		add(FactorDowntime, w.Downtime, 100, "Tolerable downtime 4 hours or less")
	case h <= 24:
		add(FactorDowntime, w.Downtime, 60, "Tolerable downtime a day or less")
	case h <= 72:
		add(FactorDowntime, w.Downtime, 30, "Tolerable downtime three days or less")
	default:
		add(FactorDowntime, w.Downtime, 0, "Tolerable downtime more than three days")
	}
	switch n := in.Records; {
	case n >= 1_000_000:
		add(FactorVolume, w.Volume, 100, "A million records or more")
	case n >= 100_000:
		add(FactorVolume, w.Volume, 70, "100,000 records or more")
	case n >= 10_000:
		add(FactorVolume, w.Volume, 40, "10,000 records or more")
	case n >= 1:
		add(FactorVolume, w.Volume, 10, "Fewer than 10,000 records")
	default:
		add(FactorVolume, w.Volume, 0, "No record volume given")
	}
	a.Score = min(max(a.Score, 0), 100)
	if len(a.Missing) == 0 {
		a.Tier = r.TierOf(a.Score)
	}
	return a
}

// strongest returns the value among vs with the largest share, and that
// share; "" when none is known.
func strongest(vs []string, shares map[string]int) (string, int) {
	best, bestShare := "", -1
	for _, v := range vs {
		if s, ok := shares[v]; ok && s > bestShare {
			best, bestShare = v, s
		}
	}
	return best, bestShare
}

// TierOf is the tier of a score.
func (r Rubric) TierOf(score int) int {
	switch {
	case score >= r.Tier1:
		return 1
	case score >= r.Tier2:
		return 2
	}
	return 3
}

// Interval is the reassessment interval, in months, of a tier. A vendor
// not yet tiered gets tier 1's: the strictest until its facts are known.
func (r Rubric) Interval(tier int) int {
	if tier < 1 || tier > 3 {
		tier = 1
	}
	return r.Reassess[tier-1]
}

// NextDue is when a vendor of this tier assessed at from is next due.
func (r Rubric) NextDue(tier int, from time.Time) time.Time {
	return from.AddDate(0, r.Interval(tier), 0)
}

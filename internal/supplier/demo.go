package supplier

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/audit"
)

// SeedDemo fills an empty domain's register with six fictional vendors a
// hospital would have — PACS, RIS, laboratory analysers, EMR hosting,
// payroll SaaS and an internet provider — in different lifecycle states
// and all three tiers. owners maps a role ("procurement", "security", …)
// to a user id; vendors are owned by the procurement user when there is
// one. It does nothing when the domain already has vendors.
//
// Vendors reach their states through Transition, so through the real
// checklists: should a check registered by another area refuse (no
// assessment on file yet), the vendor stays where it got to.
func (s *Service) SeedDemo(ctx context.Context, domain string, owners map[string]string) error {
	n, err := s.vendors.Count(ctx, bson.M{"domain": domain})
	if err != nil || n > 0 {
		return err
	}
	owner := pickOwner(owners, "procurement", "admin", "security")
	now := s.now()
	type demo struct {
		f        Fields
		path     []string
		assessed time.Time // zero: never
	}
	keystone := demo{f: Fields{
		LegalName: "Keystone Health Cloud, LLC", TradingName: "Keystone EMR Hosting", RegistrationID: "47-3318820",
		Website: "https://www.keystone-healthcloud.example", Address: "1200 Commerce Park Dr, Harrisburg, PA 17110, USA",
		Description: "Hosts and operates the hospital's electronic medical record in its two data centres.",
		Services:    "EMR application hosting, database administration, backups and disaster recovery, 24/7 operations",
		Systems:     []string{SystemEMR}, Data: []string{DataPHI, DataPII}, Records: 5_200_000,
		Access: []string{AccessHostsData, AccessRemote}, Clinical: ClinicalHigh, DowntimeHours: 2, Owner: owner,
		Contacts: []Contact{
			{Name: "Elena Vasquez", Email: "security@keystone-healthcloud.example", Phone: "+1 717 555 0190", Role: RoleSecurity},
			{Name: "Robert Chen", Email: "contracts@keystone-healthcloud.example", Phone: "+1 717 555 0134", Role: RoleLegal},
			{Name: "Amira Haddad", Email: "amira.haddad@keystone-healthcloud.example", Role: RoleAccount},
		},
		FourthParties: []FourthParty{{Name: "Granite Data Centers Inc. (colocation)", TouchesPHI: true}},
		Tags:          []string{"hosting", "disaster recovery"},
		Notes:         "SOC 2 Type II report received for the last period; second data centre tested twice a year.",
	}, path: []string{Onboarding, Active}, assessed: now.AddDate(0, -3, 0)}
	meridian := demo{f: Fields{
		LegalName: "Meridian Imaging Systems, Inc.", TradingName: "Meridian PACS", RegistrationID: "84-2210937",
		Website: "https://www.meridian-imaging.example", Address: "400 Harbor Point Blvd, Suite 1200, Boston, MA 02210, USA",
		Description: "Picture archiving and communication system (PACS) and diagnostic viewer for radiology and cardiology.",
		Services:    "PACS licence, image archive, diagnostic viewer, remote support around the clock, annual upgrades",
		Systems:     []string{SystemPACS, SystemRIS}, Data: []string{DataPHI}, Records: 2_400_000,
		Access: []string{AccessRemote, AccessMedicalDevice}, Clinical: ClinicalHigh, DowntimeHours: 4, Owner: owner,
		Contacts: []Contact{
			{Name: "Dana Whitfield", Email: "dana.whitfield@meridian-imaging.example", Phone: "+1 617 555 0142", Role: RoleSecurity},
			{Name: "Marcus Oyelaran", Email: "legal@meridian-imaging.example", Phone: "+1 617 555 0100", Role: RoleLegal},
			{Name: "Support desk", Email: "support@meridian-imaging.example", Phone: "+1 617 555 0199", Role: RoleTechnical},
		},
		FourthParties: []FourthParty{{Name: "Nimbus Cloud Archive LLC (off-site image copy)", TouchesPHI: true}},
		Tags:          []string{"imaging", "24x7 support"},
	}, path: []string{Onboarding, Active}, assessed: now.AddDate(0, -11, 0)}
	halvorsen := demo{f: Fields{
		LegalName: "Halvorsen Diagnostics AS", TradingName: "Halvorsen Lab Systems", RegistrationID: "NO 987 654 321",
		Website: "https://halvorsen-diagnostics.example", Address: "Sandakerveien 56, 0477 Oslo, Norway",
		Description: "Chemistry and haematology analysers in the core laboratory, with their middleware server.",
		Services:    "Analyser lease, reagents, on-site service engineers, middleware interface to the laboratory system",
		Systems:     []string{SystemLab}, Data: []string{DataPHI}, Records: 350_000,
		Access: []string{AccessMedicalDevice, AccessOnsite}, Clinical: ClinicalHigh, DowntimeHours: 4, Owner: owner,
		Contacts: []Contact{
			{Name: "Ingrid Solberg", Email: "psirt@halvorsen-diagnostics.example", Phone: "+47 22 55 01 10", Role: RoleSecurity},
			{Name: "Henrik Dahl", Email: "legal@halvorsen-diagnostics.example", Role: RoleLegal},
			{Name: "Field service", Email: "service.us@halvorsen-diagnostics.example", Phone: "+1 800 555 0175", Role: RoleTechnical},
		},
		Tags: []string{"laboratory", "medical device"},
	}, path: []string{Onboarding, Active}, assessed: now.AddDate(0, -13, 0)}
	ledgerline := demo{f: Fields{
		LegalName: "Ledgerline Payroll Services Corp.", TradingName: "Ledgerline", RegistrationID: "91-5523016",
		Website: "https://www.ledgerline.example", Address: "77 Wacker Dr, Chicago, IL 60601, USA",
		Description: "Payroll and accounts-payable software as a service.",
		Services:    "Payroll runs, tax filings, staff self-service portal",
		Systems:     []string{SystemFinancial}, Data: []string{DataPII, DataFinancial}, Records: 8_200,
		Access: []string{AccessHostsData}, Clinical: ClinicalNone, DowntimeHours: 72, Owner: owner,
		Contacts: []Contact{
			{Name: "Tom Becker", Email: "security@ledgerline.example", Role: RoleSecurity},
			{Name: "Grace Liu", Email: "legal@ledgerline.example", Phone: "+1 312 555 0161", Role: RoleLegal},
		},
		Tags:  []string{"finance", "replacing"},
		Notes: "Being replaced by the new ERP's payroll module; data export agreed for the end of the quarter.",
	}, path: []string{Onboarding, Active, Offboarding}, assessed: now.AddDate(-1, -6, 0)}
	bayline := demo{f: Fields{
		LegalName: "Bayline Fiber Networks, Inc.", TradingName: "Bayline Fiber", RegistrationID: "26-7781234",
		Website: "https://bayline-fiber.example", Address: "3 Pier Road, Quincy, MA 02169, USA",
		Description: "Proposed second internet line, from a different carrier, as failover for the main connection.",
		Services:    "1 Gbit/s dedicated internet access, managed edge router, on-site installation",
		Systems:     []string{SystemInternet}, Data: []string{DataNone},
		Access: []string{AccessOnsite}, Clinical: ClinicalLow, DowntimeHours: 8, Owner: owner,
		Contacts: []Contact{{Name: "Network operations centre", Email: "noc@bayline-fiber.example", Phone: "+1 617 555 0120", Role: RoleTechnical}},
		Tags:     []string{"network"},
	}}
	clearview := demo{f: Fields{
		LegalName: "Clearview Radiology Software Ltd", TradingName: "Clearview RIS", RegistrationID: "GB 08412976",
		Website: "https://www.clearview-ris.example", Address: "14 Albion Street, Leeds LS1 6HX, United Kingdom",
		Description: "Radiology information system: orders, scheduling, reporting and results to the EMR.",
		Services:    "RIS licence, implementation, interfaces to PACS and EMR, remote support",
		Systems:     []string{SystemRIS, SystemEMR}, Data: []string{DataPHI, DataPII}, Records: 600_000,
		Access: []string{AccessRemote, AccessHostsData}, Clinical: ClinicalModerate, DowntimeHours: 8, Owner: owner,
		Contacts: []Contact{
			{Name: "Sophie Clarke", Email: "security@clearview-ris.example", Phone: "+44 113 496 0321", Role: RoleSecurity},
			{Name: "James Okafor", Email: "james.okafor@clearview-ris.example", Role: RoleAccount},
		},
		Tags:  []string{"imaging"},
		Notes: "Legal contact still to be named by the vendor before onboarding can finish.",
	}, path: []string{Onboarding}}

	approver := owners["security_reviewer"]
	if approver == "" {
		approver = "demo-approver"
	}
	order := []*demo{&keystone, &meridian, &halvorsen, &ledgerline, &bayline, &clearview}
	ids := map[*demo]string{}
	for _, d := range order {
		if d == &clearview {
			// Clearview's hosted RIS runs in Keystone's data centres.
			d.f.FourthParties = []FourthParty{{VendorID: ids[&keystone], TouchesPHI: true}}
		}
		v, err := s.Create(ctx, domain, d.f)
		if err != nil {
			return err
		}
		ids[d] = v.ID
		for _, to := range d.path {
			mctx := ctx
			if v.Status == Onboarding && to == Active {
				// Whoever started onboarding may not approve it.
				mctx = audit.WithActor(ctx, audit.Actor{ID: approver, Name: "demo security reviewer"})
			}
			next, err := s.Transition(mctx, domain, v.ID, v.Version, to, "Demo data.")
			var cl *ChecklistError
			if errors.As(err, &cl) {
				break
			}
			if err != nil {
				return err
			}
			v = next
		}
		if !d.assessed.IsZero() {
			if _, err := s.RecordAssessment(ctx, domain, v.ID, d.assessed); err != nil {
				return err
			}
		}
	}
	return nil
}

func pickOwner(owners map[string]string, roles ...string) string {
	for _, r := range roles {
		if id := owners[r]; id != "" {
			return id
		}
	}
	keys := make([]string, 0, len(owners))
	for k := range owners {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if owners[k] != "" {
			return owners[k]
		}
	}
	return ""
}

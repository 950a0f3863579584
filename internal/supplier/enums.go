package supplier

import (
	"strings"

	"dossier/internal/risk"
)

// Lifecycle statuses.
const (
	Prospect    = "prospect"
	Onboarding  = "onboarding"
	Active      = "active"
	Offboarding = "offboarding"
	Terminated  = "terminated"
)

// Hospital systems a vendor touches.
const (
	SystemEMR       = "emr"
	SystemFinancial = "financial"
	SystemPACS      = "pacs"
	SystemRIS       = "ris"
	SystemLab       = "lab"
	SystemInternet  = "internet"
	SystemOther     = "other" // named in Vendor.SystemsOther
)

// Data a vendor handles: the risk package's values.
const (
	DataPHI         = risk.DataPHI
	DataPII         = risk.DataPII
	DataPaymentCard = risk.DataPaymentCard
	DataFinancial   = risk.DataFinancial
	DataNone        = risk.DataNone
)

// How a vendor reaches the hospital: the risk package's values.
const (
	AccessOnsite        = risk.AccessOnsite
	AccessRemote        = risk.AccessRemote
	AccessHostsData     = risk.AccessHostsData
	AccessMedicalDevice = risk.AccessMedicalDevice
	AccessSoftwareOnly  = risk.AccessSoftwareOnly
)

// Clinical and patient-safety impact: the risk package's values.
const (
	ClinicalNone     = risk.ClinicalNone
	ClinicalLow      = risk.ClinicalLow
	ClinicalModerate = risk.ClinicalModerate
	ClinicalHigh     = risk.ClinicalHigh
)

// Roles of a vendor's contacts.
const (
	RoleSecurity  = "security"
	RoleLegal     = "legal"
	RoleAccount   = "account"
	RoleTechnical = "technical"
)

// The values of each enumeration, in the order forms list them. Treat them
// as read-only: validation uses its own copies, so changing these changes
// no decision.
var (
	Statuses        = statuses()
	Systems         = systems()
	DataKinds       = dataKinds()
	AccessModes     = accessModes()
	ClinicalImpacts = clinicalImpacts()
	ContactRoles    = contactRoles()
)

func statuses() []string { return []string{Prospect, Onboarding, Active, Offboarding, Terminated} }
func systems() []string {
	return []string{SystemEMR, SystemFinancial, SystemPACS, SystemRIS, SystemLab, SystemInternet, SystemOther}
}
func dataKinds() []string {
	return []string{DataPHI, DataPII, DataPaymentCard, DataFinancial, DataNone}
}
func accessModes() []string {
	return []string{AccessOnsite, AccessRemote, AccessHostsData, AccessMedicalDevice, AccessSoftwareOnly}
}
func clinicalImpacts() []string {
	return []string{ClinicalNone, ClinicalLow, ClinicalModerate, ClinicalHigh}
}
func contactRoles() []string { return []string{RoleSecurity, RoleLegal, RoleAccount, RoleTechnical} }

// labels are the human words for every code. Codes shared by two
// enumerations ("financial", "none") have a label that reads right in both.
var labels = map[string]string{
	Prospect: "Prospect", Onboarding: "Onboarding", Active: "Active", Offboarding: "Offboarding", Terminated: "Terminated",

	SystemEMR: "EMR", SystemFinancial: "Financial", SystemPACS: "PACS", SystemRIS: "RIS",
	SystemLab: "Clinical Laboratory", SystemInternet: "Internet Access", SystemOther: "Other",

	DataPHI: "PHI", DataPII: "PII", DataPaymentCard: "Payment card", DataNone: "None",

	AccessOnsite: "On-site staff", AccessRemote: "Remote access", AccessHostsData: "Hosts our data",
	AccessMedicalDevice: "Medical device on our network", AccessSoftwareOnly: "Software only",

	ClinicalLow: "Low", ClinicalModerate: "Moderate", ClinicalHigh: "High",

	RoleSecurity: "Security", RoleLegal: "Legal", RoleAccount: "Account", RoleTechnical: "Technical",
}

// Label is the human word for a code of any of the register's
// enumerations ("lab" → "Clinical Laboratory"); an unknown code is
// returned as it is.
func Label(code string) string {
	if l, ok := labels[code]; ok {
		return l
	}
	return code
}

// aliases are further words people type in spreadsheets, lower case.
var aliases = map[string]string{
	"electronic medical record": SystemEMR, "ehr": SystemEMR, "finance": SystemFinancial,
	"laboratory": SystemLab, "clinical lab": SystemLab, "internet": SystemInternet,
	"protected health information": DataPHI, "personal information": DataPII, "payment": DataPaymentCard,
	"payment card data": DataPaymentCard, "pci": DataPaymentCard, "financial data": DataFinancial,
	"on-site": AccessOnsite, "on site": AccessOnsite, "onsite staff": AccessOnsite, "remote": AccessRemote,
	"hosted": AccessHostsData, "hosts data": AccessHostsData, "medical device": AccessMedicalDevice,
	"software": AccessSoftwareOnly,
}

// parseValue finds the code among allowed that s names, by code, label or
// alias, in any letter case.
func parseValue(s string, allowed []string) (string, bool) {
	k := strings.ToLower(strings.Join(strings.Fields(s), " "))
	for _, code := range allowed {
		if k == code || k == strings.ToLower(Label(code)) {
			return code, true
		}
	}
	if code, ok := aliases[k]; ok && contains(allowed, code) {
		return code, true
	}
	return "", false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// statusRank orders statuses along the lifecycle for sorting.
func statusRank(s string) int {
	for i, v := range statuses() {
		if v == s {
			return i + 1
		}
	}
	return 0
}

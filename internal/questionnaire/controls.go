package questionnaire

import (
	"cmp"
	"strconv"
	"strings"
)

// annexA holds the titles of the ISO/IEC 27001:2022 Annex A controls by
// theme: 5 organizational, 6 people, 7 physical, 8 technological.
var annexA = [4][]string{
	{ // 5 Organizational controls
		"Policies for information security",
		"Information security roles and responsibilities",
		"Segregation of duties",
		"Management responsibilities",
		"Contact with authorities",
		"Contact with special interest groups",
		"Threat intelligence",
		"Information security in project management",
		"Inventory of information and other associated assets",
		"Acceptable use of information and other associated assets",
		"Return of assets",
		"Classification of information",
		"Labelling of information",
		"Information transfer",
		"Access control",
		"Identity management",
		"Authentication information",
		"Access rights",
		"Information security in supplier relationships",
		"Addressing information security within supplier agreements",
		"Managing information security in the information and communication technology (ICT) supply chain",
		"Monitoring, review and change management of supplier services",
		"Information security for use of cloud services",
		"Information security incident management planning and preparation",
		"Assessment and decision on information security events",
		"Response to information security incidents",
		"Learning from information security incidents",
		"Collection of evidence",
		"Information security during disruption",
		"ICT readiness for business continuity",
		"Legal, statutory, regulatory and contractual requirements",
		"Intellectual property rights",
		"Protection of records",
		"Privacy and protection of personal identifiable information (PII)",
		"Independent review of information security",
		"Compliance with policies, rules and standards for information security",
		"Documented operating procedures",
	},
	{ // 6 People controls
		"Screening",
		"Terms and conditions of employment",
		"Information security awareness, education and training",
		"Disciplinary process",
		"Responsibilities after termination or change of employment",
		"Confidentiality or non-disclosure agreements",
		"Remote working",
		"Information security event reporting",
	},
	{ // 7 Physical controls
		"Physical security perimeters",
		"Physical entry",
		"Securing offices, rooms and facilities",
		"Physical security monitoring",
		"Protecting against physical and environmental threats",
		"Working in secure areas",
		"Clear desk and clear screen",
		"Equipment siting and protection",
		"Security of assets off-premises",
		"Storage media",
		"Supporting utilities",
		"Cabling security",
		"Equipment maintenance",
		"Secure disposal or re-use of equipment",
	},
	{ // 8 Technological controls
		"User end point devices",
		"Privileged access rights",
		"Information access restriction",
		"Access to source code",
		"Secure authentication",
		"Capacity management",
		"Protection against malware",
		"Management of technical vulnerabilities",
		"Configuration management",
		"Information deletion",
		"Data masking",
		"Data leakage prevention",
		"Information backup",
		"Redundancy of information processing facilities",
		"Logging",
		"Monitoring activities",
		"Clock synchronization",
		"Use of privileged utility programs",
		"Installation of software on operational systems",
		"Networks security",
		"Security of network services",
		"Segregation of networks",
		"Web filtering",
		"Use of cryptography",
		"Secure development life cycle",
		"Application security requirements",
		"Secure system architecture and engineering principles",
		"Secure coding",
		"Security testing in development and acceptance",
		"Outsourced development",
		"Separation of development, test and production environments",
		"Change management",
		"Test information",
		"Protection of information systems during audit testing",
	},
}

// ControlName returns the title of an ISO/IEC 27001:2022 Annex A control:
// ControlName("5.19") is "Information security in supplier relationships".
func ControlName(id string) (string, bool) {
	theme, n, ok := splitControl(id)
	if !ok || theme < 5 || theme > 8 || n < 1 || n > len(annexA[theme-5]) {
		return "", false
	}
	return annexA[theme-5][n-1], true
}

// splitControl reads "5.19" as 5, 19. It accepts only what controlRe
// does, so "5.019" and "+5.1" are not controls.
func splitControl(id string) (theme, n int, ok bool) {
	if !controlRe.MatchString(id) {
		return 0, 0, false
	}
	a, b, _ := strings.Cut(id, ".")
	theme, _ = strconv.Atoi(a)
	n, _ = strconv.Atoi(b)
	if len(b) == 2 && b[0] == '0' {
		return 0, 0, false
	}
	return theme, n, true
}

// compareControls orders controls numerically: 5.2 before 5.10.
func compareControls(a, b string) int {
	ta, na, _ := splitControl(a)
	tb, nb, _ := splitControl(b)
	return cmp.Or(cmp.Compare(ta, tb), cmp.Compare(na, nb), cmp.Compare(a, b))
}

// Package templates holds Dossier's HTML templates and static assets,
// embedded in the binary so everything works offline.
package templates

import "embed"

// FS holds the page templates (*.html) and static/.
//
//go:embed *.html static
var FS embed.FS

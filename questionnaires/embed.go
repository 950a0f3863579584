// Package questionnaires ships the security questionnaire templates that
// Dossier offers out of the box (see README.md). A hospital adds its own in
// the folder named by DOSSIER_QUESTIONNAIRES.
package questionnaires

import "embed"

// FS holds the shipped templates at its root, with this folder's README.
//
//go:embed README.md *.yaml
var FS embed.FS

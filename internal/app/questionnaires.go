package app

import (
	"fmt"
	"log/slog"
	"os"

	"dossier/internal/config"
	"dossier/internal/mail"
	"dossier/internal/questionnaire"
	"dossier/questionnaires"
)

// loadQuestionnaires reads the built-in questionnaire templates and those
// in the hospital's own folder (dir, when set). Any problem stops the
// start with file:line and the reason.
func loadQuestionnaires(dir string) ([]*questionnaire.Template, error) {
	builtin, err := questionnaire.Load(questionnaires.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("built-in questionnaires: %w", err)
	}
	if dir == "" {
		return builtin, nil
	}
	own, err := questionnaire.Load(os.DirFS(dir), ".")
	if err != nil {
		return nil, fmt.Errorf("questionnaires in %s (DOSSIER_QUESTIONNAIRES): %w", dir, err)
	}
	ids := map[string]string{}
	for _, t := range builtin {
		ids[t.ID] = "built in"
	}
	for _, t := range own {
		if _, ok := ids[t.ID]; ok {
			return nil, fmt.Errorf("%s: questionnaire id %q is already a built-in questionnaire; choose another id", t.File, t.ID)
		}
	}
	return append(builtin, own...), nil
}

// newMailer sets up mail from DOSSIER_SMTP_URL; without it mail is off.
func newMailer(cfg config.Config, log *slog.Logger) (*mail.Mailer, error) {
	if cfg.SMTPURL == "" {
		return nil, nil
	}
	mc, err := mail.ParseURL(cfg.SMTPURL)
	if err != nil {
		return nil, fmt.Errorf("DOSSIER_SMTP_URL: %w", err)
	}
	log.Info("mail enabled", "smtp", mc.String())
	return mail.New(mc, log), nil
}

package document

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/stamp"
)

// Stamper makes controlled copies of PDFs; *stamp.Stamper is one.
type Stamper interface {
	Stamp(ctx context.Context, src string, dst io.Writer, c stamp.Copy) (pages int, err error)
}

// ControlledCopy makes a controlled copy of the document's revision in
// effect today, issued to the actor in ctx, records it and returns it with
// the copy's bytes. The stored original is only read (and its SHA-256
// checked on the way); the copy is stamped on every page and carries the
// approvals and the revision history on appended pages. Nothing is
// recorded when the copy cannot be made, and nothing is returned when it
// cannot be recorded.
//
// Only a PDF revision has a controlled copy; a Markdown revision is read on
// its page, which says printed copies are uncontrolled.
func (s *Service) ControlledCopy(ctx context.Context, domain, id string) (Copy, []byte, error) {
	if s.o.Files == nil {
		return Copy{}, nil, noFiles()
	}
	if s.o.Stamper == nil {
		return Copy{}, nil, errs.E(errs.Unavailable, "Controlled copies are not available.")
	}
	d, err := s.Get(ctx, domain, id)
	if err != nil {
		return Copy{}, nil, err
	}
	r, ok := d.EffectiveOn(s.today())
	if !ok {
		return Copy{}, nil, errs.E(errs.Conflict, "%s has no revision in effect today, so there is no controlled copy to issue.", d.Number)
	}
	if r.Format != PDF {
		return Copy{}, nil, errs.E(errs.Conflict, "Revision %s of %s is written in Dossier, not a PDF: read it on its page (printed copies are uncontrolled).", r.Label(), d.Number)
	}
	if r.Disposed != nil {
		return Copy{}, nil, errs.E(errs.NotFound, "The file of revision %s was disposed of.", r.Label())
	}
	src, err := s.spool(ctx, r.File)
	if err != nil {
		return Copy{}, nil, err
	}
	defer os.Remove(src)
	actor := audit.ActorFrom(ctx)
	issuedTo := s.name(actor.ID) // their printed name
	if issuedTo == actor.ID && actor.Name != "" {
		issuedTo = actor.Name
	}
	var out bytes.Buffer
	if _, err := s.o.Stamper.Stamp(ctx, src, &out, stampCopy(d, r, issuedTo, s.now())); err != nil {
		return Copy{}, nil, err
	}
	c, err := s.IssueCopy(ctx, domain, id, r.N, actor.ID)
	if err != nil {
		return Copy{}, nil, err
	}
	return c, out.Bytes(), nil
}

// spool copies a revision's file to a temporary file for pdfcpu, which
// reads from a path, checking its SHA-256 as it goes.
func (s *Service) spool(ctx context.Context, f File) (string, error) {
	rd, err := s.o.Files.Get(ctx, f.Key, f.VersionID, f.SHA256)
	if err != nil {
		return "", err
	}
	defer rd.Close()
	tmp, err := os.CreateTemp("", "dossier-original-*.pdf")
	if err != nil {
		return "", errs.Wrap(errs.Internal, err, "spool the original")
	}
	_, err = io.Copy(tmp, rd)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		if errors.Is(err, blob.ErrIntegrity) {
			return "", errs.Wrap(errs.Internal, err, "the stored original failed its integrity check")
		}
		return "", err
	}
	return tmp.Name(), nil
}

// stampCopy is what the controlled copy of r says: the stamp, the
// approvals of the round that approved it, and the revisions newest first.
func stampCopy(d Document, r Revision, issuedTo string, at time.Time) stamp.Copy {
	c := stamp.Copy{Number: d.Number, Title: d.Title, Revision: r.Label(), Effective: r.EffectiveFrom, IssuedTo: issuedTo, IssuedAt: at}
	for _, sg := range r.Approvals() {
		c.Approvals = append(c.Approvals, stamp.Approval{Name: sg.SignerName, Meaning: meaningLabel(sg.Meaning), At: sg.At, SHA256: sg.FileSHA256})
	}
	revs := slices.Clone(d.Revisions)
	slices.SortFunc(revs, func(a, b Revision) int { return b.N - a.N })
	for _, h := range revs {
		if h.EffectiveFrom.IsZero() {
			continue // drafts and revisions never published are not the document's history
		}
		st := h.State
		switch {
		case h.N == r.N:
			st = Effective
		case st == Effective:
			st = Superseded // by r, on a day the sweep has not yet recorded
		}
		c.History = append(c.History, stamp.HistoryEntry{Revision: h.Label(), State: label(st), Date: h.EffectiveFrom, Summary: h.ChangeSummary})
	}
	return c
}

// meaningLabel says what a signature means, for people.
func meaningLabel(m Meaning) string {
	switch m {
	case Approve:
		return "Approved"
	case Reject:
		return "Rejected"
	case ReviewedNoChange:
		return "Reviewed, no change"
	}
	return strings.ReplaceAll(string(m), "_", " ")
}

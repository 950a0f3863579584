package document

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/text"
	"dossier/internal/upload"
)

// RevisionInput is the content of a new or edited draft: a PDF upload or
// Markdown text (exactly one), and the change summary.
type RevisionInput struct {
	Major         bool         `json:"major"` // a substantive change (x+1.0); otherwise editorial (x.y+1). The first revision is 1.0 either way.
	ChangeSummary string       `json:"change_summary"`
	Markdown      string       `json:"markdown"`
	File          *upload.File `json:"-"`
}

// NewRevision adds a draft revision, numbered relative to the latest
// revision (the first is 1.0), written by the actor. Its file — the PDF,
// checked first, or the Markdown as text/markdown — is stored before the
// revision is recorded; a refused upload stores nothing.
func (s *Service) NewRevision(ctx context.Context, domain, id string, version int64, in RevisionInput) (Document, Revision, error) {
	d, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Document{}, Revision{}, err
	}
	var chk checker
	summary := chk.text("change_summary", "The change summary", in.ChangeSummary, MaxSummary, true)
	format, err := s.checkContent(ctx, &chk, in)
	if err != nil {
		return Document{}, Revision{}, err
	}
	if err := chk.err(); err != nil {
		return Document{}, Revision{}, err
	}
	n := 1
	for _, r := range d.Revisions {
		n = max(n, r.N+1)
	}
	major, minor := 1, 0
	if last, ok := d.Latest(); ok {
		if in.Major {
			major = last.Major + 1
		} else {
			major, minor = last.Major, last.Minor+1
		}
	}
	file, err := s.store(ctx, d, n, format, in)
	if err != nil {
		return Document{}, Revision{}, err
	}
	actor := audit.ActorFrom(ctx)
	now := s.now()
	r := Revision{N: n, Major: major, Minor: minor, State: Draft, Format: format, File: file, ChangeSummary: summary,
		Author: actor.ID, AuthorName: actor.Name, CreatedAt: now, UpdatedAt: now,
		Rule: ApprovalRule{Approvers: []string{}, Roles: []string{}}, Signatures: []Signature{}, PriorFiles: []File{}}
	d.Revisions = append(slices.Clone(d.Revisions), r)
	d.UpdatedAt = now
	if err := s.save(ctx, &d, version); err != nil {
		return Document{}, Revision{}, err
	}
	return d, r, s.record(ctx, "document.revision_create", domain, id, map[string]string{
		"revision": r.Label(), "format": string(format), "sha256": file.SHA256, "summary": text.Shorten(summary, 500)})
}

// EditDraft replaces a draft's content and change summary; only its author
// may, and only until it is submitted.
func (s *Service) EditDraft(ctx context.Context, domain, id string, version int64, n int, in RevisionInput) (Document, error) {
	d, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Document{}, err
	}
	r := d.rev(n)
	if r == nil {
		return Document{}, noRevision(n)
	}
	if r.State != Draft {
		return Document{}, errs.E(errs.Conflict, "Revision %s is %s: a revision cannot change once submitted. Start a new revision instead.", r.Label(), label(r.State))
	}
	if actor := audit.ActorFrom(ctx); actor.ID != r.Author {
		return Document{}, errs.E(errs.Forbidden, "Only the author of revision %s (%s) can edit it.", r.Label(), r.AuthorName)
	}
	var chk checker
	summary := chk.text("change_summary", "The change summary", in.ChangeSummary, MaxSummary, true)
	format, err := s.checkContent(ctx, &chk, in)
	if err != nil {
		return Document{}, err
	}
	if err := chk.err(); err != nil {
		return Document{}, err
	}
	file, err := s.store(ctx, d, n, format, in)
	if err != nil {
		return Document{}, err
	}
	d.Revisions = slices.Clone(d.Revisions)
	r = d.rev(n)
	// The file replaced stays with the revision (a rejection may have been
	// signed on it, and it is stored under retention): it is kept, locked
	// and disposed of with the revision's file.
	r.PriorFiles = append(slices.Clone(r.PriorFiles), r.File)
	r.File, r.Format, r.ChangeSummary, r.UpdatedAt = file, format, summary, s.now()
	d.UpdatedAt = r.UpdatedAt
	if err := s.save(ctx, &d, version); err != nil {
		return Document{}, err
	}
	return d, s.record(ctx, "document.revision_edit", domain, id, map[string]string{
		"revision": r.Label(), "format": string(format), "sha256": file.SHA256, "summary": text.Shorten(summary, 500)})
}

// Submit sends a draft for review and approval: its content is fixed from
// now on, and a new review round starts.
func (s *Service) Submit(ctx context.Context, domain, id string, version int64, n int) (Document, error) {
	d, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Document{}, err
	}
	d.Revisions = slices.Clone(d.Revisions)
	r := d.rev(n)
	if r == nil {
		return Document{}, noRevision(n)
	}
	if r.State != Draft {
		return Document{}, errs.E(errs.Conflict, "Revision %s is %s; only a draft is submitted for review.", r.Label(), label(r.State))
	}
	now := s.now()
	r.State, r.Round, r.SubmittedAt, r.UpdatedAt = InReview, r.Round+1, now, now
	r.Rule = ApprovalRule{Approvers: append([]string{}, d.Approval.Approvers...), Roles: append([]string{}, d.Approval.Roles...), Required: d.Approval.Required}
	d.UpdatedAt = now
	if err := s.save(ctx, &d, version); err != nil {
		return Document{}, err
	}
	return d, s.record(ctx, "document.submit", domain, id, map[string]string{"revision": r.Label(), "sha256": r.File.SHA256, "round": strconv.Itoa(r.Round)})
}

// OpenRevision reads a revision's file; the reader checks its SHA-256 as
// it reaches the end (blob.ErrIntegrity). The read is audited.
func (s *Service) OpenRevision(ctx context.Context, domain, id string, n int) (Revision, *blob.Reader, error) {
	if s.o.Files == nil {
		return Revision{}, nil, noFiles()
	}
	d, err := s.Get(ctx, domain, id)
	if err != nil {
		return Revision{}, nil, err
	}
	r, ok := d.Revision(n)
	if !ok {
		return Revision{}, nil, noRevision(n)
	}
	if r.Disposed != nil {
		return Revision{}, nil, errs.E(errs.NotFound, "The file of revision %s was disposed of on %s.", r.Label(), r.Disposed.At.Format("2006-01-02"))
	}
	rd, err := s.o.Files.Get(ctx, r.File.Key, r.File.VersionID, r.File.SHA256)
	if err != nil {
		return Revision{}, nil, err
	}
	if err := s.record(ctx, "document.file_download", domain, id, map[string]string{"revision": r.Label(), "sha256": r.File.SHA256}); err != nil {
		rd.Close()
		return Revision{}, nil, err
	}
	return r, rd, nil
}

// ReadText reads Markdown revision n's text for a page, checked against
// its SHA-256 to the last byte. The read is audited as a reading
// (document.read), not a download.
func (s *Service) ReadText(ctx context.Context, domain, id string, n int) (string, error) {
	if s.o.Files == nil {
		return "", noFiles()
	}
	d, err := s.Get(ctx, domain, id)
	if err != nil {
		return "", err
	}
	r, ok := d.Revision(n)
	switch {
	case !ok:
		return "", noRevision(n)
	case r.Format != Markdown:
		return "", errs.E(errs.Conflict, "Revision %s is a PDF, not text written in Dossier.", r.Label())
	case r.Disposed != nil:
		return "", errs.E(errs.NotFound, "The file of revision %s was disposed of on %s.", r.Label(), r.Disposed.At.Format("2006-01-02"))
	}
	rd, err := s.o.Files.Get(ctx, r.File.Key, r.File.VersionID, r.File.SHA256)
	if err != nil {
		return "", err
	}
	defer rd.Close()
	b, err := io.ReadAll(io.LimitReader(rd, MaxMarkdown+1))
	switch {
	case errors.Is(err, blob.ErrIntegrity):
		return "", errs.Wrap(errs.Internal, err, "the stored text of revision "+r.Label()+" failed its integrity check")
	case err != nil:
		return "", err
	case len(b) > MaxMarkdown:
		// Longer than any revision stored: not the file recorded, and its
		// SHA-256 was never reached to say so.
		return "", errs.E(errs.Internal, "The stored text of revision %s is longer than a revision can be; it is not shown.", r.Label())
	}
	return string(b), s.record(ctx, "document.read", domain, id, map[string]string{"revision": r.Label(), "sha256": r.File.SHA256})
}

// editable reads a document a person is about to change, at the version
// they saw.
func (s *Service) editable(ctx context.Context, domain, id string, version int64) (Document, error) {
	d, err := s.current(ctx, domain, id)
	if err != nil {
		return Document{}, err
	}
	if d.Version != version {
		return Document{}, conflict()
	}
	if d.Retired != nil {
		return Document{}, errs.E(errs.Conflict, "Document %s was retired on %s; it is kept as a record and not changed.", d.Number, d.Retired.On.Format("2006-01-02"))
	}
	return d, nil
}

// checkContent checks the content of in: exactly one of a PDF and
// Markdown text.
func (s *Service) checkContent(ctx context.Context, chk *checker, in RevisionInput) (Format, error) {
	md := strings.TrimSpace(in.Markdown)
	switch {
	case in.File != nil && md != "":
		chk.add("file", "Upload a PDF or write the text in Markdown, not both.")
		return "", nil
	case in.File != nil:
		if s.o.Files == nil || s.o.Checker == nil {
			return "", noFiles()
		}
		if err := s.o.Checker.Check(ctx, in.File, "file", upload.PDF); err != nil {
			if errs.Is(err, errs.Invalid) {
				chk.add("file", "%s", errs.Message(err))
				return PDF, nil
			}
			return "", err
		}
		return PDF, nil
	case md != "":
		if s.o.Files == nil {
			return "", noFiles()
		}
		switch {
		case !utf8.ValidString(in.Markdown) || strings.ContainsRune(in.Markdown, 0):
			chk.add("markdown", "The text is not valid UTF-8 text.")
		case len(in.Markdown) > MaxMarkdown:
			chk.add("markdown", "The text can be at most %s.", upload.FormatSize(MaxMarkdown))
		}
		return Markdown, nil
	}
	chk.add("file", "Upload the revision as a PDF, or write it in Markdown.")
	return "", nil
}

// store puts a revision's content in S3 under documents/<id>/<n>-<random>
// with its SHA-256, under retention until six years after today (45 CFR
// 164.316(b)(2): from creation), extended when it leaves effect.
func (s *Service) store(ctx context.Context, d Document, n int, format Format, in RevisionInput) (File, error) {
	until := addMonths(s.today(), 12*RetentionYears)
	po := blob.PutOptions{Retention: &blob.Retention{Mode: s.mode(), Until: until}}
	key := fmt.Sprintf("documents/%s/%d-%s", d.ID, n, newID()[:16])
	f := File{RetainUntil: until, Mode: string(s.mode())}
	var obj blob.Object
	var err error
	switch format {
	case PDF:
		key += ".pdf"
		po.ContentType = "application/pdf"
		r, oerr := in.File.Open()
		if oerr != nil {
			return File{}, errs.Wrap(errs.Internal, oerr, "open spooled upload")
		}
		defer r.Close()
		obj, err = s.o.Files.Put(ctx, key, r, in.File.Size, po)
		if err == nil && obj.SHA256 != in.File.SHA256 {
			return File{}, errs.E(errs.Internal, "The file changed while it was stored; upload it again.")
		}
		f.Pages = in.File.Pages
		f.Name = text.Clip(strings.TrimSpace(in.File.Name), 200)
	default:
		key += ".md"
		po.ContentType = "text/markdown; charset=utf-8"
		body := strings.ReplaceAll(in.Markdown, "\r\n", "\n")
		obj, err = s.o.Files.Put(ctx, key, strings.NewReader(body), int64(len(body)), po)
	}
	if err != nil {
		if errs.Is(err, errs.Unavailable) {
			return File{}, errs.Wrap(errs.Unavailable, err, "File storage is unavailable, so nothing was stored and the document is unchanged. Try again shortly.")
		}
		return File{}, err
	}
	if f.Name == "" {
		f.Name = fmt.Sprintf("%s-%d%s", strings.ToLower(d.Number), n, key[strings.LastIndex(key, "."):])
	}
	f.Key, f.VersionID, f.SHA256, f.Size, f.ContentType = obj.Key, obj.VersionID, obj.SHA256, obj.Size, po.ContentType
	return f, nil
}

func noRevision(n int) error { return errs.E(errs.NotFound, "This document has no revision %d.", n) }

func label(st State) string { return strings.ReplaceAll(string(st), "_", " ") }

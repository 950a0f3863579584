package contract

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/text"
	"dossier/internal/upload"
)

// FileKinds are the kinds of file a contract takes: signed copies are
// PDFs; a working copy may be a DOCX or an unsigned PDF.
func FileKinds(signed bool) []upload.Kind {
	if signed {
		return []upload.Kind{upload.PDF}
	}
	return []upload.Kind{upload.PDF, upload.DOCX}
}

// UploadFile adds a file version to a contract: the signed copy (signed,
// a PDF) or a working copy (a DOCX or PDF). The content is checked first —
// an empty file, one that is not what its name says, or a PDF pdfcpu cannot
// read is refused as invalid input and nothing is stored. Without the
// manage right (canManage false) files can be added to drafts only.
//
// The file is stored under contracts/<id>/<n>-<random> with its SHA-256,
// under object-lock retention until the date requiredRetention gives (six
// years after the contract was last in effect, or after the later of its
// expiry and today while it runs; none for a draft, whose files Activate
// locks), and under legal hold when the contract is held. Then the file is recorded with one conditional update of the
// contract. If storing fails nothing is recorded; if recording fails (the
// contract changed meanwhile) the stored object is garbage no record points
// at, left for a reconciler to sweep from contracts/<id>/.
func (s *Service) UploadFile(ctx context.Context, domain, id string, version int64, f *upload.File, signed, canManage bool) (Contract, error) {
	if s.o.Files == nil || s.o.Checker == nil {
		return Contract{}, noFiles()
	}
	c, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Contract{}, err
	}
	if !canManage && c.Status != Draft {
		return Contract{}, errs.E(errs.Forbidden, "This contract is %s: only someone who manages contracts can add files to it. You can upload files to drafts.",
			strings.ToLower(c.Status.Label()))
	}
	if err := s.o.Checker.Check(ctx, f, "file", FileKinds(signed)...); err != nil {
		return Contract{}, err
	}
	n := c.FileSeq + 1
	key := fmt.Sprintf("contracts/%s/%d-%s", c.ID, n, newID()[:16])
	po := blob.PutOptions{ContentType: f.ContentType, LegalHold: c.Hold.On}
	fv := FileVersion{N: n, Key: key, Name: fileName(f, n), ContentType: f.ContentType, Pages: f.Pages, Encrypted: f.Encrypted, Signed: signed,
		UploadedBy: audit.ActorFrom(ctx).Name, UploadedAt: s.now()}
	if until := s.requiredRetention(c); until.After(s.now()) {
		po.Retention = &blob.Retention{Mode: s.mode(), Until: until}
		fv.RetainUntil, fv.RetentionMode = until, string(s.mode())
	}
	r, err := f.Open()
	if err != nil {
		return Contract{}, errs.Wrap(errs.Internal, err, "open spooled upload")
	}
	defer r.Close()
	obj, err := s.o.Files.Put(ctx, key, r, f.Size, po)
	if err != nil {
		if errs.Is(err, errs.Unavailable) {
			return Contract{}, errs.Wrap(errs.Unavailable, err, "File storage is unavailable, so the file was not stored and the contract is unchanged. Try again shortly.")
		}
		return Contract{}, err
	}
	if obj.SHA256 != f.SHA256 {
		return Contract{}, errs.E(errs.Internal, "The file changed while it was stored; upload it again.")
	}
	fv.VersionID, fv.SHA256, fv.Size = obj.VersionID, obj.SHA256, obj.Size
	c.Files = append(slices.Clone(c.Files), fv)
	c.FileSeq, c.UpdatedAt = n, s.now()
	if err := s.save(ctx, &c, version); err != nil {
		return Contract{}, err
	}
	return c, s.record(ctx, "contract.file_upload", domain, id, map[string]string{
		"file": strconv.Itoa(n), "name": fv.Name, "sha256": fv.SHA256, "size": strconv.FormatInt(fv.Size, 10),
		"signed": strconv.FormatBool(signed), "retain_until": dateOr(fv.RetainUntil, ""), "legal_hold": strconv.FormatBool(po.LegalHold)})
}

func fileName(f *upload.File, n int) string {
	if name := text.Clip(strings.TrimSpace(f.Name), 200); name != "" {
		return name
	}
	return fmt.Sprintf("contract-file-%d%s", n, f.Kind.Ext())
}

// OpenFile reads file version n of a contract. The reader checks the
// content against the SHA-256 recorded at upload as it reaches the end
// (blob.ErrIntegrity); the read is audited as contract.file_download.
func (s *Service) OpenFile(ctx context.Context, domain, id string, n int) (FileVersion, *blob.Reader, error) {
	return s.openFile(ctx, domain, id, n, false)
}

// PreviewFile is OpenFile for showing a file in the browser's own viewer,
// which only a PDF is; another file is refused before it is read.
func (s *Service) PreviewFile(ctx context.Context, domain, id string, n int) (FileVersion, *blob.Reader, error) {
	return s.openFile(ctx, domain, id, n, true)
}

func (s *Service) openFile(ctx context.Context, domain, id string, n int, pdfOnly bool) (FileVersion, *blob.Reader, error) {
	if s.o.Files == nil {
		return FileVersion{}, nil, noFiles()
	}
	c, err := s.Get(ctx, domain, id)
	if err != nil {
		return FileVersion{}, nil, err
	}
	f, ok := c.File(n)
	if !ok {
		return FileVersion{}, nil, errs.E(errs.NotFound, "This contract has no file version %d.", n)
	}
	if pdfOnly && !f.IsPDF() {
		return FileVersion{}, nil, errs.E(errs.Unsupported, "Only PDFs open in the browser; download %s instead.", f.Name)
	}
	r, err := s.o.Files.Get(ctx, f.Key, f.VersionID, f.SHA256)
	if err != nil {
		return FileVersion{}, nil, err
	}
	if err := s.record(ctx, "contract.file_download", domain, id, map[string]string{
		"file": strconv.Itoa(n), "name": f.Name, "sha256": f.SHA256}); err != nil {
		r.Close()
		return FileVersion{}, nil, err
	}
	return f, r, nil
}

// keptUntil explains why what (files of c) cannot be deleted yet, or
// returns nil; until is the first day it could be, as far as is known.
func (s *Service) keptUntil(c Contract, what string, until time.Time) error {
	today := s.today()
	if c.Hold.On {
		return errs.E(errs.Conflict, "%s cannot be deleted: the contract has been on legal hold since %s (%s). Nothing of it can be deleted until the hold is lifted, and not before %s.",
			capitalize(what), c.Hold.At.Format(time.DateOnly), text.Shorten(c.Hold.Reason, 200), until.Format(time.DateOnly))
	}
	if c.Status == Draft {
		if today.Before(until) {
			return errs.E(errs.Conflict, "%s cannot be deleted before %s: it is under retention until then.", capitalize(what), until.Format(time.DateOnly))
		}
		return nil
	}
	if !c.Status.Ended() {
		return errs.E(errs.Conflict, "%s cannot be deleted: the contract is %s, and its files are kept until six years after it was last in effect; on present dates, disposal is possible from %s at the earliest.",
			capitalize(what), strings.ToLower(c.Status.Label()), until.Format(time.DateOnly))
	}
	if today.Before(until) {
		return errs.E(errs.Conflict, "%s cannot be deleted yet: the contract was last in effect on %s and its files are kept under retention until %s; disposal is possible from %s.",
			capitalize(what), c.LastInEffect.Format(time.DateOnly), until.Format(time.DateOnly), until.Format(time.DateOnly))
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// DeleteFile deletes file version n of a contract for good: a draft's
// file at any time (drafts' files are not locked until the contract is put
// in force), another's once the contract has ended and its retention has
// passed. It is refused (a conflict naming the date it becomes possible)
// while the contract is held, running, or within its retention. The record goes first and the
// stored version second: should S3 refuse or fail, the file is put back
// on the record when it can be, and otherwise left as garbage for the
// reconciler — never a record of a file that is gone.
func (s *Service) DeleteFile(ctx context.Context, domain, id string, version int64, n int, reason string) (Contract, error) {
	if s.o.Files == nil {
		return Contract{}, noFiles()
	}
	c, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Contract{}, err
	}
	f, ok := c.File(n)
	if !ok {
		return Contract{}, errs.E(errs.NotFound, "This contract has no file version %d.", n)
	}
	until := Day(f.RetainUntil)
	if r := s.requiredRetention(c); r.After(until) {
		until = r
	}
	if err := s.keptUntil(c, fmt.Sprintf("file version %d", n), until); err != nil {
		return Contract{}, err
	}
	var chk checker
	if reason = chk.Text("reason", "The reason", reason, MaxReason); reason == "" {
		chk.Add("reason", "Say why the file is deleted.")
	}
	if err := chk.Err(); err != nil {
		return Contract{}, err
	}
	c.Files = slices.DeleteFunc(slices.Clone(c.Files), func(x FileVersion) bool { return x.N == n })
	c.UpdatedAt = s.now()
	if err := s.save(ctx, &c, version); err != nil {
		return Contract{}, err
	}
	if err := s.o.Files.Delete(ctx, f.Key, f.VersionID); err != nil {
		back := c
		back.Files = append(slices.Clone(c.Files), f)
		slices.SortFunc(back.Files, func(a, b FileVersion) int { return a.N - b.N })
		if s.save(ctx, &back, c.Version) == nil {
			return back, err
		}
		return c, err
	}
	return c, s.record(ctx, "contract.file_delete", domain, id, map[string]string{
		"file": strconv.Itoa(n), "sha256": f.SHA256, "reason": text.Shorten(reason, 500)})
}

// Dispose deletes every file of an ended contract once its retention has
// passed and it is not held; the record stays, marked disposed, as the
// trace of the disposition. Refusals are conflicts naming the date
// disposal becomes possible. The record is marked first and the files
// deleted second: a stored version S3 fails to delete is garbage for the
// reconciler (the error says how many), never a record of a file that is
// gone.
func (s *Service) Dispose(ctx context.Context, domain, id string, version int64, reason string) (Contract, error) {
	if s.o.Files == nil {
		return Contract{}, noFiles()
	}
	c, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Contract{}, err
	}
	if !c.Disposable(s.now()) {
		until := c.DisposableFrom()
		if !c.Status.Ended() {
			until = s.requiredRetention(c)
		}
		if err := s.keptUntil(c, "this contract's files", until); err != nil {
			return Contract{}, err
		}
		return Contract{}, errs.E(errs.Conflict, "This contract's files cannot be disposed of: it has no retention date recorded.")
	}
	var chk checker
	if reason = chk.Text("reason", "The reason", reason, MaxReason); reason == "" {
		chk.Add("reason", "Say why the contract's files are disposed of (the retention schedule that allows it).")
	}
	if err := chk.Err(); err != nil {
		return Contract{}, err
	}
	files := c.Files
	actor := audit.ActorFrom(ctx)
	c.Disposed = &Disposal{By: actor.ID, At: s.now(), Reason: reason, Files: len(files)}
	c.Files, c.UpdatedAt = nil, s.now()
	if err := s.save(ctx, &c, version); err != nil {
		return Contract{}, err
	}
	var failed []string
	var firstErr error
	for _, f := range files {
		if err := s.o.Files.Delete(ctx, f.Key, f.VersionID); err != nil {
			failed = append(failed, strconv.Itoa(f.N))
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	details := map[string]string{"files": strconv.Itoa(len(files)), "reason": text.Shorten(reason, 500)}
	if len(failed) > 0 {
		details["not_deleted"] = strings.Join(failed, ",")
	}
	if err := s.record(ctx, "contract.dispose", domain, id, details); err != nil {
		return c, err
	}
	if firstErr != nil {
		return c, errs.Wrap(errs.Code(firstErr), firstErr, fmt.Sprintf(
			"The contract is recorded as disposed, but %d of its %d stored files could not be deleted now; they are left for the storage reconciler.", len(failed), len(files)))
	}
	return c, nil
}

// SetHold places (on) or lifts a legal hold on a contract and every one of
// its file versions, with the reason. The files are held or released in S3
// first, then the hold is recorded: if the contract changed meanwhile the
// record is as before and the files as asked, and applying the change
// again after a reload completes it. Files uploaded while the contract is
// held are stored held.
func (s *Service) SetHold(ctx context.Context, domain, id string, version int64, on bool, reason string) (Contract, error) {
	c, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Contract{}, err
	}
	switch {
	case on && c.Hold.On:
		return Contract{}, errs.E(errs.Conflict, "This contract has been on legal hold since %s.", c.Hold.At.Format(time.DateOnly))
	case !on && !c.Hold.On:
		return Contract{}, errs.E(errs.Conflict, "This contract is not on legal hold.")
	}
	var chk checker
	if reason = chk.Text("reason", "The reason", reason, MaxReason); reason == "" {
		chk.Add("reason", "Say why the hold is placed or lifted: the matter, and who asked.")
	}
	if err := chk.Err(); err != nil {
		return Contract{}, err
	}
	if len(c.Files) > 0 && s.o.Files == nil {
		return Contract{}, noFiles()
	}
	for _, f := range c.Files {
		if err := s.o.Files.SetLegalHold(ctx, f.Key, f.VersionID, on); err != nil {
			return Contract{}, err
		}
	}
	actor := audit.ActorFrom(ctx)
	if on {
		c.Hold = LegalHold{On: true, By: actor.ID, At: s.now(), Reason: reason}
	} else {
		c.Hold = LegalHold{}
	}
	c.UpdatedAt = s.now()
	if err := s.save(ctx, &c, version); err != nil {
		return Contract{}, err
	}
	action := "contract.hold"
	if !on {
		action = "contract.hold_release"
	}
	return c, s.record(ctx, action, domain, id, map[string]string{"reason": text.Shorten(reason, 500), "files": strconv.Itoa(len(c.Files))})
}

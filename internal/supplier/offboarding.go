package supplier

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"

	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/text"
)

// MaxCertificate is the largest certificate of PHI return or destruction
// accepted.
const MaxCertificate = 20 << 20

// certificateTypes are the types a certificate may be, sniffed from its
// first bytes: a scan or a signed PDF.
var certificateTypes = map[string]bool{"application/pdf": true, "image/png": true, "image/jpeg": true}

// ConfirmAccessRevoked records that a person confirmed every account and
// remote access of an offboarding vendor is removed.
func (s *Service) ConfirmAccessRevoked(ctx context.Context, domain, id string, version int64) (Vendor, error) {
	return s.confirm(ctx, domain, id, version, "access revocation", "vendor.access_revoked", func(o *OffboardingRecord) (*string, *time.Time) {
		return &o.AccessRevokedBy, &o.AccessRevokedAt
	})
}

// ConfirmContractsEnded records that a person confirmed the offboarding
// vendor's contracts have ended.
func (s *Service) ConfirmContractsEnded(ctx context.Context, domain, id string, version int64) (Vendor, error) {
	return s.confirm(ctx, domain, id, version, "the end of the contracts", "vendor.contracts_ended", func(o *OffboardingRecord) (*string, *time.Time) {
		return &o.ContractsEndedBy, &o.ContractsEndedAt
	})
}

func (s *Service) confirm(ctx context.Context, domain, id string, version int64, what, action string, field func(*OffboardingRecord) (*string, *time.Time)) (Vendor, error) {
	person := audit.ActorFrom(ctx)
	if !isPerson(person) {
		return Vendor{}, errs.E(errs.Invalid, "Only a signed-in person can confirm %s.", what)
	}
	v, err := s.offboardingVendor(ctx, domain, id, version)
	if err != nil {
		return Vendor{}, err
	}
	if _, at := field(&v.Offboarding); !at.IsZero() {
		return Vendor{}, errs.E(errs.Invalid, "%s was already confirmed on %s.", capitalize(what), at.Format(time.DateOnly))
	}
	v, err = s.commit(ctx, v, func(v *Vendor) error {
		by, at := field(&v.Offboarding)
		*by, *at = person.ID, s.now()
		return nil
	})
	if err != nil {
		return Vendor{}, err
	}
	return v, s.record(ctx, action, domain, id, nil)
}

func isPerson(a audit.Actor) bool {
	return a.ID != "" && a.ID != audit.System.ID && a.ID != "anonymous" && !strings.HasPrefix(a.ID, "link:")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// offboardingVendor reads a vendor for an offboarding step: at the version
// the person saw, and being offboarded.
func (s *Service) offboardingVendor(ctx context.Context, domain, id string, version int64) (Vendor, error) {
	v, err := s.Get(ctx, domain, id)
	if err != nil {
		return Vendor{}, err
	}
	if v.Version != version {
		return Vendor{}, conflict()
	}
	if v.Status != Offboarding {
		return Vendor{}, errs.E(errs.Invalid, "The offboarding checklist is filled in while a vendor is being offboarded; %s is %s.", v.Label(), strings.ToLower(Label(v.Status)))
	}
	return v, nil
}

// UploadCertificate stores the vendor's certificate that the hospital's
// PHI was returned or destroyed, and records it on the vendor. The type is
// sniffed from the content (PDF, PNG or JPEG), never taken from the name;
// the key is made here. size is the exact length, or -1 when unknown.
//
// The file is stored first and recorded second, under the vendor's version.
// If recording fails (someone else saved the vendor meanwhile) the stored
// object is garbage no record points at — a reconciler may sweep objects
// under vendors/*/offboarding/ that no vendor records — never a record
// pointing at nothing.
func (s *Service) UploadCertificate(ctx context.Context, domain, id string, version int64, name string, r io.Reader, size int64) (Vendor, error) {
	if s.files == nil {
		return Vendor{}, errs.E(errs.Unavailable, "File storage is not configured.")
	}
	v, err := s.offboardingVendor(ctx, domain, id, version)
	if err != nil {
		return Vendor{}, err
	}
	if size == 0 {
		return Vendor{}, errs.Field("certificate", "The file is empty.")
	}
	if size > MaxCertificate {
		return Vendor{}, &errs.Error{Code: errs.TooLarge, Field: "certificate", Message: "A certificate can be at most 20 MiB."}
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	switch {
	case n == 0 && (err == nil || errors.Is(err, io.EOF)):
		return Vendor{}, errs.Field("certificate", "The file is empty.")
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return Vendor{}, errs.Wrap(errs.Invalid, err, "The upload could not be read.")
	}
	head = head[:n]
	ct := http.DetectContentType(head)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !certificateTypes[ct] {
		return Vendor{}, errs.Field("certificate", "Upload the certificate as a PDF, PNG or JPEG file; this file is %s.", describeType(ct))
	}
	body := &capped{r: io.MultiReader(bytes.NewReader(head), r), left: MaxCertificate}
	key := "vendors/" + v.ID + "/offboarding/" + newID()
	obj, err := s.files.Put(ctx, key, body, size, blob.PutOptions{ContentType: ct})
	if body.over {
		return Vendor{}, &errs.Error{Code: errs.TooLarge, Field: "certificate", Message: "A certificate can be at most 20 MiB."}
	}
	if err != nil {
		return Vendor{}, err
	}
	file := &File{Key: obj.Key, VersionID: obj.VersionID, SHA256: obj.SHA256, Name: cleanFileName(name), ContentType: ct,
		Size: obj.Size, UploadedBy: audit.ActorFrom(ctx).ID, UploadedAt: s.now()}
	previous := v.Offboarding.Certificate
	v, err = s.commit(ctx, v, func(v *Vendor) error {
		v.Offboarding.Certificate = file
		return nil
	})
	if err != nil {
		return Vendor{}, err
	}
	details := map[string]string{"name": file.Name, "sha256": file.SHA256, "size": strconv.FormatInt(file.Size, 10), "key": file.Key}
	if previous != nil {
		details["replaces"] = previous.Key
	}
	return v, s.record(ctx, "vendor.certificate_upload", domain, id, details)
}

// Certificate opens the vendor's certificate of PHI return or destruction.
// The reader checks the recorded SHA-256 as it reaches the end (a mismatch
// is blob.ErrIntegrity); the caller closes it. The download is audited
// before it starts.
func (s *Service) Certificate(ctx context.Context, domain, id string) (*blob.Reader, File, error) {
	if s.files == nil {
		return nil, File{}, errs.E(errs.Unavailable, "File storage is not configured.")
	}
	v, err := s.Get(ctx, domain, id)
	if err != nil {
		return nil, File{}, err
	}
	f := v.Offboarding.Certificate
	if f == nil {
		return nil, File{}, errs.E(errs.NotFound, "No certificate has been uploaded for this vendor.")
	}
	rd, err := s.files.Get(ctx, f.Key, f.VersionID, f.SHA256)
	if err != nil {
		return nil, File{}, err
	}
	if err := s.record(ctx, "file.download", domain, id, map[string]string{"file": "offboarding_certificate", "name": f.Name, "sha256": f.SHA256}); err != nil {
		rd.Close()
		return nil, File{}, err
	}
	return rd, *f, nil
}

// capped passes at most left bytes and notes when there were more.
type capped struct {
	r    io.Reader
	left int64
	over bool
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			c.over = true
			return 0, errors.New("certificate over the size limit")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func describeType(ct string) string {
	switch {
	case ct == "application/octet-stream":
		return "not a document or image"
	case strings.HasPrefix(ct, "text/"):
		return "text"
	}
	return ct
}

// cleanFileName keeps the base name of what the browser sent, printable
// and short; it is shown and offered as the download name, never used as
// a storage key.
func cleanFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == "/" {
		name = "certificate"
	}
	return text.Shorten(name, 200)
}

package http

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/contract"
	"dossier/internal/errs"
)

// ContractView is one contract's page: its fields, where it stands, its
// BAA checklist, its files and what the viewer may do next.
type ContractView struct {
	Page
	K              contract.Contract
	OwnerName      string
	Window         string
	WindowLabel    string
	AlsoLabel      string    // the expiry window too, when the notice deadline passed first
	Expiry         time.Time // as it stands today (an overdue renewal counted)
	Renewed        bool      // an auto-renewal is due that the daily job has not yet recorded
	Days           string    // to the expiry, in words
	NoticeDeadline time.Time
	NoticeDays     string // to the notice deadline, in words
	NoticePassed   bool
	Terms          []TermView // the BAA checklist, ticked or missing
	Files          []ContractFileRow
	History        []audit.Event
	DisposableFrom time.Time
	Disposable     bool // ended, retention passed and not held

	CanEdit   bool // the edit form is offered
	CanUpload bool
	CanManage bool
	Missing   []contract.Problem // what Activate still needs

	Problem  string            // why a step was refused
	Problems []string          // each of its messages, when it has several
	Errors   map[string]string // by field, for the upload form
	Today    string            // YYYY-MM-DD, for the termination date
	Signed   bool              // the upload form's box, as sent
}

// ContractFileRow is one file version as the page lists it.
type ContractFileRow struct {
	contract.FileVersion
	Size     string
	ShortSHA string
	Mode     string // of the retention, in words: "governance", "compliance"
}

func (s *Server) contractView(c *fiber.Ctx) (ContractView, error) {
	ctx, v := c.UserContext(), viewer(c)
	k, err := s.contracts.Get(ctx, v.Domain, c.Params("id"))
	if err != nil {
		return ContractView{}, err
	}
	_, names, err := s.userOptions(c)
	if err != nil {
		return ContractView{}, err
	}
	now := s.now()
	obj := authz.Object(authz.ClassContract, k.ID)
	view := ContractView{Page: s.page(c, k.Title), K: k, OwnerName: names[k.Owner], Window: k.Window(now),
		Expiry: k.ExpiryOn(now), NoticeDeadline: k.NoticeDeadline(), DisposableFrom: k.DisposableFrom(),
		CanManage: s.can(c, authz.Manage, obj), Errors: map[string]string{}, Today: contract.Day(now).Format(time.DateOnly)}
	view.WindowLabel = contract.WindowLabel(view.Window)
	if view.Window == contract.WindowPastNotice {
		for _, w := range []string{contract.Window30, contract.Window60, contract.Window90} {
			if k.In(w, now) {
				view.AlsoLabel = contract.WindowLabel(w)
				break
			}
		}
	}
	view.Renewed = !k.Expiry.IsZero() && !view.Expiry.Equal(k.Expiry)
	view.Days = daysPhrase(daysTo(now, view.Expiry))
	if !view.NoticeDeadline.IsZero() {
		view.NoticeDays = daysPhrase(daysTo(now, view.NoticeDeadline))
		view.NoticePassed = contract.Day(now).After(view.NoticeDeadline)
	}
	view.CanEdit = s.can(c, authz.Edit, obj) && k.Editable(view.CanManage) == nil
	view.CanUpload = view.CanEdit
	view.Disposable = k.Disposable(now)
	if k.Type == contract.BAA {
		missing := map[string]bool{}
		for _, t := range k.MissingTerms() {
			missing[t.Key] = true
		}
		for _, t := range contract.BAATermList() {
			view.Terms = append(view.Terms, TermView{BAATerm: t, Checked: !missing[t.Key]})
		}
	}
	for _, f := range k.Files {
		row := ContractFileRow{FileVersion: f, Size: fileSize(f.Size), ShortSHA: f.SHA256, Mode: strings.ToLower(f.RetentionMode)}
		if len(row.ShortSHA) > 12 {
			row.ShortSHA = row.ShortSHA[:12]
		}
		view.Files = append(view.Files, row)
	}
	if k.Status == contract.Draft {
		view.Missing = k.ActivationNeeds()
	}
	view.History, err = s.audit.List(ctx, audit.Query{ObjectType: "contract", ObjectID: k.ID, Limit: 50})
	return view, err
}

func fileSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func (s *Server) contractPage(c *fiber.Ctx) error {
	view, err := s.contractView(c)
	if err != nil {
		return err
	}
	return s.render(c, "contract", view)
}

// contractRefused shows the contract page again with why a step was
// refused: the message at the top, each field's beside the upload form.
func (s *Server) contractRefused(c *fiber.Ctx, err error, keep func(*ContractView)) error {
	switch errs.Code(err) {
	case errs.Invalid, errs.Conflict, errs.Forbidden, errs.TooLarge, errs.Unsupported, errs.Unavailable:
	default:
		return err
	}
	view, verr := s.contractView(c)
	if verr != nil {
		return verr
	}
	view.Errors, view.Problem = errs.ByField(err), errs.Message(err)
	if len(view.Errors) > 1 {
		keys := make([]string, 0, len(view.Errors))
		for k := range view.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			view.Problems = append(view.Problems, view.Errors[k])
		}
		view.Problem = "This was not done:"
	}
	if keep != nil {
		keep(&view)
	}
	c.Status(status(errs.Code(err)))
	return s.render(c, "contract", view)
}

// contractUpload adds a file version from the page's upload form. The body
// streams to a temporary file (see uploadRoute); the service checks the
// content before anything is stored.
func (s *Server) contractUpload(c *fiber.Ctx) error {
	form, err := s.readUpload(c, "file", s.cfg.UploadLimit)
	if err != nil {
		return s.contractRefused(c, withField(err, "file"), nil)
	}
	defer form.Remove()
	signed := form.Value("signed") == "on"
	keep := func(v *ContractView) { v.Signed = signed }
	version, err := strconv.ParseInt(form.Value("version"), 10, 64)
	if err != nil {
		return errs.E(errs.Invalid, "The form lacks the record's version; reload the page and try again.")
	}
	if len(form.Files) == 0 {
		return s.contractRefused(c, errs.Field("file", "Choose the file to upload."), keep)
	}
	k, err := s.contracts.UploadFile(c.UserContext(), viewer(c).Domain, c.Params("id"), version, form.Files[0], signed, s.canManageContract(c))
	if err != nil {
		return s.contractRefused(c, withField(err, "file"), keep)
	}
	what := "Working copy"
	if signed {
		what = "Signed copy"
	}
	return s.redirect(c, contractPath(k.ID)+"#files", fmt.Sprintf("%s stored as version %d; its SHA-256 is recorded and checked on every download.", what, k.FileSeq))
}

// contractFile sends a file version, for the pages and the API alike,
// read to its end and checked against its recorded SHA-256 before the
// first byte goes out; the service audits the read. Preview (inline)
// shows a PDF in the browser's own viewer.
func (s *Server) contractFile(inline bool) fiber.Handler {
	open := s.contracts.OpenFile
	if inline {
		open = s.contracts.PreviewFile
	}
	return func(c *fiber.Ctx) error {
		n, err := fileNumber(c)
		if err != nil {
			return err
		}
		f, rd, err := open(c.UserContext(), viewer(c).Domain, c.Params("id"), n)
		if err != nil {
			return err
		}
		defer rd.Close()
		return sendVerified(c, rd, func() {
			c.Set(fiber.HeaderContentType, f.ContentType)
			if inline {
				inlineFile(c)
			} else {
				attachment(c, f.Name)
			}
		})
	}
}

// fileNumber reads :n; anything but a file number is a file there is not.
func fileNumber(c *fiber.Ctx) (int, error) {
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 {
		return 0, errs.E(errs.NotFound, "This contract has no file version %q.", c.Params("n"))
	}
	return n, nil
}

// daysTo counts the days from now's day to day; nil when there is no day.
func daysTo(now, day time.Time) *int {
	if day.IsZero() {
		return nil
	}
	n := int(contract.Day(day).Sub(contract.Day(now)).Hours() / 24)
	return &n
}

func (s *Server) contractFileDelete(c *fiber.Ctx) error {
	n, err := fileNumber(c)
	if err != nil {
		return err
	}
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	k, err := s.contracts.DeleteFile(c.UserContext(), viewer(c).Domain, c.Params("id"), version, n, c.FormValue("reason"))
	if err != nil {
		return s.contractRefused(c, err, nil)
	}
	return s.redirect(c, contractPath(k.ID)+"#files", fmt.Sprintf("File version %d deleted.", n))
}

func (s *Server) contractActivate(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	k, err := s.contracts.Activate(c.UserContext(), viewer(c).Domain, c.Params("id"), version)
	if err != nil {
		return s.contractRefused(c, err, nil)
	}
	return s.redirect(c, contractPath(k.ID), "The contract is in force.")
}

func (s *Server) contractTerminate(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	date, err := apiDate("date", c.FormValue("date"))
	if err != nil {
		return s.contractRefused(c, err, nil)
	}
	k, err := s.contracts.Terminate(c.UserContext(), viewer(c).Domain, c.Params("id"), version, date, c.FormValue("reason"))
	if err != nil {
		return s.contractRefused(c, err, nil)
	}
	return s.redirect(c, contractPath(k.ID), fmt.Sprintf("Terminated; its files are kept until %s.", k.RetainUntil.Format(time.DateOnly)))
}

func (s *Server) contractHold(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	on := c.FormValue("on") == "true"
	k, err := s.contracts.SetHold(c.UserContext(), viewer(c).Domain, c.Params("id"), version, on, c.FormValue("reason"))
	if err != nil {
		return s.contractRefused(c, err, nil)
	}
	note := "Legal hold lifted."
	if k.Hold.On {
		note = "Legal hold placed: nothing of this contract can be deleted until it is lifted."
	}
	return s.redirect(c, contractPath(k.ID)+"#hold", note)
}

func (s *Server) contractDispose(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	k, err := s.contracts.Dispose(c.UserContext(), viewer(c).Domain, c.Params("id"), version, c.FormValue("reason"))
	if err != nil {
		return s.contractRefused(c, err, nil)
	}
	n := 0
	if k.Disposed != nil {
		n = k.Disposed.Files
	}
	return s.redirect(c, contractPath(k.ID), fmt.Sprintf("Disposed of: %d file version(s) deleted; the record is kept.", n))
}

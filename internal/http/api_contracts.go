package http

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/authz"
	"dossier/internal/contract"
	"dossier/internal/errs"
	"dossier/internal/supplier"
)

// The contract API. Routes naming a contract check the permission on that
// contract, so a grant on one contract works as well as a role's on all;
// lists, creating and the BAA gap list check the class as a whole. Legal
// manages contracts; procurement edits drafts (the domain refuses them the
// rest through canManage); security reviewers and auditors view.
//
// Dates the client sends or reads are days, YYYY-MM-DD ("" when none);
// moments (uploaded_at, updated_at…) are RFC 3339 timestamps. A change
// carries the version of the contract the client read, in the body like
// the vendor API's; a newer version on the server is a 409.

func (s *Server) contractAPIRoutes(api fiber.Router) {
	view := s.require(authz.View, authz.Every(authz.ClassContract))
	edit := s.require(authz.Edit, authz.Every(authz.ClassContract))

	g := api.Group("/contracts", s.signedIn)
	g.Get("/", view, s.apiContractList)
	g.Post("/", edit, s.apiContractCreate)
	g.Get("/:id", s.contractRequire(authz.View), s.apiContractGet)
	g.Put("/:id", s.contractRequire(authz.Edit), s.apiContractUpdate)
	g.Post("/:id/activate", s.contractRequire(authz.Manage), s.apiContractActivate)
	g.Post("/:id/terminate", s.contractRequire(authz.Manage), s.apiContractTerminate)
	g.Post("/:id/dispose", s.contractRequire(authz.Manage), s.apiContractDispose)
	g.Post("/:id/hold", s.contractRequire(authz.Manage), s.apiContractHold)
	g.Get("/:id/files", s.contractRequire(authz.View), s.apiContractFiles)
	g.Post("/:id/files", s.contractRequire(authz.Edit), s.apiContractUpload)
	g.Get("/:id/files/:n", s.contractRequire(authz.View), s.contractFile(false))
	g.Delete("/:id/files/:n", s.contractRequire(authz.Manage), s.apiContractFileDelete)

	api.Get("/baa-gaps", s.signedIn, view, s.apiBAAGaps)
	// Under the vendor API's group, whose middleware asks view on vendors
	// first; the standing names the vendor's BAAs, so view on contracts too.
	api.Get("/vendors/:id/baa", s.signedIn, view, s.apiVendorBAA)
}

// contractRequire lets the request through only when the viewer may do
// action to the contract named by :id.
func (s *Server) contractRequire(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v := viewer(c)
		if err := s.authz.Check(v.User.ID, v.Domain, authz.Object(authz.ClassContract, c.Params("id")), action); err != nil {
			return err
		}
		return c.Next()
	}
}

// canManageContract tells the domain whether the viewer may change a
// contract that is no longer a draft.
func (s *Server) canManageContract(c *fiber.Ctx) bool {
	return s.can(c, authz.Manage, authz.Object(authz.ClassContract, c.Params("id")))
}

// Responses.

// APIContract is one contract with its file versions (never their storage
// keys) and what follows from its dates today.
type APIContract struct {
	ID                    string             `json:"id"`
	VendorID              string             `json:"vendor_id"`
	VendorName            string             `json:"vendor_name"`
	Type                  contract.Type      `json:"type"`
	Title                 string             `json:"title"`
	CounterpartySignatory string             `json:"counterparty_signatory"`
	Effective             string             `json:"effective"`
	Expiry                string             `json:"expiry"`
	Evergreen             bool               `json:"evergreen"`
	AutoRenewMonths       int                `json:"auto_renew_months"`
	NoticeDays            int                `json:"notice_days"`
	NoticeDeadline        string             `json:"notice_deadline"`
	DaysToExpiry          *int               `json:"days_to_expiry"`
	Owner                 string             `json:"owner"`
	Status                contract.Status    `json:"status"`
	Window                string             `json:"window"`
	RelatedServices       string             `json:"related_services"`
	Notes                 string             `json:"notes"`
	BAA                   *contract.BAATerms `json:"baa,omitempty"`
	MissingTerms          []string           `json:"missing_terms"`
	Flagged               bool               `json:"flagged"`
	Files                 []APIContractFile  `json:"files"`
	LegalHold             APILegalHold       `json:"legal_hold"`
	Termination           *APITermination    `json:"termination"`
	LastInEffect          string             `json:"last_in_effect"`
	RetainUntil           string             `json:"retain_until"`
	DisposableFrom        string             `json:"disposable_from"`
	Disposed              *contract.Disposal `json:"disposed"`
	CreatedBy             string             `json:"created_by"`
	CreatedAt             time.Time          `json:"created_at"`
	UpdatedAt             time.Time          `json:"updated_at"`
	Version               int64              `json:"version"`
}

// APIContractFile is one stored file version of a contract.
type APIContractFile struct {
	N             int        `json:"n"`
	Name          string     `json:"name"`
	ContentType   string     `json:"content_type"`
	Size          int64      `json:"size"`
	SHA256        string     `json:"sha256"`
	Pages         int        `json:"pages"`
	Encrypted     bool       `json:"encrypted"`
	Signed        bool       `json:"signed"`
	UploadedBy    string     `json:"uploaded_by"`
	UploadedAt    time.Time  `json:"uploaded_at"`
	RetainUntil   *time.Time `json:"retain_until"`
	RetentionMode string     `json:"retention_mode,omitempty"`
	URL           string     `json:"url"` // where it downloads
}

// APILegalHold is a contract's legal hold; By, At and Reason are empty when
// it is off.
type APILegalHold struct {
	On     bool       `json:"on"`
	By     string     `json:"by,omitempty"`
	At     *time.Time `json:"at"`
	Reason string     `json:"reason,omitempty"`
}

// APITermination records how a contract was ended early.
type APITermination struct {
	Date   string    `json:"date"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// APIContractFiles is GET /api/v1/contracts/{id}/files.
type APIContractFiles struct {
	ContractID string            `json:"contract_id"`
	Version    int64             `json:"version"`
	Files      []APIContractFile `json:"files"`
}

// APIContractRow is one contract in the list.
type APIContractRow struct {
	ID                    string          `json:"id"`
	VendorID              string          `json:"vendor_id"`
	VendorName            string          `json:"vendor_name"`
	Type                  contract.Type   `json:"type"`
	Title                 string          `json:"title"`
	CounterpartySignatory string          `json:"counterparty_signatory"`
	Status                contract.Status `json:"status"`
	Effective             string          `json:"effective"`
	Expiry                string          `json:"expiry"` // as it stands today: an overdue auto-renewal counted
	Evergreen             bool            `json:"evergreen"`
	AutoRenewMonths       int             `json:"auto_renew_months"`
	NoticeDays            int             `json:"notice_days"`
	NoticeDeadline        string          `json:"notice_deadline"`
	DaysToExpiry          *int            `json:"days_to_expiry"`
	Window                string          `json:"window"`
	Owner                 string          `json:"owner"`
	OwnerName             string          `json:"owner_name"`
	MissingTerms          []string        `json:"missing_terms"`
	Flagged               bool            `json:"flagged"`
	LegalHold             bool            `json:"legal_hold"`
	UpdatedAt             time.Time       `json:"updated_at"`
	Version               int64           `json:"version"`
	URL                   string          `json:"url"`
}

// APIContractList is GET /api/v1/contracts.
type APIContractList struct {
	Contracts []APIContractRow `json:"contracts"`
	Counts    contract.Counts  `json:"counts"`
	Total     int              `json:"total"`
	Page      int              `json:"page"`
	PerPage   int              `json:"per_page"`
	Pages     int              `json:"pages"`
}

// APIBAAGap is a vendor that handles PHI with no BAA in force.
type APIBAAGap struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Tier   int    `json:"tier"` // 0: not computed yet
	Status string `json:"status"`
	Owner  string `json:"owner"`
	URL    string `json:"url"` // the vendor's BAA standing
}

// APIBAAGaps is GET /api/v1/baa-gaps.
type APIBAAGaps struct {
	Vendors []APIBAAGap `json:"vendors"`
	Total   int         `json:"total"`
}

// APIVendorBAA is GET /api/v1/vendors/{id}/baa.
type APIVendorBAA struct {
	VendorID   string             `json:"vendor_id"`
	VendorName string             `json:"vendor_name"`
	NeedsBAA   bool               `json:"needs_baa"` // the vendor handles PHI
	Gap        bool               `json:"gap"`       // it does, and no BAA is in force
	Complete   bool               `json:"complete"`  // a BAA with every required term is in force
	InForce    *APIContract       `json:"in_force"`  // the BAA in force with the fewest missing terms
	Missing    []contract.BAATerm `json:"missing"`   // the terms it lacks
	Others     []APIContract      `json:"others"`    // drafts and ended BAAs, newest first
}

func contractURL(id string) string { return "/api/v1/contracts/" + url.PathEscape(id) }

func (s *Server) apiContract(k contract.Contract) APIContract {
	now := s.now()
	out := APIContract{ID: k.ID, VendorID: k.VendorID, VendorName: k.VendorName, Type: k.Type, Title: k.Title,
		CounterpartySignatory: k.CounterpartySignatory, Effective: apiDay(k.Effective), Expiry: apiDay(k.Expiry),
		Evergreen: k.Evergreen, AutoRenewMonths: k.AutoRenewMonths, NoticeDays: k.NoticeDays,
		NoticeDeadline: apiDay(k.NoticeDeadline()), DaysToExpiry: daysTo(now, k.ExpiryOn(now)), Owner: k.Owner,
		Status: k.Status, Window: k.Window(now), RelatedServices: k.RelatedServices, Notes: k.Notes, BAA: k.BAA,
		MissingTerms: []string{}, Flagged: k.Flagged(), Files: make([]APIContractFile, 0, len(k.Files)),
		LegalHold:    APILegalHold{On: k.Hold.On, By: k.Hold.By, Reason: k.Hold.Reason},
		LastInEffect: apiDay(k.LastInEffect), RetainUntil: apiDay(k.RetainUntil), DisposableFrom: apiDay(k.DisposableFrom()),
		Disposed: k.Disposed, CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt, Version: k.Version}
	for _, t := range k.MissingTerms() {
		out.MissingTerms = append(out.MissingTerms, t.Key)
	}
	if !k.Hold.At.IsZero() {
		at := k.Hold.At
		out.LegalHold.At = &at
	}
	if t := k.Termination; t != nil {
		out.Termination = &APITermination{Date: apiDay(t.Date), Reason: t.Reason, By: t.By, At: t.At}
	}
	for _, f := range k.Files {
		out.Files = append(out.Files, apiContractFile(k.ID, f))
	}
	return out
}

func apiContractFile(id string, f contract.FileVersion) APIContractFile {
	out := APIContractFile{N: f.N, Name: f.Name, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256, Pages: f.Pages,
		Encrypted: f.Encrypted, Signed: f.Signed, UploadedBy: f.UploadedBy, UploadedAt: f.UploadedAt, RetentionMode: f.RetentionMode,
		URL: contractURL(id) + "/files/" + strconv.Itoa(f.N)}
	if !f.RetainUntil.IsZero() {
		until := f.RetainUntil
		out.RetainUntil = &until
	}
	return out
}

// Requests.

// APIContractFields are a contract's editable fields as the API takes them:
// dates as YYYY-MM-DD, "" for none.
type APIContractFields struct {
	VendorID              string             `json:"vendor_id"`
	Type                  contract.Type      `json:"type"`
	Title                 string             `json:"title"`
	CounterpartySignatory string             `json:"counterparty_signatory"`
	Effective             string             `json:"effective"`
	Expiry                string             `json:"expiry"`
	Evergreen             bool               `json:"evergreen"`
	AutoRenewMonths       int                `json:"auto_renew_months"`
	NoticeDays            int                `json:"notice_days"`
	Owner                 string             `json:"owner"`
	RelatedServices       string             `json:"related_services"`
	Notes                 string             `json:"notes"`
	BAA                   *contract.BAATerms `json:"baa"`
}

// fields reads the dates; an unreadable date is refused with the others
// before anything is stored (a draft without dates would be valid).
func (f APIContractFields) fields() (contract.Fields, error) {
	problems := map[string]string{}
	day := func(name, raw string) time.Time {
		t, err := apiDate(name, raw)
		if err != nil {
			problems[name] = errs.Message(err)
		}
		return t
	}
	out := contract.Fields{VendorID: f.VendorID, Type: f.Type, Title: f.Title, CounterpartySignatory: f.CounterpartySignatory,
		Effective: day("effective", f.Effective), Expiry: day("expiry", f.Expiry), Evergreen: f.Evergreen,
		AutoRenewMonths: f.AutoRenewMonths, NoticeDays: f.NoticeDays, Owner: f.Owner, RelatedServices: f.RelatedServices,
		Notes: f.Notes, BAA: f.BAA}
	if len(problems) > 0 {
		return out, errs.Fields(problems)
	}
	return out, nil
}

// APIContractUpdate is the body of PUT /api/v1/contracts/{id}: every
// editable field, and the version the client read.
type APIContractUpdate struct {
	Version int64 `json:"version"`
	APIContractFields
}

// APIVersionBody is the body of POST …/activate.
type APIVersionBody struct {
	Version int64 `json:"version"`
}

// APITerminateBody is the body of POST …/terminate.
type APITerminateBody struct {
	Version int64  `json:"version"`
	Date    string `json:"date"` // the last day in force, YYYY-MM-DD
	Reason  string `json:"reason"`
}

// APIReasonBody is the body of POST …/dispose and DELETE …/files/{n}.
type APIReasonBody struct {
	Version int64  `json:"version"`
	Reason  string `json:"reason"`
}

// APIHoldBody is the body of POST …/hold.
type APIHoldBody struct {
	Version int64  `json:"version"`
	On      *bool  `json:"on"` // required: placing or lifting is never implied
	Reason  string `json:"reason"`
}

// readJSON reads a JSON object body: another media type is 415, a body
// that is not JSON at all 400, and JSON that does not fit (an unknown
// field, a number for a string) 422 naming the field.
func readJSON(c *fiber.Ctx, out any) error {
	if ct := c.Get(fiber.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != fiber.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json") {
			return errs.E(errs.Unsupported, "Send the body as application/json.")
		}
	}
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		return errs.E(errs.Malformed, "The body is empty; send a JSON object.")
	}
	if !json.Valid(body) {
		err := decodeJSON(c, &struct{}{}) // for the message with the byte offset
		return errs.E(errs.Malformed, "%s", errs.Message(err))
	}
	if body[0] != '{' {
		return errs.E(errs.Malformed, "The body must be a JSON object.")
	}
	return decodeJSON(c, out)
}

// badQuery makes invalid query parameters a 400 naming each one: the
// request asked for something that does not exist, rather than sending
// content that fails a rule.
func badQuery(err error) error {
	if !errs.Is(err, errs.Invalid) {
		return err
	}
	var fe errs.FieldErrors
	for field, msg := range errs.ByField(err) {
		fe = append(fe, &errs.Error{Code: errs.Malformed, Field: field, Message: msg})
	}
	if len(fe) == 0 {
		return errs.E(errs.Malformed, "%s", errs.Message(err))
	}
	slices.SortFunc(fe, func(a, b *errs.Error) int { return strings.Compare(a.Field, b.Field) })
	return fe
}

// Handlers.

// contractListParams are the query parameters of GET /api/v1/contracts; any
// other is refused, so a misspelt filter never passes for an empty one.
var contractListParams = []string{"window", "type", "owner", "vendor_id", "q", "sort", "page", "per_page"}

func contractQuery(c *fiber.Ctx) (contract.Query, error) {
	problems := map[string]string{}
	c.Context().QueryArgs().VisitAll(func(k, _ []byte) {
		if name := string(k); !slices.Contains(contractListParams, name) {
			problems[name] = "There is no parameter " + strconv.Quote(name) + "; filter with " + strings.Join(contractListParams, ", ") + "."
		}
	})
	number := func(name string) int {
		raw := c.Query(name)
		if raw == "" {
			return 0
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			problems[name] = "The " + name + " is a whole number from 1."
			return 0
		}
		return n
	}
	q := contract.Query{Window: c.Query("window"), Type: contract.Type(c.Query("type")), Owner: c.Query("owner"),
		VendorID: c.Query("vendor_id"), Search: c.Query("q"), Sort: c.Query("sort"), Page: number("page"), PerPage: number("per_page")}
	if len(problems) > 0 {
		return q, badQuery(errs.Fields(problems))
	}
	return q, nil
}

func (s *Server) apiContractList(c *fiber.Ctx) error {
	q, err := contractQuery(c)
	if err != nil {
		return err
	}
	page, err := s.contracts.List(c.UserContext(), viewer(c).Domain, q)
	if err != nil {
		return badQuery(err)
	}
	out := APIContractList{Contracts: make([]APIContractRow, 0, len(page.Rows)), Counts: page.Counts, Total: page.Total,
		Page: page.Page, PerPage: page.PerPage, Pages: page.Pages}
	for _, r := range page.Rows {
		out.Contracts = append(out.Contracts, APIContractRow{ID: r.ID, VendorID: r.VendorID, VendorName: r.VendorName, Type: r.Type,
			Title: r.Title, CounterpartySignatory: r.Signatory, Status: r.Status, Effective: apiDay(r.Effective), Expiry: apiDay(r.Expiry),
			Evergreen: r.Evergreen, AutoRenewMonths: r.AutoRenewMonths, NoticeDays: r.NoticeDays, NoticeDeadline: apiDay(r.NoticeDeadline),
			DaysToExpiry: r.DaysToExpiry, Window: r.Window, Owner: r.Owner, OwnerName: r.OwnerName, MissingTerms: nonNil(r.MissingTerms),
			Flagged: r.Flagged, LegalHold: r.Held, UpdatedAt: r.UpdatedAt, Version: r.Version, URL: contractURL(r.ID)})
	}
	return c.JSON(out)
}

func (s *Server) apiContractCreate(c *fiber.Ctx) error {
	var body APIContractFields
	if err := readJSON(c, &body); err != nil {
		return err
	}
	f, err := body.fields()
	if err != nil {
		return err
	}
	k, err := s.contracts.Create(c.UserContext(), viewer(c).Domain, f)
	if err != nil {
		return err
	}
	c.Location(contractURL(k.ID))
	return c.Status(fiber.StatusCreated).JSON(s.apiContract(k))
}

func (s *Server) apiContractGet(c *fiber.Ctx) error {
	k, err := s.contracts.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(s.apiContract(k))
}

func (s *Server) apiContractUpdate(c *fiber.Ctx) error {
	var body APIContractUpdate
	if err := readJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	f, err := body.fields()
	if err != nil {
		return err
	}
	k, err := s.contracts.Update(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, f, s.canManageContract(c))
	if err != nil {
		return err
	}
	return c.JSON(s.apiContract(k))
}

func (s *Server) apiContractActivate(c *fiber.Ctx) error {
	var body APIVersionBody
	if err := readJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	k, err := s.contracts.Activate(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version)
	if err != nil {
		return err
	}
	return c.JSON(s.apiContract(k))
}

func (s *Server) apiContractTerminate(c *fiber.Ctx) error {
	var body APITerminateBody
	if err := readJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	date, err := apiDate("date", body.Date)
	if err != nil {
		return err
	}
	k, err := s.contracts.Terminate(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, date, body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(s.apiContract(k))
}

func (s *Server) apiContractDispose(c *fiber.Ctx) error {
	var body APIReasonBody
	if err := readJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	k, err := s.contracts.Dispose(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(s.apiContract(k))
}

func (s *Server) apiContractHold(c *fiber.Ctx) error {
	var body APIHoldBody
	if err := readJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	if body.On == nil {
		return errs.Field("on", "Say whether to place (true) or lift (false) the legal hold.")
	}
	k, err := s.contracts.SetHold(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, *body.On, body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(s.apiContract(k))
}

func (s *Server) apiContractFiles(c *fiber.Ctx) error {
	k, err := s.contracts.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	a := s.apiContract(k)
	return c.JSON(APIContractFiles{ContractID: k.ID, Version: k.Version, Files: a.Files})
}

// apiContractUpload adds a file version from a multipart form: the file in
// "file", "signed" true for the signed copy (a PDF), and the version read.
// Without the manage right only drafts take files; the domain decides.
func (s *Server) apiContractUpload(c *fiber.Ctx) error {
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		return errs.E(errs.Unsupported, "Send the file as multipart/form-data, with the fields file, signed and version.")
	}
	form, err := s.readUpload(c, "file", s.cfg.UploadLimit)
	if err != nil {
		return err
	}
	defer form.Remove()
	problems := map[string]string{}
	version, err := strconv.ParseInt(form.Value("version"), 10, 64)
	if err != nil || version < 1 {
		problems["version"] = "Send the version of the contract you read (its \"version\")."
	}
	signed := false
	if raw := form.Value("signed"); raw != "" {
		if signed, err = strconv.ParseBool(raw); err != nil {
			problems["signed"] = "Say whether this is the signed copy: true or false."
		}
	}
	if len(form.Files) == 0 {
		problems["file"] = "Attach the file in the field \"file\"."
	}
	if len(problems) > 0 {
		return errs.Fields(problems)
	}
	k, err := s.contracts.UploadFile(c.UserContext(), viewer(c).Domain, c.Params("id"), version, form.Files[0], signed, s.canManageContract(c))
	if err != nil {
		return err
	}
	c.Location(contractURL(k.ID) + "/files/" + strconv.Itoa(k.FileSeq))
	return c.Status(fiber.StatusCreated).JSON(s.apiContract(k))
}

func (s *Server) apiContractFileDelete(c *fiber.Ctx) error {
	n, err := fileNumber(c)
	if err != nil {
		return err
	}
	var body APIReasonBody
	if err := readJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	k, err := s.contracts.DeleteFile(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, n, body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(s.apiContract(k))
}

func (s *Server) apiBAAGaps(c *fiber.Ctx) error {
	list, err := s.contracts.BAAGaps(c.UserContext(), viewer(c).Domain)
	if err != nil {
		return err
	}
	out := APIBAAGaps{Vendors: make([]APIBAAGap, 0, len(list)), Total: len(list)}
	for _, v := range list {
		out.Vendors = append(out.Vendors, APIBAAGap{ID: v.ID, Name: v.LegalName, Tier: v.Risk.Tier, Status: v.Status, Owner: v.Owner,
			URL: "/api/v1/vendors/" + url.PathEscape(v.ID) + "/baa"})
	}
	return c.JSON(out)
}

func (s *Server) apiVendorBAA(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v, err := s.suppliers.Get(ctx, viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	st, err := s.contracts.VendorBAA(ctx, v)
	if err != nil {
		return err
	}
	out := APIVendorBAA{VendorID: v.ID, VendorName: v.LegalName, NeedsBAA: st.NeedsBAA,
		Gap:      st.NeedsBAA && st.InForce == nil && v.Status != supplier.Terminated,
		Complete: st.InForce != nil && len(st.Missing) == 0, Missing: []contract.BAATerm{}, Others: []APIContract{}}
	if st.InForce != nil {
		in := s.apiContract(*st.InForce)
		out.InForce = &in
		out.Missing = append(out.Missing, st.Missing...)
	}
	for _, k := range st.Others {
		out.Others = append(out.Others, s.apiContract(k))
	}
	return c.JSON(out)
}

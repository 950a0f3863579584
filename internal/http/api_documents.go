package http

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/authz"
	"dossier/internal/document"
	"dossier/internal/errs"
	"dossier/internal/upload"
)

// The controlled-document API. Casbin decides per document (a grant on one
// document or on a group of them works as well as a role's on all), and
// every route naming a document asks view on it first, then the action the
// route takes: revise, review, approve, publish, retire or acknowledge.
// Workflow state and segregation of duties (the author never signs) are the
// domain's. What a reader sees is documentSight's: someone who may only view
// — staff — sees the revision in effect today and nothing else (no drafts,
// comments, originals or acknowledgement lists); people who work on the
// document and auditors see it whole. The register lists only what the
// reader may see.
//
// Dates are days, YYYY-MM-DD ("" when none); moments are RFC 3339. A change
// to the document's record carries the version the client read, in the
// body; a newer version on the server is a 409. Comments, signatures and
// acknowledgements need no version: they do not depend on what the client
// saw, and a signature is bound instead to the revision's SHA-256 and
// review round, which the client sends and the domain checks.

func (s *Server) documentAPIRoutes(api fiber.Router) {
	view := s.documentRequire(authz.View)
	may := func(action string) fiber.Handler { return s.documentRequire(action) }
	grantView := s.require(authz.View, authz.Every(authz.ClassGrant))
	grantManage := s.require(authz.Manage, authz.Every(authz.ClassGrant))

	g := api.Group("/documents", s.signedIn)
	g.Get("/", s.apiDocumentList)
	g.Post("/", s.require(authz.Revise, authz.Every(authz.ClassDocument)), s.apiDocumentCreate)
	g.Get("/tasks", s.apiDocumentTasks)
	g.Get("/review-due", s.apiDocumentReviewDue)

	g.Get("/:id", view, s.apiDocumentGet)
	g.Put("/:id", view, may(authz.Manage), s.apiDocumentUpdate)
	g.Post("/:id/retire", view, may(authz.Retire), s.apiDocumentRetire)
	g.Post("/:id/review", view, may(authz.Approve), s.apiDocumentReview)
	g.Post("/:id/acknowledge", view, may(authz.Acknowledge), s.apiDocumentAcknowledge)
	g.Get("/:id/acknowledgements", view, s.documentManageOrWhole, s.apiDocumentAcks)
	g.Get("/:id/copy", view, s.apiDocumentCopy)
	g.Get("/:id/copies", view, s.documentWholeOnly("the controlled copies issued"), s.apiDocumentCopies)

	g.Post("/:id/revisions", view, may(authz.Revise), s.apiRevisionCreate)
	g.Get("/:id/revisions/:n", view, s.apiRevisionGet)
	g.Put("/:id/revisions/:n", view, may(authz.Revise), s.apiRevisionEdit)
	g.Get("/:id/revisions/:n/file", view, s.documentWholeOnly("original files; download a controlled copy instead"), s.apiRevisionFile)
	g.Post("/:id/revisions/:n/submit", view, may(authz.Revise), s.apiRevisionSubmit)
	g.Get("/:id/revisions/:n/comments", view, s.documentWholeOnly("review comments"), s.apiRevisionComments)
	g.Post("/:id/revisions/:n/comments", view, may(authz.Review), s.apiRevisionComment)
	g.Post("/:id/revisions/:n/sign", view, may(authz.Approve), s.apiRevisionSign)
	g.Post("/:id/revisions/:n/publish", view, may(authz.Publish), s.apiRevisionPublish)
	g.Post("/:id/revisions/:n/retire", view, may(authz.Retire), s.apiRevisionRetire)
	g.Post("/:id/revisions/:n/dispose", view, may(authz.Approve), s.apiRevisionDispose)

	// Permissions are the administrators': grant rights, not document
	// rights, and no view of the document is needed to manage them.
	g.Get("/:id/grants", grantView, s.apiDocumentGrants)
	g.Post("/:id/grants", grantManage, s.apiDocumentGrant)
	g.Delete("/:id/grants", grantManage, s.apiDocumentRevoke)
	g.Post("/:id/groups", grantManage, s.apiDocumentGroupAdd)
	g.Delete("/:id/groups", grantManage, s.apiDocumentGroupRemove)
}

// documentWholeOnly lets through only viewers who see document :id whole;
// what names what a view-only reader is refused.
func (s *Server) documentWholeOnly(what string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.documentSight(c, c.Params("id")) != document.Whole {
			return errs.E(errs.Forbidden, "You may read this document's revision in effect only, not %s.", what)
		}
		return c.Next()
	}
}

// documentManageOrWhole lets through viewers who manage document :id or
// see it whole.
func (s *Server) documentManageOrWhole(c *fiber.Ctx) error {
	id := c.Params("id")
	if !s.canDocument(c, id, authz.Manage) && s.documentSight(c, id) != document.Whole {
		return errs.E(errs.Forbidden, "You may read this document's revision in effect only, not who has acknowledged it.")
	}
	return c.Next()
}

// Responses.

// Sights as the API names them.
const (
	sightWhole     = "whole"
	sightEffective = "effective_only"
)

// APIDocument is one controlled document as the viewer may see it: whole,
// or — for someone who may only view it — its register entry and the
// revision in effect today. Storage keys never appear.
type APIDocument struct {
	ID              string                  `json:"id"`
	Number          string                  `json:"number"`
	Title           string                  `json:"title"`
	Type            document.Type           `json:"type"`
	Source          string                  `json:"source"`
	ExternalVersion string                  `json:"external_version"`
	Owner           string                  `json:"owner"`
	Classification  document.Classification `json:"classification"`
	Clauses         []string                `json:"clauses"`
	Controls        []string                `json:"controls"`
	ReviewMonths    int                     `json:"review_months"`
	Approval        *APIApprovalRule        `json:"approval"`  // null for view-only readers
	Audiences       *APIAudiences           `json:"audiences"` // null for view-only readers
	Sight           string                  `json:"sight"`     // "whole" or "effective_only"
	Effective       string                  `json:"effective"` // the label of the revision in effect today; "" none
	EffectiveFrom   string                  `json:"effective_from"`
	NextReview      string                  `json:"next_review"`
	DaysToReview    *int                    `json:"days_to_review"`
	LastReviewed    string                  `json:"last_reviewed"`
	Retired         *APIRetirement          `json:"retired"`
	Revisions       []APIRevision           `json:"revisions"` // oldest first
	CreatedBy       string                  `json:"created_by"`
	CreatedAt       time.Time               `json:"created_at"`
	UpdatedAt       time.Time               `json:"updated_at"`
	Version         int64                   `json:"version"`
	URL             string                  `json:"url"`
	CopyURL         string                  `json:"copy_url"` // where a controlled copy downloads; "" when no PDF is in effect
}

// APIApprovalRule says who approves: the named approvers and holders of the
// roles; required 0 means every approver named and a holder of each role,
// N any N of them.
type APIApprovalRule struct {
	Approvers []string `json:"approvers"`
	Roles     []string `json:"roles"`
	Required  int      `json:"required"`
}

// APIAudiences are who must read and acknowledge the document.
type APIAudiences struct {
	Roles []string `json:"roles"`
	Users []string `json:"users"`
}

// APIRetirement records that a document was retired.
type APIRetirement struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	On     string    `json:"on"`
	Reason string    `json:"reason"`
}

// APIRevision is one revision. For a view-only reader (the revision in
// effect) the review record — round, rule, missing approvals, earlier
// files, the original's address — is left out.
type APIRevision struct {
	N             int                 `json:"n"`
	Label         string              `json:"label"` // "2.1"
	Major         int                 `json:"major"`
	Minor         int                 `json:"minor"`
	State         document.State      `json:"state"` // as of today: a revision whose effective date has come is effective
	Format        document.Format     `json:"format"`
	File          APIRevisionFile     `json:"file"`
	ChangeSummary string              `json:"change_summary"`
	Author        string              `json:"author"`
	AuthorName    string              `json:"author_name"`
	CreatedAt     time.Time           `json:"created_at"`
	UpdatedAt     time.Time           `json:"updated_at"`
	SubmittedAt   *time.Time          `json:"submitted_at"`
	ApprovedAt    *time.Time          `json:"approved_at"`
	EffectiveFrom string              `json:"effective_from"`
	PublishedBy   string              `json:"published_by"`
	LastInEffect  string              `json:"last_in_effect"`
	RetiredOn     string              `json:"retired_on"`
	Signatures    []APIDocSignature   `json:"signatures"`
	Disposed      *APIDisposal        `json:"disposed"`
	Round         int                 `json:"round,omitempty"`       // review rounds started
	Rule          *APIApprovalRule    `json:"rule,omitempty"`        // the rule it is approved under, fixed when submitted
	Missing       []string            `json:"missing,omitempty"`     // approvals still needed, in words
	Sign          *APISignable        `json:"sign,omitempty"`        // whether the viewer may sign it now (in review, viewers with approve)
	PriorFiles    []APIRevisionFile   `json:"prior_files,omitempty"` // files an edit replaced, kept under retention
	CommentsURL   string              `json:"comments_url,omitempty"`
	URL           string              `json:"url"`
	Document      *APIRevisionContext `json:"document,omitempty"` // on GET …/revisions/{n} only
}

// APIRevisionContext names the document a revision stands alone from.
type APIRevisionContext struct {
	ID      string `json:"id"`
	Number  string `json:"number"`
	Title   string `json:"title"`
	Version int64  `json:"version"`
	URL     string `json:"url"`
}

// APIRevisionFile is a revision's stored file, without its storage key.
type APIRevisionFile struct {
	Name          string `json:"name"`
	ContentType   string `json:"content_type"`
	Size          int64  `json:"size"`
	SHA256        string `json:"sha256"`
	Pages         int    `json:"pages"`
	RetainUntil   string `json:"retain_until"`
	RetentionMode string `json:"retention_mode"`
	URL           string `json:"url"` // the original's download; "" for view-only readers and disposed files
}

// APIDocSignature is a signature on a revision; verified is recomputed on
// every read from the signature's digest and the file it signed.
type APIDocSignature struct {
	SignerID   string           `json:"signer_id"`
	SignerName string           `json:"signer_name"`
	At         time.Time        `json:"at"`
	Meaning    document.Meaning `json:"meaning"`
	Reason     string           `json:"reason"`
	Round      int              `json:"round"`
	Slot       string           `json:"slot,omitempty"` // the part of the rule it fills
	SHA256     string           `json:"sha256"`
	Digest     string           `json:"digest"`
	Verified   bool             `json:"verified"`
}

// APIDisposal records that a revision's file was deleted after retention.
type APIDisposal struct {
	By     string    `json:"by"`
	ByName string    `json:"by_name"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// APISignable says whether the viewer may sign a revision now, and if not
// why (they wrote it, the rule does not name them, they signed already).
type APISignable struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
}

// APIDocumentRow is one document in the register.
type APIDocumentRow struct {
	ID             string                  `json:"id"`
	Number         string                  `json:"number"`
	Title          string                  `json:"title"`
	Type           document.Type           `json:"type"`
	Owner          string                  `json:"owner"`
	Classification document.Classification `json:"classification"`
	Effective      string                  `json:"effective"`
	EffectiveFrom  string                  `json:"effective_from"`
	Latest         string                  `json:"latest"`       // the newest revision the viewer sees
	LatestState    document.State          `json:"latest_state"` // its state today
	InReview       int                     `json:"in_review"`
	NextReview     string                  `json:"next_review"`
	DaysToReview   *int                    `json:"days_to_review"` // negative: overdue
	Retired        bool                    `json:"retired"`
	UpdatedAt      time.Time               `json:"updated_at"`
	Version        int64                   `json:"version"`
	URL            string                  `json:"url"`
}

// APIDocumentList is GET /api/v1/documents.
type APIDocumentList struct {
	Documents []APIDocumentRow `json:"documents"`
	Counts    document.Counts  `json:"counts"`
	Total     int              `json:"total"`
	Page      int              `json:"page"`
	PerPage   int              `json:"per_page"`
	Pages     int              `json:"pages"`
}

// APIReviewDue is GET /api/v1/documents/review-due.
type APIReviewDue struct {
	Within  int              `json:"within"`
	DueSoon []APIDocumentRow `json:"due_soon"` // soonest first
	Overdue []APIDocumentRow `json:"overdue"`  // most overdue first
}

// APIDocumentTask is a document the viewer is to read and acknowledge.
type APIDocumentTask struct {
	DocumentID     string `json:"document_id"`
	Number         string `json:"number"`
	Title          string `json:"title"`
	Revision       string `json:"revision"`
	EffectiveFrom  string `json:"effective_from"`
	URL            string `json:"url"`
	AcknowledgeURL string `json:"acknowledge_url"`
}

// APIDocumentTasks is GET /api/v1/documents/tasks.
type APIDocumentTasks struct {
	Tasks []APIDocumentTask `json:"tasks"`
	Total int               `json:"total"`
}

// APIAcknowledgement is one acknowledgement recorded.
type APIAcknowledgement struct {
	DocumentID string    `json:"document_id"`
	Number     string    `json:"number"`
	Revision   string    `json:"revision"`
	Major      int       `json:"major"`
	User       string    `json:"user"`
	At         time.Time `json:"at"`
}

// APIAckRate is GET /api/v1/documents/{id}/acknowledgements.
type APIAckRate struct {
	DocumentID   string      `json:"document_id"`
	Revision     string      `json:"revision"` // "" when nothing is in effect
	Major        int         `json:"major"`
	Expected     int         `json:"expected"`
	Acknowledged int         `json:"acknowledged"`
	Rate         float64     `json:"rate"` // acknowledged / expected; 1 when nobody is expected
	Missing      []APIPerson `json:"missing"`
}

// APIPerson is a user by id, with their name and e-mail when known.
type APIPerson struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// APICopy is one controlled copy issued.
type APICopy struct {
	ID       string    `json:"id"`
	N        int       `json:"n"`
	Revision string    `json:"revision"`
	SHA256   string    `json:"sha256"` // of the original it was made from
	User     string    `json:"user"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// APICopies is GET /api/v1/documents/{id}/copies.
type APICopies struct {
	DocumentID string    `json:"document_id"`
	Copies     []APICopy `json:"copies"` // oldest first
	Total      int       `json:"total"`
}

// APIComment is a reviewer's comment on a revision.
type APIComment struct {
	By     string    `json:"by"`
	ByName string    `json:"by_name"`
	At     time.Time `json:"at"`
	Round  int       `json:"round"`
	Text   string    `json:"text"`
}

// APIComments is GET /api/v1/documents/{id}/revisions/{n}/comments.
type APIComments struct {
	DocumentID string       `json:"document_id"`
	N          int          `json:"n"`
	Revision   string       `json:"revision"`
	Comments   []APIComment `json:"comments"` // oldest first
}

// APIGrant is one grant reaching the document: on it, or on a group it
// belongs to (object then names the group).
type APIGrant struct {
	Subject string `json:"subject"` // a user id or "role:<name>"
	Who     string `json:"who"`
	Action  string `json:"action"`
	Object  string `json:"object"`
}

// APIDocumentGrants is GET /api/v1/documents/{id}/grants.
type APIDocumentGrants struct {
	DocumentID string     `json:"document_id"`
	Object     string     `json:"object"` // "document:<id>"
	Groups     []string   `json:"groups"` // "group:policies"…
	Grants     []APIGrant `json:"grants"`
}

func documentURL(id string) string { return "/api/v1/documents/" + url.PathEscape(id) }

func revisionURL(id string, n int) string { return documentURL(id) + "/revisions/" + strconv.Itoa(n) }

// apiDocument shows d as the viewer may see it.
func (s *Server) apiDocument(c *fiber.Ctx, d document.Document) APIDocument {
	now := s.now()
	sight := s.documentSight(c, d.ID)
	whole := sight == document.Whole
	eff, inEffect := d.EffectiveOn(now)
	next := d.NextReviewOn(now)
	out := APIDocument{ID: d.ID, Number: d.Number, Title: d.Title, Type: d.Type, Source: d.Source, ExternalVersion: d.ExternalVersion,
		Owner: d.Owner, Classification: d.Classification, Clauses: nonNil(d.Clauses), Controls: nonNil(d.Controls),
		ReviewMonths: d.ReviewMonths, Sight: sightEffective, NextReview: apiDay(next), DaysToReview: daysTo(now, next),
		LastReviewed: apiDay(d.LastReviewed), Revisions: []APIRevision{}, CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt,
		UpdatedAt: d.UpdatedAt, Version: d.Version, URL: documentURL(d.ID)}
	if whole {
		out.Sight = sightWhole
		out.Approval = apiRule(d.Approval)
		out.Audiences = &APIAudiences{Roles: nonNil(d.Audiences.Roles), Users: nonNil(d.Audiences.Users)}
	}
	if inEffect {
		out.Effective, out.EffectiveFrom = eff.Label(), apiDay(eff.EffectiveFrom)
		if eff.Format == document.PDF && eff.Disposed == nil {
			out.CopyURL = documentURL(d.ID) + "/copy"
		}
	}
	if t := d.Retired; t != nil {
		out.Retired = &APIRetirement{By: t.By, At: t.At, On: apiDay(t.On), Reason: t.Reason}
	}
	for _, r := range d.Visible(now, !whole) {
		out.Revisions = append(out.Revisions, s.apiRevision(c, d, r, whole))
	}
	return out
}

func apiRule(r document.ApprovalRule) *APIApprovalRule {
	return &APIApprovalRule{Approvers: nonNil(r.Approvers), Roles: nonNil(r.Roles), Required: r.Required}
}

// stateToday is r's state as of today: the revision in effect is
// effective, and one recorded effective but replaced since is superseded,
// whether or not the daily sweep has yet recorded the switch.
func stateToday(d document.Document, r document.Revision, today time.Time) document.State {
	eff, ok := d.EffectiveOn(today)
	switch {
	case ok && r.N == eff.N:
		return document.Effective
	case r.State == document.Effective:
		return document.Superseded
	}
	return r.State
}

func (s *Server) apiRevision(c *fiber.Ctx, d document.Document, r document.Revision, whole bool) APIRevision {
	now := s.now()
	out := APIRevision{N: r.N, Label: r.Label(), Major: r.Major, Minor: r.Minor, State: stateToday(d, r, now), Format: r.Format,
		File: apiRevisionFile(r.File), ChangeSummary: r.ChangeSummary, Author: r.Author, AuthorName: r.AuthorName,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, SubmittedAt: moment(r.SubmittedAt), ApprovedAt: moment(r.ApprovedAt),
		EffectiveFrom: apiDay(r.EffectiveFrom), PublishedBy: r.PublishedBy, LastInEffect: apiDay(r.LastInEffect),
		RetiredOn: apiDay(r.RetiredOn), Signatures: []APIDocSignature{}, URL: revisionURL(d.ID, r.N)}
	signatures := r.Signatures
	if !whole {
		// A reader of the effective revision sees the approvals it carries
		// (as its controlled copy prints them), not the review record:
		// rejections, their reasons and periodic reviews stay with those
		// who work on the document.
		signatures = r.Approvals()
	}
	for _, sg := range signatures {
		out.Signatures = append(out.Signatures, APIDocSignature{SignerID: sg.SignerID, SignerName: sg.SignerName, At: sg.At,
			Meaning: sg.Meaning, Reason: sg.Reason, Round: sg.Round, Slot: sg.Slot, SHA256: sg.FileSHA256, Digest: sg.Digest,
			Verified: document.Verify(d, r, sg) == nil})
	}
	if x := r.Disposed; x != nil {
		out.Disposed = &APIDisposal{By: x.By, ByName: x.ByName, At: x.At, Reason: x.Reason}
	}
	if !whole {
		return out
	}
	if r.Disposed == nil {
		out.File.URL = revisionURL(d.ID, r.N) + "/file"
	}
	out.Round, out.CommentsURL = r.Round, revisionURL(d.ID, r.N)+"/comments"
	if r.Round > 0 {
		out.Rule = apiRule(r.Rule)
	}
	switch out.State {
	case document.InReview, document.Approved:
		if !r.Scheduled() {
			out.Missing = s.documents.Missing(d, r.N)
		}
	}
	if out.State == document.InReview && s.canDocument(c, d.ID, authz.Approve) {
		out.Sign = &APISignable{Allowed: true}
		if err := s.documents.CanSign(c.UserContext(), d, r.N); err != nil {
			out.Sign = &APISignable{Reason: errs.Message(err)}
		}
	}
	for _, f := range r.PriorFiles {
		out.PriorFiles = append(out.PriorFiles, apiRevisionFile(f))
	}
	return out
}

func apiRevisionFile(f document.File) APIRevisionFile {
	return APIRevisionFile{Name: f.Name, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256, Pages: f.Pages,
		RetainUntil: apiDay(f.RetainUntil), RetentionMode: f.Mode}
}

// moment is a time that may not have happened yet: null until it has.
func moment(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) apiDocumentRow(r document.Row) APIDocumentRow {
	return APIDocumentRow{ID: r.ID, Number: r.Number, Title: r.Title, Type: r.Type, Owner: r.Owner, Classification: r.Classification,
		Effective: r.Effective, EffectiveFrom: apiDay(r.EffectiveFrom), Latest: r.Latest, LatestState: r.LatestState, InReview: r.InReview,
		NextReview: apiDay(r.NextReview), DaysToReview: daysTo(s.now(), r.NextReview), Retired: r.Retired, UpdatedAt: r.UpdatedAt,
		Version: r.Version, URL: documentURL(r.ID)}
}

// Requests.

// APIDocumentFields are a document's register fields as the API takes them.
type APIDocumentFields struct {
	Number          string                  `json:"number"`
	Title           string                  `json:"title"`
	Type            document.Type           `json:"type"`
	Source          string                  `json:"source"`
	ExternalVersion string                  `json:"external_version"`
	Owner           string                  `json:"owner"`
	Classification  document.Classification `json:"classification"`
	Clauses         []string                `json:"clauses"`
	Controls        []string                `json:"controls"`
	ReviewMonths    int                     `json:"review_months"`
	Approval        APIApprovalRule         `json:"approval"`
	Audiences       APIAudiences            `json:"audiences"`
}

func (f APIDocumentFields) fields() document.Fields {
	return document.Fields{Number: f.Number, Title: f.Title, Type: f.Type, Source: f.Source, ExternalVersion: f.ExternalVersion,
		Owner: f.Owner, Classification: f.Classification, Clauses: f.Clauses, Controls: f.Controls, ReviewMonths: f.ReviewMonths,
		Approval:  document.ApprovalRule{Approvers: f.Approval.Approvers, Roles: f.Approval.Roles, Required: f.Approval.Required},
		Audiences: document.Audiences{Roles: f.Audiences.Roles, Users: f.Audiences.Users}}
}

// APIDocumentUpdate is the body of PUT /api/v1/documents/{id}: every
// register field, and the version the client read.
type APIDocumentUpdate struct {
	Version int64 `json:"version"`
	APIDocumentFields
}

// APIPublishBody is the body of POST …/revisions/{n}/publish.
type APIPublishBody struct {
	Version int64  `json:"version"`
	Date    string `json:"date"` // the effective date, YYYY-MM-DD; "" today
}

// APISignBody is the body of POST …/revisions/{n}/sign: the meaning, the
// signer's re-authentication, and what they read — the file's SHA-256 and
// the review round — so a signature never lands on content they did not
// see.
type APISignBody struct {
	Meaning  document.Meaning `json:"meaning"`
	Reason   string           `json:"reason"`
	Password string           `json:"password"`
	Code     string           `json:"code"`
	SHA256   string           `json:"sha256"`
	Round    int              `json:"round"`
}

// APIReviewBody is the body of POST /api/v1/documents/{id}/review: a
// periodic review that changes nothing, signed on the effective revision
// the reviewer read.
type APIReviewBody struct {
	Revision int    `json:"revision"` // the effective revision's n
	SHA256   string `json:"sha256"`
	Reason   string `json:"reason"`
	Password string `json:"password"`
	Code     string `json:"code"`
}

// APICommentBody is the body of POST …/revisions/{n}/comments.
type APICommentBody struct {
	Text string `json:"text"`
}

// APIGrantBody is the body of POST and DELETE /api/v1/documents/{id}/grants.
type APIGrantBody struct {
	Subject string `json:"subject"` // a role ("approver", "role:approver"), or a user by e-mail or id
	Action  string `json:"action"`
}

// APIGroupBody is the body of POST and DELETE /api/v1/documents/{id}/groups.
type APIGroupBody struct {
	Group string `json:"group"` // "policies" or "group:policies"
}

// Handlers: the register.

// documentListParams are the query parameters of GET /api/v1/documents; any
// other is refused, so a misspelt filter never passes for an empty one.
var documentListParams = []string{"q", "type", "owner", "state", "review_due", "sort", "page", "per_page"}

// strictQuery refuses query parameters other than allowed, naming each.
func strictQuery(c *fiber.Ctx, problems map[string]string, allowed []string) {
	c.Context().QueryArgs().VisitAll(func(k, _ []byte) {
		if name := string(k); !slices.Contains(allowed, name) {
			problems[name] = "There is no parameter " + strconv.Quote(name) + "; use " + strings.Join(allowed, ", ") + "."
		}
	})
}

// queryNumber reads a whole-number parameter from 1 to most; 0 when absent.
func queryNumber(c *fiber.Ctx, problems map[string]string, name string, most int) int {
	raw := c.Query(name)
	if raw == "" {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > most {
		problems[name] = "The " + name + " is a whole number from 1 to " + strconv.Itoa(most) + "."
		return 0
	}
	return n
}

// documentQuery reads the register's query; the domain checks the values
// (an unknown type, state or sort is a 400 naming it, through badQuery).
func documentQuery(c *fiber.Ctx) (document.Query, error) {
	problems := map[string]string{}
	strictQuery(c, problems, documentListParams)
	q := document.Query{Search: c.Query("q"), Type: document.Type(c.Query("type")), Owner: c.Query("owner"),
		State: document.State(c.Query("state")), ReviewDue: c.Query("review_due"), Sort: c.Query("sort"),
		Page: queryNumber(c, problems, "page", 1<<20), PerPage: queryNumber(c, problems, "per_page", 1<<20)}
	if len(problems) > 0 {
		return q, badQuery(errs.Fields(problems))
	}
	return q, nil
}

func (s *Server) apiDocumentList(c *fiber.Ctx) error {
	q, err := documentQuery(c)
	if err != nil {
		return err
	}
	q.Sight = s.documentSights(c)
	page, err := s.documents.List(c.UserContext(), viewer(c).Domain, q)
	if err != nil {
		return badQuery(err)
	}
	out := APIDocumentList{Documents: make([]APIDocumentRow, 0, len(page.Rows)), Counts: page.Counts, Total: page.Total,
		Page: page.Page, PerPage: page.PerPage}
	if page.PerPage > 0 {
		out.Pages = (page.Total + page.PerPage - 1) / page.PerPage
	}
	for _, r := range page.Rows {
		out.Documents = append(out.Documents, s.apiDocumentRow(r))
	}
	return c.JSON(out)
}

func (s *Server) apiDocumentCreate(c *fiber.Ctx) error {
	var body APIDocumentFields
	if err := readJSON(c, &body); err != nil {
		return err
	}
	d, err := s.documents.Create(c.UserContext(), viewer(c).Domain, body.fields())
	if err != nil {
		return err
	}
	c.Location(documentURL(d.ID))
	return c.Status(fiber.StatusCreated).JSON(s.apiDocument(c, d))
}

// visibleDocument reads document :id as the viewer may see it: a view-only
// reader finds a document with nothing in effect (drafts only, retired) not
// there at all.
func (s *Server) visibleDocument(c *fiber.Ctx) (document.Document, error) {
	d, err := s.documents.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return document.Document{}, err
	}
	if s.documentSight(c, d.ID) != document.Whole {
		if _, ok := d.EffectiveOn(s.now()); !ok {
			return document.Document{}, errs.E(errs.NotFound, "No such document.")
		}
	}
	return d, nil
}

func (s *Server) apiDocumentGet(c *fiber.Ctx) error {
	d, err := s.visibleDocument(c)
	if err != nil {
		return err
	}
	return c.JSON(s.apiDocument(c, d))
}

func (s *Server) apiDocumentUpdate(c *fiber.Ctx) error {
	var body APIDocumentUpdate
	if err := readJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	d, err := s.documents.Update(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, body.fields())
	if err != nil {
		return err
	}
	return c.JSON(s.apiDocument(c, d))
}

func (s *Server) apiDocumentRetire(c *fiber.Ctx) error {
	var body APIReasonBody
	if err := readJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	d, err := s.documents.Retire(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(s.apiDocument(c, d))
}

func (s *Server) apiDocumentReview(c *fiber.Ctx) error {
	var body APIReviewBody
	if err := readJSON(c, &body); err != nil {
		return err
	}
	d, _, err := s.documents.ReviewedNoChange(c.UserContext(), viewer(c).Domain, c.Params("id"), document.ReviewInput{
		Revision: body.Revision, SHA256: body.SHA256, Reason: body.Reason, Password: body.Password, Code: body.Code})
	if err != nil {
		return err
	}
	return c.JSON(s.apiDocument(c, d))
}

// Handlers: acknowledgement and controlled copies.

func (s *Server) apiDocumentTasks(c *fiber.Ctx) error {
	v := viewer(c)
	tasks, err := s.documents.Pending(c.UserContext(), v.Domain, v.User.ID)
	if err != nil {
		return err
	}
	sight := s.documentSights(c)
	out := APIDocumentTasks{Tasks: []APIDocumentTask{}}
	for _, t := range tasks {
		// A task the viewer cannot act on (no view or acknowledge on the
		// document) is not theirs to see.
		if sight(t.DocID) == document.Hidden || !s.canDocument(c, t.DocID, authz.Acknowledge) {
			continue
		}
		out.Tasks = append(out.Tasks, APIDocumentTask{DocumentID: t.DocID, Number: t.Number, Title: t.Title, Revision: t.Revision,
			EffectiveFrom: apiDay(t.EffectiveFrom), URL: documentURL(t.DocID), AcknowledgeURL: documentURL(t.DocID) + "/acknowledge"})
	}
	out.Total = len(out.Tasks)
	return c.JSON(out)
}

func (s *Server) apiDocumentAcknowledge(c *fiber.Ctx) error {
	v := viewer(c)
	if _, err := s.visibleDocument(c); err != nil {
		return err
	}
	a, err := s.documents.Acknowledge(c.UserContext(), v.Domain, c.Params("id"), v.User.ID)
	if err != nil {
		return err
	}
	return c.JSON(APIAcknowledgement{DocumentID: a.DocID, Number: a.Number, Revision: a.Revision, Major: a.Major, User: a.User, At: a.At})
}

func (s *Server) apiDocumentAcks(c *fiber.Ctx) error {
	ctx, id := c.UserContext(), c.Params("id")
	rate, err := s.documents.Rate(ctx, viewer(c).Domain, id)
	if err != nil {
		return err
	}
	out := APIAckRate{DocumentID: id, Revision: rate.Revision, Major: rate.Major, Expected: rate.Expected,
		Acknowledged: rate.Acknowledged, Rate: 1, Missing: []APIPerson{}}
	if rate.Expected > 0 {
		out.Rate = float64(rate.Acknowledged) / float64(rate.Expected)
	}
	for _, u := range rate.Missing {
		p := APIPerson{ID: u}
		if user, err := s.access.User(ctx, u); err == nil {
			p.Name, p.Email = user.Name, user.Email
		}
		out.Missing = append(out.Missing, p)
	}
	return c.JSON(out)
}

// apiDocumentCopy issues a controlled copy of the revision in effect to the
// viewer: every page stamped, the approvals and history appended, the copy
// recorded. The stored original is read (its SHA-256 checked) and never
// changed.
func (s *Server) apiDocumentCopy(c *fiber.Ctx) error {
	if _, err := s.visibleDocument(c); err != nil {
		return err
	}
	cp, pdf, err := s.documents.ControlledCopy(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderCacheControl, "no-store")
	attachment(c, strings.ToLower(cp.Number)+"-rev-"+cp.Revision+"-controlled-copy.pdf")
	return c.Send(pdf)
}

func (s *Server) apiDocumentCopies(c *fiber.Ctx) error {
	id := c.Params("id")
	ctx, domain := c.UserContext(), viewer(c).Domain
	if _, err := s.documents.Get(ctx, domain, id); err != nil {
		return err
	}
	list, err := s.documents.Copies(ctx, domain, id)
	if err != nil {
		return err
	}
	out := APICopies{DocumentID: id, Copies: make([]APICopy, 0, len(list)), Total: len(list)}
	for _, k := range list {
		out.Copies = append(out.Copies, APICopy{ID: k.ID, N: k.N, Revision: k.Revision, SHA256: k.SHA256, User: k.User, By: k.By, At: k.At})
	}
	return c.JSON(out)
}

// apiDocumentReviewDue lists the documents the viewer sees whole whose
// periodic review falls within the coming days, and those overdue.
func (s *Server) apiDocumentReviewDue(c *fiber.Ctx) error {
	problems := map[string]string{}
	strictQuery(c, problems, []string{"within"})
	within := queryNumber(c, problems, "within", 366)
	if len(problems) > 0 {
		return badQuery(errs.Fields(problems))
	}
	if within == 0 {
		within = 30
	}
	out := APIReviewDue{Within: within}
	var err error
	if out.DueSoon, err = s.reviewRows(c, document.Query{ReviewDue: document.DueSoonFilter, DueWithin: within}); err != nil {
		return err
	}
	if out.Overdue, err = s.reviewRows(c, document.Query{ReviewDue: document.OverdueFilter}); err != nil {
		return err
	}
	return c.JSON(out)
}

// reviewRows collects every register row matching q among the documents
// the viewer sees whole, soonest review first.
func (s *Server) reviewRows(c *fiber.Ctx, q document.Query) ([]APIDocumentRow, error) {
	sight := s.documentSights(c)
	q.Sight = func(id string) document.Sight {
		if sight(id) == document.Whole {
			return document.Whole
		}
		return document.Hidden
	}
	q.PerPage = document.MaxPerPage
	var rows []document.Row
	for q.Page = 1; ; q.Page++ {
		p, err := s.documents.List(c.UserContext(), viewer(c).Domain, q)
		if err != nil {
			return nil, err
		}
		rows = append(rows, p.Rows...)
		if len(p.Rows) == 0 || q.Page*p.PerPage >= p.Total {
			break
		}
	}
	slices.SortStableFunc(rows, func(a, b document.Row) int { return a.NextReview.Compare(b.NextReview) })
	out := make([]APIDocumentRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, s.apiDocumentRow(r))
	}
	return out, nil
}

// Handlers: revisions.

// revisionNumber reads :n; anything but a revision number is a revision
// there is not.
func revisionNumber(c *fiber.Ctx) (int, error) {
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 {
		return 0, errs.E(errs.NotFound, "This document has no revision %q.", c.Params("n"))
	}
	return n, nil
}

// revisionForm is a revision's content as a multipart form.
type revisionForm struct {
	version int64
	in      document.RevisionInput
	form    *upload.Form
}

// revisionFormFields are the fields a revision form may have; newRevision
// adds "major".
var revisionFormFields = []string{"version", "change_summary", "markdown"}

// readRevisionForm reads a revision from a multipart form: the PDF in
// "file" or the Markdown text in "markdown", the change summary, and the
// version of the document read. The caller removes the form's files.
func (s *Server) readRevisionForm(c *fiber.Ctx, newRevision bool) (revisionForm, error) {
	allowed := revisionFormFields
	if newRevision {
		allowed = append(slices.Clone(allowed), "major")
	}
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		return revisionForm{}, errs.E(errs.Unsupported, "Send the revision as multipart/form-data, with the fields %s and the PDF in file.", strings.Join(allowed, ", "))
	}
	// Markdown is a text field, larger than the form reader's default.
	opts := upload.MultipartOptions{FileField: "file", Limit: s.cfg.UploadLimit, MaxFields: 10, MaxValue: document.MaxMarkdown + 1}
	var body io.Reader
	if b, ok := c.Locals(streamKey).(*trackedBody); ok {
		body = b
	} else {
		body = bytes.NewReader(c.Body())
	}
	form, err := upload.ReadMultipart(body, c.Get(fiber.HeaderContentType), opts)
	if err != nil {
		return revisionForm{}, err
	}
	out := revisionForm{form: form, in: document.RevisionInput{ChangeSummary: form.Value("change_summary"), Markdown: form.Value("markdown")}}
	problems := map[string]string{}
	for name := range form.Values {
		if !slices.Contains(allowed, name) {
			problems[name] = "There is no field " + strconv.Quote(name) + "; send " + strings.Join(allowed, ", ") + " and file."
		}
	}
	if out.version, err = strconv.ParseInt(form.Value("version"), 10, 64); err != nil || out.version < 1 {
		problems["version"] = "Send the version of the document you read (its \"version\")."
	}
	if raw := form.Value("major"); raw != "" {
		if out.in.Major, err = strconv.ParseBool(raw); err != nil {
			problems["major"] = "Say whether this is a major (substantive) change: true or false."
		}
	}
	if len(form.Files) > 0 {
		out.in.File = form.Files[0]
	}
	if len(problems) > 0 {
		form.Remove()
		return revisionForm{}, errs.Fields(problems)
	}
	return out, nil
}

func (s *Server) apiRevisionCreate(c *fiber.Ctx) error {
	f, err := s.readRevisionForm(c, true)
	if err != nil {
		return err
	}
	defer f.form.Remove()
	d, r, err := s.documents.NewRevision(c.UserContext(), viewer(c).Domain, c.Params("id"), f.version, f.in)
	if err != nil {
		return err
	}
	c.Location(revisionURL(d.ID, r.N))
	return c.Status(fiber.StatusCreated).JSON(s.apiDocument(c, d))
}

func (s *Server) apiRevisionEdit(c *fiber.Ctx) error {
	n, err := revisionNumber(c)
	if err != nil {
		return err
	}
	f, err := s.readRevisionForm(c, false)
	if err != nil {
		return err
	}
	defer f.form.Remove()
	d, err := s.documents.EditDraft(c.UserContext(), viewer(c).Domain, c.Params("id"), f.version, n, f.in)
	if err != nil {
		return err
	}
	return c.JSON(s.apiDocument(c, d))
}

// apiRevisionGet shows one revision; a view-only reader finds only the
// revision in effect.
func (s *Server) apiRevisionGet(c *fiber.Ctx) error {
	n, err := revisionNumber(c)
	if err != nil {
		return err
	}
	d, err := s.visibleDocument(c)
	if err != nil {
		return err
	}
	whole := s.documentSight(c, d.ID) == document.Whole
	for _, r := range d.Visible(s.now(), !whole) {
		if r.N == n {
			out := s.apiRevision(c, d, r, whole)
			out.Document = &APIRevisionContext{ID: d.ID, Number: d.Number, Title: d.Title, Version: d.Version, URL: documentURL(d.ID)}
			return c.JSON(out)
		}
	}
	return errs.E(errs.NotFound, "This document has no revision %d.", n)
}

// apiRevisionFile sends a revision's original, read to its end and checked
// against its SHA-256 before the first byte goes out; the service audits
// the read.
func (s *Server) apiRevisionFile(c *fiber.Ctx) error {
	n, err := revisionNumber(c)
	if err != nil {
		return err
	}
	r, rd, err := s.documents.OpenRevision(c.UserContext(), viewer(c).Domain, c.Params("id"), n)
	if err != nil {
		return err
	}
	defer rd.Close()
	return sendVerified(c, rd, func() {
		c.Set(fiber.HeaderContentType, r.File.ContentType)
		attachment(c, r.File.Name)
	})
}

// revisionChange runs a step on revision :n whose JSON body carries the
// version of the document read (into body; version reads it back), and
// answers with the document as the step left it.
func (s *Server) revisionChange(c *fiber.Ctx, body any, version func() int64,
	step func(ctx context.Context, domain, id string, n int) (document.Document, error)) error {
	n, err := revisionNumber(c)
	if err != nil {
		return err
	}
	if err := readJSON(c, body); err != nil {
		return err
	}
	if err := needVersion(version()); err != nil {
		return err
	}
	d, err := step(c.UserContext(), viewer(c).Domain, c.Params("id"), n)
	if err != nil {
		return err
	}
	return c.JSON(s.apiDocument(c, d))
}

func (s *Server) apiRevisionSubmit(c *fiber.Ctx) error {
	var body APIVersionBody
	return s.revisionChange(c, &body, func() int64 { return body.Version },
		func(ctx context.Context, domain, id string, n int) (document.Document, error) {
			return s.documents.Submit(ctx, domain, id, body.Version, n)
		})
}

func apiComment(k document.Comment) APIComment {
	return APIComment{By: k.By, ByName: k.ByName, At: k.At, Round: k.Round, Text: k.Text}
}

func (s *Server) apiRevisionComments(c *fiber.Ctx) error {
	n, err := revisionNumber(c)
	if err != nil {
		return err
	}
	ctx, domain := c.UserContext(), viewer(c).Domain
	d, err := s.documents.Get(ctx, domain, c.Params("id"))
	if err != nil {
		return err
	}
	r, ok := d.Revision(n)
	if !ok {
		return errs.E(errs.NotFound, "This document has no revision %d.", n)
	}
	all, err := s.documents.Comments(ctx, domain, d.ID)
	if err != nil {
		return err
	}
	out := APIComments{DocumentID: d.ID, N: n, Revision: r.Label(), Comments: []APIComment{}}
	for _, k := range all {
		if k.Revision == n {
			out.Comments = append(out.Comments, apiComment(k))
		}
	}
	return c.JSON(out)
}

func (s *Server) apiRevisionComment(c *fiber.Ctx) error {
	n, err := revisionNumber(c)
	if err != nil {
		return err
	}
	var body APICommentBody
	if err := readJSON(c, &body); err != nil {
		return err
	}
	k, err := s.documents.Comment(c.UserContext(), viewer(c).Domain, c.Params("id"), n, body.Text)
	if err != nil {
		return renameField(err, "comment", "text")
	}
	return c.Status(fiber.StatusCreated).JSON(apiComment(k))
}

func (s *Server) apiRevisionSign(c *fiber.Ctx) error {
	n, err := revisionNumber(c)
	if err != nil {
		return err
	}
	var body APISignBody
	if err := readJSON(c, &body); err != nil {
		return err
	}
	d, _, err := s.documents.Sign(c.UserContext(), viewer(c).Domain, c.Params("id"), n, document.SignInput{Meaning: body.Meaning,
		Reason: body.Reason, Password: body.Password, Code: body.Code, SHA256: body.SHA256, Round: body.Round})
	if err != nil {
		return err
	}
	return c.JSON(s.apiDocument(c, d))
}

func (s *Server) apiRevisionPublish(c *fiber.Ctx) error {
	var body APIPublishBody
	return s.revisionChange(c, &body, func() int64 { return body.Version },
		func(ctx context.Context, domain, id string, n int) (document.Document, error) {
			date, err := apiDate("date", body.Date)
			if err != nil {
				return document.Document{}, err
			}
			return s.documents.Publish(ctx, domain, id, body.Version, n, date)
		})
}

func (s *Server) apiRevisionRetire(c *fiber.Ctx) error {
	var body APIReasonBody
	return s.revisionChange(c, &body, func() int64 { return body.Version },
		func(ctx context.Context, domain, id string, n int) (document.Document, error) {
			return s.documents.RetireRevision(ctx, domain, id, body.Version, n, body.Reason)
		})
}

func (s *Server) apiRevisionDispose(c *fiber.Ctx) error {
	var body APIReasonBody
	return s.revisionChange(c, &body, func() int64 { return body.Version },
		func(ctx context.Context, domain, id string, n int) (document.Document, error) {
			return s.documents.Dispose(ctx, domain, id, body.Version, n, body.Reason)
		})
}

// Handlers: permissions.

// documentGrants lists the grants reaching document id: on it, and on
// each group it belongs to.
func (s *Server) documentGrants(c *fiber.Ctx, id string) (APIDocumentGrants, error) {
	v := viewer(c)
	if _, err := s.documents.Get(c.UserContext(), v.Domain, id); err != nil {
		return APIDocumentGrants{}, err
	}
	obj := documentObject(id)
	out := APIDocumentGrants{DocumentID: id, Object: obj, Groups: nonNil(s.authz.Groups(obj, v.Domain)), Grants: []APIGrant{}}
	for _, o := range append([]string{obj}, out.Groups...) {
		for _, r := range s.authz.GrantsOn(v.Domain, o) {
			out.Grants = append(out.Grants, APIGrant{Subject: r.Subject, Who: s.subjectName(c, r.Subject), Action: r.Action, Object: r.Object})
		}
	}
	return out, nil
}

func (s *Server) apiDocumentGrants(c *fiber.Ctx) error {
	out, err := s.documentGrants(c, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// apiSubject reads a grant's subject: a role by name ("approver" or
// "role:approver"), a user by e-mail, or a user by id as the grants list
// shows them.
func (s *Server) apiSubject(c *fiber.Ctx, in string) (string, error) {
	in = strings.TrimSpace(in)
	switch {
	case in == "":
		return "", errs.Field("subject", "Name a role, or a user by e-mail or id.")
	case strings.Contains(in, "@"), s.authz.IsRole(strings.TrimPrefix(in, "role:")):
		return s.subjectFor(c, in)
	case strings.HasPrefix(in, "role:"):
		return "", errs.Field("subject", "There is no role %q.", strings.TrimPrefix(in, "role:"))
	}
	if _, err := s.access.User(c.UserContext(), in); err != nil {
		if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Invalid) {
			return "", errs.Field("subject", "No user has the id %q and no role is called that.", in)
		}
		return "", err
	}
	return in, nil
}

// grantChange reads a grant body for document :id and applies change to
// the resolved subject.
func (s *Server) grantChange(c *fiber.Ctx, change func(subject, domain, object, action string) error) error {
	var body APIGrantBody
	if err := readJSON(c, &body); err != nil {
		return err
	}
	id := c.Params("id")
	if _, err := s.documents.Get(c.UserContext(), viewer(c).Domain, id); err != nil {
		return err
	}
	subject, err := s.apiSubject(c, body.Subject)
	if err != nil {
		return err
	}
	if err := change(subject, viewer(c).Domain, documentObject(id), strings.TrimSpace(body.Action)); err != nil {
		return err
	}
	return s.apiDocumentGrants(c)
}

func (s *Server) apiDocumentGrant(c *fiber.Ctx) error {
	return s.grantChange(c, func(subject, domain, object, action string) error {
		return s.authz.Grant(c.UserContext(), subject, domain, object, action)
	})
}

func (s *Server) apiDocumentRevoke(c *fiber.Ctx) error {
	return s.grantChange(c, func(subject, domain, object, action string) error {
		return s.authz.Revoke(c.UserContext(), subject, domain, object, action)
	})
}

// groupChange reads a group body for document :id and applies change.
func (s *Server) groupChange(c *fiber.Ctx, change func(object, group, domain string) error) error {
	var body APIGroupBody
	if err := readJSON(c, &body); err != nil {
		return err
	}
	id := c.Params("id")
	if _, err := s.documents.Get(c.UserContext(), viewer(c).Domain, id); err != nil {
		return err
	}
	group := strings.TrimSpace(body.Group)
	if group == "" {
		return errs.Field("group", "Name the group, such as policies.")
	}
	if !strings.HasPrefix(group, "group:") {
		group = authz.Group(group)
	}
	if err := change(documentObject(id), group, viewer(c).Domain); err != nil {
		return err
	}
	return s.apiDocumentGrants(c)
}

func (s *Server) apiDocumentGroupAdd(c *fiber.Ctx) error {
	return s.groupChange(c, func(object, group, domain string) error {
		return s.authz.AddToGroup(c.UserContext(), object, group, domain)
	})
}

func (s *Server) apiDocumentGroupRemove(c *fiber.Ctx) error {
	return s.groupChange(c, func(object, group, domain string) error {
		return s.authz.RemoveFromGroup(c.UserContext(), object, group, domain)
	})
}

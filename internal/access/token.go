package access

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
)

// TokenPrefix starts every API token, so secret scanners and people can
// tell one from other strings.
const TokenPrefix = "dos_"

const tokenLen = len(TokenPrefix) + 43 // 32 random bytes, unpadded base64url

// Token is an API token. Its ID is the hex SHA-256 of the secret, which is
// shown once, at creation, and never stored.
type Token struct {
	ID        string    `bson:"_id" json:"id"`
	User      string    `bson:"user" json:"user"`
	Label     string    `bson:"label" json:"label"`
	Hint      string    `bson:"hint" json:"hint"` // the secret's first characters, to tell tokens apart
	Created   time.Time `bson:"created" json:"created"`
	LastUsed  time.Time `bson:"last_used,omitempty" json:"last_used,omitzero"` // written at most once a minute
	RevokedAt time.Time `bson:"revoked_at,omitempty" json:"revoked_at,omitzero"`
}

// Revoked reports whether the token has been revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

type tokenEntry struct {
	token Token
	user  User
}

func badToken() error {
	return errs.E(errs.Unauthorized, "This API token is not valid: it is unknown, revoked, or its user is disabled.")
}

// CreateToken makes an API token for a user and returns its secret, which
// cannot be shown again. An empty label becomes "API token".
func (s *Service) CreateToken(ctx context.Context, userID, label string) (string, Token, error) {
	label = strings.Join(strings.Fields(label), " ")
	switch {
	case label == "":
		label = "API token"
	case !utf8.ValidString(label) || strings.IndexFunc(label, unicode.IsControl) >= 0:
		return "", Token{}, errs.Field("label", "A label cannot contain control characters.")
	case utf8.RuneCountInString(label) > maxLabel:
		return "", Token{}, errs.Field("label", "A label can be at most %d characters.", maxLabel)
	}
	u, err := s.User(ctx, userID)
	if err != nil {
		return "", Token{}, err
	}
	if u.Status != Active {
		return "", Token{}, errs.E(errs.Forbidden, "A disabled account cannot have new API tokens.")
	}
	secret := TokenPrefix + newSecret(32)
	t := Token{ID: hashToken(secret), User: u.ID, Label: label, Hint: secret[:len(TokenPrefix)+4], Created: s.now()}
	if err := s.tokens.Insert(ctx, t); err != nil {
		return "", Token{}, err
	}
	return secret, t, s.record(ctx, "token.create", "token", t.ID, map[string]string{"user": u.ID, "label": label}, nil)
}

// Tokens lists a user's API tokens, revoked ones included, newest first.
func (s *Service) Tokens(ctx context.Context, userID string) ([]Token, error) {
	var ts []Token
	if err := s.tokens.Find(ctx, bson.M{"user": userID}, &ts); err != nil {
		return nil, err
	}
	slices.SortFunc(ts, func(a, b Token) int { return b.Created.Compare(a.Created) })
	return ts, nil
}

// RevokeToken revokes one of userID's tokens; from then on it is refused
// (at once on this instance, within Options.CacheFor on others). A token of
// another user is NotFound, as an unknown one: an administrator revokes
// someone's token by passing that user's ID.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID string) error {
	var t Token
	err := s.tokens.Get(ctx, bson.M{"_id": tokenID}, &t)
	if errs.Is(err, errs.NotFound) || err == nil && t.User != userID {
		return errs.E(errs.NotFound, "No such API token.")
	}
	if err != nil {
		return err
	}
	if t.Revoked() {
		return nil
	}
	if _, err := s.tokens.Update(ctx, bson.M{"_id": t.ID, "user": userID}, bson.M{"$set": bson.M{"revoked_at": s.now()}}); err != nil {
		return err
	}
	s.tokenCache.evict(t.ID)
	return s.record(ctx, "token.revoke", "token", t.ID, map[string]string{"user": userID, "label": t.Label}, nil)
}

// AuthenticateToken returns the token and user an API secret stands for.
// Unknown and revoked tokens and tokens of users no longer active are
// Unauthorized. Answers are cached like sessions.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (Token, User, error) {
	if len(secret) != tokenLen || !strings.HasPrefix(secret, TokenPrefix) {
		return Token{}, User{}, badToken()
	}
	id := hashToken(secret)
	now := s.now()
	if e, ok := s.tokenCache.get(id, now); ok {
		return s.touchToken(ctx, e, now)
	}
	gen := s.tokenCache.generation()
	var t Token
	if err := s.tokens.Get(ctx, bson.M{"_id": id}, &t); err != nil {
		if errs.Is(err, errs.NotFound) {
			return Token{}, User{}, badToken()
		}
		return Token{}, User{}, err
	}
	if t.Revoked() {
		return Token{}, User{}, badToken()
	}
	u, err := s.User(ctx, t.User)
	if errs.Is(err, errs.NotFound) || err == nil && u.Status != Active {
		return Token{}, User{}, badToken()
	}
	if err != nil {
		return Token{}, User{}, err
	}
	e := tokenEntry{t, u}
	s.tokenCache.put(gen, id, u.ID, e, now)
	return s.touchToken(ctx, e, now)
}

// touchToken writes last-used when it is a minute old, only while the
// token is unrevoked, so a revocation made on another instance is noticed
// here within a minute even while cached.
func (s *Service) touchToken(ctx context.Context, e tokenEntry, now time.Time) (Token, User, error) {
	if now.Sub(e.token.LastUsed) >= touchEvery {
		ok, err := s.tokens.Update(ctx, bson.M{"_id": e.token.ID, "revoked_at": bson.M{"$exists": false}}, bson.M{"$set": bson.M{"last_used": now}})
		if err != nil {
			return Token{}, User{}, err
		}
		if !ok {
			s.tokenCache.evict(e.token.ID)
			return Token{}, User{}, badToken()
		}
		e.token.LastUsed = now
		s.tokenCache.replace(e.token.ID, e)
	}
	return e.token, cloneUser(e.user), nil
}

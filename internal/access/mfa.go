package access

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"image/png"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"

	"dossier/internal/text"
)

// TOTP as authenticator apps expect it (RFC 6238 defaults); matchTOTP
// accepts one step either side for clock drift.
const (
	totpPeriod    = 30
	totpDigits    = 6
	recoveryCodes = 10
	// recoveryAlphabet leaves out 0, 1, i, l and o, which people misread.
	recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"
	qrSize           = 256
)

// Enrolment is what a user needs to add Dossier to an authenticator app.
// Show it only to that user, only while enrolling.
type Enrolment struct {
	Secret string // base32, for typing in by hand
	URL    string // otpauth:// URI, what the QR code holds
	QRCode []byte // PNG
}

// BeginMFA offers a user a TOTP secret. It becomes their second factor
// only when ConfirmMFA sees a code made from it. While one is on offer,
// BeginMFA offers the same one again, so a mistyped code does not leave the
// authenticator app holding a secret Dossier has already replaced.
func (s *Service) BeginMFA(ctx context.Context, userID string) (Enrolment, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return Enrolment{}, err
	}
	if u.MFAEnrolled() {
		return Enrolment{}, errs.E(errs.Conflict, "Two-step sign-in is already on. An administrator can reset it if you need to move it to a new device.")
	}
	opts := totp.GenerateOpts{
		Issuer: s.o.Issuer, AccountName: u.Email, Period: totpPeriod, SecretSize: 20,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader,
	}
	if u.MFA.Pending != "" {
		if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.MFA.Pending); err == nil {
			opts.Secret = raw
		}
	}
	key, err := totp.Generate(opts)
	if err != nil {
		return Enrolment{}, errs.Wrap(errs.Internal, err, "make TOTP secret")
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return Enrolment{}, errs.Wrap(errs.Internal, err, "draw TOTP QR code")
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		return Enrolment{}, errs.Wrap(errs.Internal, err, "encode TOTP QR code")
	}
	if key.Secret() != u.MFA.Pending {
		if err := s.users.UpdateVersion(ctx, u.ID, u.Version, bson.M{"$set": bson.M{"mfa.pending": key.Secret(), "updated_at": s.now()}}); err != nil {
			return Enrolment{}, err
		}
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL(), QRCode: qr.Bytes()}, nil
}

// ConfirmMFA turns on the second factor offered by BeginMFA once the user
// types a code from their app, and returns their recovery codes: show them
// once, they are stored only hashed.
func (s *Service) ConfirmMFA(ctx context.Context, userID, code string) ([]string, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.MFAEnrolled() {
		return nil, errs.E(errs.Conflict, "Two-step sign-in is already on.")
	}
	if u.MFA.Pending == "" {
		return nil, errs.Field("code", "Start setting up two-step sign-in first.")
	}
	step, ok := matchTOTP(u.MFA.Pending, strings.Join(strings.Fields(code), ""), s.now())
	if !ok {
		return nil, errs.Field("code", "That code is not right. Check that your phone's clock is correct and enter the code it shows now.")
	}
	codes, hashes := newRecoveryCodes(u.ID)
	now := s.now()
	mfa := MFA{Enrolled: true, Secret: u.MFA.Pending, RecoveryHashes: hashes, LastStep: step, EnrolledAt: now}
	if err := s.users.UpdateVersion(ctx, u.ID, u.Version, bson.M{"$set": bson.M{"mfa": mfa, "updated_at": now}}); err != nil {
		return nil, err
	}
	s.evictUser(u.ID)
	return codes, s.record(ctx, "auth.mfa_enrolled", "user", u.ID, nil, nil)
}

// ResetMFA turns a user's second factor off, for someone who lost their
// phone; they can enrol again. An administrator's action, audited.
func (s *Service) ResetMFA(ctx context.Context, userID string) error {
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	if !u.MFAEnrolled() && u.MFA.Pending == "" {
		return nil
	}
	if err := s.users.UpdateVersion(ctx, u.ID, u.Version, bson.M{"$set": bson.M{"mfa": MFA{}, "updated_at": s.now()}}); err != nil {
		return err
	}
	s.evictUser(u.ID)
	return s.record(ctx, "auth.mfa_reset", "user", u.ID, map[string]string{"email": u.Email}, nil)
}

// matchTOTP finds the step whose code is code, within the allowed skew.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if len(code) != totpDigits {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for _, st := range []int64{step, step - 1, step + 1} {
		want, err := hotp.GenerateCodeCustom(secret, uint64(st), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st, true
		}
	}
	return 0, false
}

// useTOTP accepts a code for a step later than the last one accepted, and
// records that step in the same conditional update, so a code seen over a
// shoulder or replayed cannot be used again, even concurrently.
func (s *Service) useTOTP(ctx context.Context, u User, code string, now time.Time) (bool, error) {
	step, ok := matchTOTP(u.MFA.Secret, code, now)
	if !ok || step <= u.MFA.LastStep {
		return false, nil
	}
	return s.users.Update(ctx,
		bson.M{"_id": u.ID, "mfa.enrolled": true, "mfa.last_step": bson.M{"$lt": step}},
		bson.M{"$set": bson.M{"mfa.last_step": step}})
}

// useRecoveryCode removes a matching unused code; only the caller whose
// update matched gets to use it.
func (s *Service) useRecoveryCode(ctx context.Context, u User, code string) (bool, error) {
	c := normalizeRecovery(code)
	if c == "" {
		return false, nil
	}
	h := recoveryHash(u.ID, c)
	if !slices.Contains(u.MFA.RecoveryHashes, h) {
		return false, nil
	}
	return s.users.Update(ctx,
		bson.M{"_id": u.ID, "mfa.enrolled": true, "mfa.recovery": h},
		bson.M{"$pull": bson.M{"mfa.recovery": h}})
}

// newRecoveryCodes returns codes like "7hk2-m9qx-4tbz" (about 59 bits each)
// and their hashes.
func newRecoveryCodes(userID string) (codes, hashes []string) {
	for range recoveryCodes {
		var b strings.Builder
		for i := 0; i < 12; {
			var r [1]byte
			_, _ = rand.Read(r[:])
			if int(r[0]&31) >= len(recoveryAlphabet) {
				continue // rejection keeps every character equally likely
			}
			if i == 4 || i == 8 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[r[0]&31])
			i++
		}
		codes = append(codes, b.String())
		hashes = append(hashes, recoveryHash(userID, normalizeRecovery(b.String())))
	}
	return codes, hashes
}

// normalizeRecovery forgives case, spaces and dashes; "" if it cannot be a
// recovery code.
func normalizeRecovery(code string) string {
	c := strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, code)
	if len(c) != 12 || strings.Trim(c, recoveryAlphabet) != "" {
		return ""
	}
	return c
}

// recoveryHash binds a code to its user. A plain SHA-256 is enough for a
// random 59-bit code that is checked online behind the lockout; anyone
// holding the database holds the TOTP secret anyway.
func recoveryHash(userID, code string) string {
	h := sha256.Sum256([]byte("dossier-recovery\x00" + userID + "\x00" + code))
	return hex.EncodeToString(h[:])
}

const mfaSettingID = "mfa"

type mfaSetting struct {
	ID        string    `bson:"_id"`
	Roles     []string  `bson:"roles"`
	UpdatedAt time.Time `bson:"updated_at"`
}

// SetMFARequiredRoles sets which roles require a second factor. Whether a
// user holds one is for the caller (roles live in authz) to check against
// MFARequiredRoles.
func (s *Service) SetMFARequiredRoles(ctx context.Context, roles []string) error {
	clean := make([]string, 0, len(roles))
	for _, r := range roles {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if len(r) > 64 || strings.IndexFunc(r, unicode.IsControl) >= 0 {
			return errs.Field("roles", "%q is not a role name.", text.Clip(r, 64))
		}
		clean = append(clean, r)
	}
	slices.Sort(clean)
	clean = slices.Compact(clean)
	err := s.settings.Upsert(ctx, bson.M{"_id": mfaSettingID}, bson.M{"$set": bson.M{"roles": clean, "updated_at": s.now()}})
	if err != nil {
		return err
	}
	s.mfaRoles.evict(mfaSettingID)
	return s.record(ctx, "auth.mfa_required_roles", "setting", mfaSettingID, map[string]string{"roles": text.Clip(strings.Join(clean, ","), 1000)}, nil)
}

// MFARequiredRoles returns the roles that require a second factor, sorted.
// It is read on every page view, so it is cached like sessions: a change
// made on another instance shows within Options.CacheFor.
func (s *Service) MFARequiredRoles(ctx context.Context) ([]string, error) {
	now := s.now()
	if roles, ok := s.mfaRoles.get(mfaSettingID, now); ok {
		return slices.Clone(roles), nil
	}
	gen := s.mfaRoles.generation()
	var m mfaSetting
	err := s.settings.Get(ctx, bson.M{"_id": mfaSettingID}, &m)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	roles := m.Roles
	if roles == nil {
		roles = []string{}
	}
	s.mfaRoles.put(gen, mfaSettingID, "", roles, now)
	return slices.Clone(roles), nil
}

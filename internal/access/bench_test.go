package access_test

import (
	"context"
	"testing"
	"time"

	"dossier/internal/access"
	"dossier/internal/testkit"
)

// BenchmarkAuthenticateCached is the hot path of every signed-in request:
// a session token checked against a warm cache, on the real clock (so the
// cache expires every 5 s and last-seen is written once a minute, as in
// production).
func BenchmarkAuthenticateCached(b *testing.B) {
	svc, token := benchSession(b, 0)
	ctx := context.Background()
	if _, _, err := svc.Authenticate(ctx, token); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := svc.Authenticate(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateUncached is the same check with the cache off: two
// _id reads. It shows what the cache saves.
func BenchmarkAuthenticateUncached(b *testing.B) {
	svc, token := benchSession(b, -1)
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := svc.Authenticate(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSession signs a user in on a service with this cache setting
// (0: the default; negative: off).
func benchSession(b *testing.B, cacheFor time.Duration) (*access.Service, string) {
	db := testkit.MustOpenDB(b)
	ctx := context.Background()
	if err := access.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	svc := access.New(db, access.Options{CacheFor: cacheFor})
	u, err := svc.CreateUser(ctx, "bench@hospital.org", "Bench Mark")
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.SetPassword(ctx, u.ID, password); err != nil {
		b.Fatal(err)
	}
	res, err := svc.SignIn(ctx, u.Email, password, office)
	if err != nil {
		b.Fatal(err)
	}
	return svc, res.Token
}

// BenchmarkHashPassword is the cost of one argon2id hash with today's
// parameters: what each sign-in attempt spends, by design.
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		access.HashPassword(password)
	}
}

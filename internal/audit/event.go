// Package audit keeps Dossier's tamper-evident audit trail: an append-only,
// hash-chained log of every change, sign-in and file download, verified on
// demand and sealed daily to write-once storage.
package audit

import (
	"context"
	"time"
)

// Actor is who caused an event: a signed-in user, a command-line operator,
// a vendor's external link, or the system itself.
type Actor struct {
	ID   string // user id, or "system", "cli", "anonymous", "link:<id>"
	Name string // e-mail or display name, kept so the trail reads without joins
	IP   string // client address, when there is one
}

// System is the actor for scheduled and start-up work.
var System = Actor{ID: "system", Name: "Dossier"}

type actorKey struct{}

// WithActor returns a context that carries who is acting; Append records it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor carried by ctx, or System.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

// Entry is what a caller records. Details is small and never holds secrets
// (no passwords, tokens or file contents).
type Entry struct {
	Action     string            // dotted verb: "user.create", "auth.signin_failed", "file.download"
	ObjectType string            // "user", "session", "token", "grant", "file", …
	ObjectID   string            //
	Domain     string            // the hospital the change belongs to; "" for deployment-wide
	Details    map[string]string //
	Actor      *Actor            // nil: taken from the context
}

// Event is one link of the chain as stored in the audit_events collection.
type Event struct {
	Seq        int64             `bson:"_id" json:"seq"`
	Time       time.Time         `bson:"time" json:"time"`
	ActorID    string            `bson:"actor" json:"actor"`
	ActorName  string            `bson:"actor_name" json:"actor_name"`
	ActorIP    string            `bson:"actor_ip,omitempty" json:"actor_ip,omitempty"`
	Action     string            `bson:"action" json:"action"`
	ObjectType string            `bson:"object_type" json:"object_type"`
	ObjectID   string            `bson:"object_id" json:"object_id"`
	Domain     string            `bson:"domain" json:"domain"`
	Details    map[string]string `bson:"details,omitempty" json:"details,omitempty"`
	Prev       string            `bson:"prev" json:"prev"` // hex SHA-256 of the previous event; 64 zeros for the first
	Hash       string            `bson:"hash" json:"hash"` // hex SHA-256 over every field above
}

package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// genesis is the Prev of the first event.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// canonical is exactly what an event's hash covers. The encoding is the
// compact JSON of this object, keys in this order:
//
//	{"seq":17,"time":"2026-11-28T09:14:03.127Z","actor":"u_1","actor_name":"a@h.org",
//	 "actor_ip":"10.0.0.7","action":"user.create","object_type":"user","object_id":"u_2",
//	 "domain":"stmary","details":{"role":"auditor"},"prev":"<64 hex>"}
//
// time is RFC 3339 in UTC with up to millisecond precision and no trailing
// zeros (Go's time.RFC3339Nano); details keys are sorted and no details is
// {}; strings are escaped as Go's encoding/json does with HTML escaping off
// (so <, > and & stay as they are). The hash is the lower-case hex SHA-256
// of those bytes, without a trailing newline. An auditor can recompute any
// exported event's hash from this description alone.
type canonical struct {
	Seq        int64             `json:"seq"`
	Time       string            `json:"time"`
	ActorID    string            `json:"actor"`
	ActorName  string            `json:"actor_name"`
	ActorIP    string            `json:"actor_ip"`
	Action     string            `json:"action"`
	ObjectType string            `json:"object_type"`
	ObjectID   string            `json:"object_id"`
	Domain     string            `json:"domain"`
	Details    map[string]string `json:"details"`
	Prev       string            `json:"prev"`
}

// ComputeHash returns the hash e's contents give, to compare with e.Hash.
// Everything but Hash itself is covered, Seq and Prev included, so an event
// cannot be edited, moved to another place in the chain, or relinked without
// its hash (or its successor's Prev) telling.
func (e Event) ComputeHash() string {
	d := e.Details
	if d == nil {
		d = map[string]string{} // an empty map is not stored, so nil and {} must hash alike
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// A struct of strings and a map[string]string cannot fail to encode.
	_ = enc.Encode(canonical{
		Seq: e.Seq, Time: e.Time.UTC().Format(time.RFC3339Nano),
		ActorID: e.ActorID, ActorName: e.ActorName, ActorIP: e.ActorIP,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Domain: e.Domain,
		Details: d, Prev: e.Prev,
	})
	sum := sha256.Sum256(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return hex.EncodeToString(sum[:])
}

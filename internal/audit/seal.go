package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/blob"
	"dossier/internal/errs"
)

// SealPrefix is where seals are kept in the bucket.
const SealPrefix = "audit/seals/"

// SealAge is how old the newest seal may grow, while events keep coming,
// before SealIfDue writes another.
const SealAge = 24 * time.Hour

// sealFormat names the layout of a seal object, for whoever opens one.
const sealFormat = "dossier.audit.seal/1"

// maxSealChecks bounds how many recent seals SealIfDue reads looking for
// one the log agrees with; finding none, it seals.
const maxSealChecks = 16

// maxSealSize bounds what is read as a seal; a real one is about 250 bytes.
const maxSealSize = 4 << 10

// Seal vouches, from write-once storage, that the log's event Seq had Hash
// at Time. Each is a small JSON object at
//
//	audit/seals/<Seq, 20 digits>-<SHA-256 of the object, hex>.json
//
// under compliance retention until RetainUntil. The name carries the
// object's own checksum, so a seal can be checked without trusting the
// database it guards; sorting names sorts seals by Seq.
type Seal struct {
	Seq         int64     `json:"seq"`
	Hash        string    `json:"hash"`
	Time        time.Time `json:"time"`
	Events      int64     `json:"events"` // documents in the log when sealed; Seq unless some were deleted
	RetainUntil time.Time `json:"retain_until"`
	Key         string    `json:"key"`
	VersionID   string    `json:"version_id"`
	stored      time.Time // when the storage server wrote it, which no one can set
}

// sealDoc is a seal object's contents.
type sealDoc struct {
	Format      string    `json:"format"`
	Seq         int64     `json:"seq"`
	Hash        string    `json:"hash"`
	Time        time.Time `json:"time"`
	Events      int64     `json:"events"`
	RetainUntil time.Time `json:"retain_until"`
}

// Seal writes the head of the chain to write-once storage and returns the
// seal. When a seal already names the head as it is, Seal returns that one
// and writes nothing. An empty log has nothing to seal: that is an Invalid
// error.
//
// Seal does not check the chain first: a seal never hides anything (the
// older ones stay and keep contradicting a rewritten log), and refusing to
// seal would let whoever can plant one bad seal stop all sealing. Verify is
// the check.
func (l *Log) Seal(ctx context.Context) (Seal, error) {
	head, err := l.storedHead(ctx)
	if err != nil {
		return Seal{}, err
	}
	if head.seq == 0 {
		return Seal{}, errs.E(errs.Invalid, "The audit log is empty: there is nothing to seal yet.")
	}
	objs, err := l.sealObjects(ctx)
	if err != nil {
		return Seal{}, err
	}
	for _, o := range objs {
		seq, _, ok := parseSealKey(o.Key)
		if !ok || seq > head.seq {
			continue
		}
		if seq < head.seq {
			break
		}
		s, problem, err := l.readSeal(ctx, o)
		if err != nil {
			return Seal{}, err
		}
		if problem == "" && s.Hash == head.hash {
			return s, nil
		}
	}
	n, err := l.events.Count(ctx, bson.M{})
	if err != nil {
		return Seal{}, err
	}
	now := l.now().UTC().Truncate(time.Millisecond)
	s := Seal{Seq: head.seq, Hash: head.hash, Time: now, Events: n, RetainUntil: l.retainUntil(now)}
	body, err := json.Marshal(sealDoc{Format: sealFormat, Seq: s.Seq, Hash: s.Hash, Time: s.Time, Events: s.Events, RetainUntil: s.RetainUntil})
	if err != nil {
		return Seal{}, err
	}
	sum := sha256.Sum256(body)
	s.Key = sealKey(s.Seq, hex.EncodeToString(sum[:]))
	obj, err := l.files.Put(ctx, s.Key, bytes.NewReader(body), int64(len(body)), blob.PutOptions{
		ContentType: "application/json",
		Retention:   &blob.Retention{Mode: blob.Compliance, Until: s.RetainUntil},
	})
	if err != nil {
		return Seal{}, err
	}
	s.VersionID, s.stored = obj.VersionID, now
	return s, nil
}

func (l *Log) retainUntil(now time.Time) time.Time {
	if l.SealRetention > 0 {
		return now.Add(l.SealRetention)
	}
	return now.AddDate(6, 0, 0)
}

// SealIfDue seals when events came in since the newest seal the log agrees
// with and that seal is at least SealAge old, or when there is no such seal.
// It reports whether it wrote one.
func (l *Log) SealIfDue(ctx context.Context) (bool, error) {
	_, sealed, err := l.sealIfDue(ctx)
	return sealed, err
}

func (l *Log) sealIfDue(ctx context.Context) (Seal, bool, error) {
	head, err := l.storedHead(ctx)
	if err != nil || head.seq == 0 {
		return Seal{}, false, err
	}
	objs, err := l.sealObjects(ctx)
	if err != nil {
		return Seal{}, false, err
	}
	// Judge by the newest seal the log agrees with, and by when the server
	// stored it: a planted seal (wrong hash, a time in the future) must not
	// put off the next real one.
	checked := 0
	for _, o := range objs {
		seq, _, ok := parseSealKey(o.Key)
		if !ok || seq > head.seq {
			continue
		}
		if checked++; checked > maxSealChecks {
			break
		}
		s, problem, err := l.readSeal(ctx, o)
		if err != nil {
			return Seal{}, false, err
		}
		if problem != "" {
			continue
		}
		agrees := s.Hash == head.hash
		if seq < head.seq {
			var e struct {
				Hash string `bson:"hash"`
			}
			err := l.events.Get(ctx, bson.M{"_id": seq}, &e)
			if err != nil && !errs.Is(err, errs.NotFound) {
				return Seal{}, false, err
			}
			agrees = err == nil && e.Hash == s.Hash
		}
		if !agrees {
			continue
		}
		made := s.Time
		if !s.stored.IsZero() && s.stored.Before(made) {
			made = s.stored
		}
		if seq == head.seq || l.now().Sub(made) < SealAge {
			return Seal{}, false, nil
		}
		break
	}
	s, err := l.Seal(ctx)
	return s, err == nil, err
}

// SealDaily checks at once and then every `every` (an hour is plenty)
// whether a seal is due, until ctx ends. Several instances may run it; at
// worst two seal the same head. Failures go to log and are tried again at
// the next check.
func (l *Log) SealDaily(ctx context.Context, every time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s, sealed, err := l.sealIfDue(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("audit: sealing the trail failed", "err", err)
		case sealed:
			log.Info("audit: trail sealed", "seq", s.Seq, "key", s.Key)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Seals returns every seal, oldest first. A damaged seal object is an
// error; Verify reports such seals one by one.
func (l *Log) Seals(ctx context.Context) ([]Seal, error) {
	seals, problems, err := l.readSeals(ctx)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, broken("%s.", problems[0].problem)
	}
	return seals, nil
}

// sealProblem is a seal object that cannot be trusted as it is.
type sealProblem struct {
	key, problem string
}

// readSeals reads every seal object, oldest first, setting aside those
// that are damaged, hidden or not seals at all.
func (l *Log) readSeals(ctx context.Context) ([]Seal, []sealProblem, error) {
	objs, err := l.files.List(ctx, SealPrefix)
	if err != nil {
		return nil, nil, err
	}
	var seals []Seal
	var problems []sealProblem
	for _, o := range objs {
		s, problem, err := l.readSeal(ctx, o)
		if err != nil {
			return nil, nil, err
		}
		if problem != "" {
			problems = append(problems, sealProblem{o.Key, problem})
			continue
		}
		seals = append(seals, s)
	}
	sortSeals(seals)
	return seals, problems, nil
}

// sealObjects lists the objects under SealPrefix, newest seal first.
func (l *Log) sealObjects(ctx context.Context) ([]blob.ObjectInfo, error) {
	objs, err := l.files.List(ctx, SealPrefix)
	slices.Reverse(objs)
	return objs, err
}

// readSeal reads one seal object. problem says what is wrong with it, in
// words for the report; err is for storage that could not be read.
func (l *Log) readSeal(ctx context.Context, o blob.ObjectInfo) (s Seal, problem string, err error) {
	seq, sum, ok := parseSealKey(o.Key)
	switch {
	case !ok:
		return Seal{}, fmt.Sprintf("%s is not a seal Dossier wrote (unexpected name)", o.Key), nil
	case o.Deleted:
		return Seal{}, fmt.Sprintf("seal %s was deleted (a delete marker hides it; its locked versions remain)", o.Key), nil
	case o.Size > maxSealSize:
		return Seal{}, fmt.Sprintf("seal %s is %d bytes, too large to be a seal", o.Key, o.Size), nil
	}
	r, err := l.files.Get(ctx, o.Key, o.VersionID, sum)
	if errs.Is(err, errs.NotFound) {
		return Seal{}, fmt.Sprintf("seal %s disappeared while it was read", o.Key), nil
	}
	if err != nil {
		return Seal{}, "", err
	}
	defer r.Close()
	body, err := io.ReadAll(io.LimitReader(r, maxSealSize+1))
	if errors.Is(err, blob.ErrIntegrity) {
		return Seal{}, fmt.Sprintf("seal %s was altered: its contents do not match the checksum in its name", o.Key), nil
	}
	if err != nil {
		return Seal{}, "", err
	}
	var d sealDoc
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil || dec.More() {
		return Seal{}, fmt.Sprintf("seal %s is not in the seal format", o.Key), nil
	}
	if d.Format != sealFormat || d.Seq != seq || d.Seq < 1 || !isHash(d.Hash) || d.Time.IsZero() {
		return Seal{}, fmt.Sprintf("seal %s is not in the seal format (%s, event %d, hash %q)", o.Key, d.Format, d.Seq, short(d.Hash)), nil
	}
	return Seal{Seq: d.Seq, Hash: d.Hash, Time: d.Time, Events: d.Events, RetainUntil: d.RetainUntil,
		Key: o.Key, VersionID: o.VersionID, stored: o.LastModified}, "", nil
}

func sealKey(seq int64, sum string) string {
	return fmt.Sprintf("%s%020d-%s.json", SealPrefix, seq, sum)
}

// parseSealKey reads a seal's sequence number and checksum from its key.
func parseSealKey(key string) (seq int64, sum string, ok bool) {
	name, found := strings.CutPrefix(key, SealPrefix)
	name, ext := strings.CutSuffix(name, ".json")
	digits, sum, dash := strings.Cut(name, "-")
	if !found || !ext || !dash || len(digits) != 20 || !isHash(sum) {
		return 0, "", false
	}
	seq, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || seq < 1 {
		return 0, "", false
	}
	return seq, sum, true
}

func isHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func sortSeals(seals []Seal) {
	sort.SliceStable(seals, func(i, j int) bool {
		if seals[i].Seq != seals[j].Seq {
			return seals[i].Seq < seals[j].Seq
		}
		return seals[i].Time.Before(seals[j].Time)
	})
}

// broken is the error for a trail that fails a check outside Verify.
func broken(format string, args ...any) error {
	return errs.E(errs.Conflict, "%s Run `dossier audit verify` for a full report.", fmt.Sprintf(format, args...))
}

// Package blob stores Dossier's files in S3 (MinIO in production, the
// embedded server by default) through minio-go. Every write computes the
// file's SHA-256 while it streams; every read checks it. Files are kept as
// versions under object lock: retention and legal hold make them
// undeletable until their time.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"dossier/internal/errs"
)

// PartSize is the multipart chunk: memory for one upload stays near it
// whatever the file's size.
const PartSize = 16 << 20

// MaxPresign is the longest a presigned link may live.
const MaxPresign = time.Hour

// ErrIntegrity marks a stored file whose bytes no longer match the SHA-256
// recorded when it was stored.
var ErrIntegrity = errors.New("stored file failed its SHA-256 integrity check")

// Options says which S3 endpoint and bucket to use.
type Options struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	Region    string
	TLS       bool
	Bucket    string
	// OnError, when set, is called with the operation's name each time
	// storage fails for a reason other than the caller's input.
	OnError func(op string)
}

// Store is one bucket.
type Store struct {
	client *minio.Client
	bucket string
	o      Options
}

// Mode is an object-lock retention mode.
type Mode string

const (
	// Governance retention can be lifted by a privileged storage admin.
	Governance Mode = "GOVERNANCE"
	// Compliance retention cannot be shortened or lifted by anyone.
	Compliance Mode = "COMPLIANCE"
)

// Retention keeps a version undeletable until Until.
type Retention struct {
	Mode  Mode
	Until time.Time
}

// PutOptions describe a new file.
type PutOptions struct {
	ContentType string
	Retention   *Retention
	LegalHold   bool
}

// Object describes a stored version.
type Object struct {
	Key         string
	VersionID   string
	Size        int64
	SHA256      string // lower-case hex
	ContentType string
}

// Version is one entry of a key's history.
type Version struct {
	VersionID    string
	Size         int64
	LastModified time.Time
	IsLatest     bool
	DeleteMarker bool
}

// ObjectInfo describes a key and its latest version.
type ObjectInfo struct {
	Key          string
	VersionID    string    // the latest version
	Size         int64     // of the latest version
	LastModified time.Time // of the latest version
	Versions     int       // versions kept under the key, delete markers included
	Deleted      bool      // the latest version is a delete marker: the key looks gone, its versions remain
}

func newStore(o Options) (*Store, error) {
	client, err := minio.New(o.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure: o.TLS,
		Region: o.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 endpoint %s: %w", o.Endpoint, err)
	}
	return &Store{client: client, bucket: o.Bucket, o: o}, nil
}

// Open connects and makes sure the bucket exists with versioning and object
// lock. An existing bucket without object lock cannot be fixed in place, so
// Open refuses it.
func Open(ctx context.Context, o Options) (*Store, error) {
	s, err := newStore(o)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.ensureBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) ensureBucket(ctx context.Context) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("S3 at %s does not answer: %w", s.o.Endpoint, err)
	}
	if !exists {
		err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s.o.Region, ObjectLocking: true})
		if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return fmt.Errorf("S3 at %s: create bucket %q: %w", s.o.Endpoint, s.bucket, err)
		}
	}
	lock, _, _, _, err := s.client.GetObjectLockConfig(ctx, s.bucket)
	if err != nil || lock != "Enabled" {
		return fmt.Errorf("S3 bucket %q exists without object lock, which can only be switched on when a bucket is created: "+
			"set DOSSIER_S3_BUCKET to a new name and Dossier creates it with object lock (or create one with `mc mb --with-lock`), then copy the files across", s.bucket)
	}
	if err := s.client.EnableVersioning(ctx, s.bucket); err != nil {
		return fmt.Errorf("S3 bucket %q: enable versioning: %w", s.bucket, err)
	}
	return nil
}

// Bucket names the bucket.
func (s *Store) Bucket() string { return s.bucket }

// Ping checks that the bucket answers within the context's deadline.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.mapErr("ping", err)
	}
	if !ok {
		return errs.E(errs.Unavailable, "The storage bucket %q is missing.", s.bucket)
	}
	return nil
}

// Put stores r under key as a new version and returns its SHA-256,
// computed while it streams. size is the exact length, or -1 when unknown;
// either way memory stays near PartSize.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, o PutOptions) (Object, error) {
	if err := checkKey(key); err != nil {
		return Object{}, err
	}
	h := newHasher()
	defer h.stop()
	counted := &countingReader{r: io.TeeReader(r, h)}
	po := minio.PutObjectOptions{ContentType: o.ContentType, PartSize: PartSize}
	if po.ContentType == "" {
		po.ContentType = "application/octet-stream"
	}
	if o.Retention != nil {
		po.Mode = minio.RetentionMode(o.Retention.Mode)
		po.RetainUntilDate = o.Retention.Until.UTC()
	}
	if o.LegalHold {
		po.LegalHold = minio.LegalHoldEnabled
	}
	info, err := s.client.PutObject(ctx, s.bucket, key, counted, size, po)
	if err != nil {
		return Object{}, s.mapErr("put", err)
	}
	if size >= 0 && counted.n != size {
		return Object{}, errs.E(errs.Invalid, "The upload ended after %d of %d bytes.", counted.n, size)
	}
	return Object{Key: key, VersionID: info.VersionID, Size: counted.n, SHA256: h.Sum(), ContentType: po.ContentType}, nil
}

// Reader streams a stored version and checks its SHA-256 at the end: the
// read that reaches the end returns ErrIntegrity instead of io.EOF when the
// bytes differ from what was stored.
type Reader struct {
	Object
	obj  *minio.Object
	h    *hasher
	want string
	err  error
}

// Get opens a version (the latest when versionID is empty) whose recorded
// SHA-256 is sha256hex.
func (s *Store) Get(ctx context.Context, key, versionID, sha256hex string) (*Reader, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if len(sha256hex) != 64 {
		return nil, fmt.Errorf("blob: Get %s needs the recorded SHA-256", key)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{VersionID: versionID})
	if err != nil {
		return nil, s.mapErr("get", err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, s.mapErr("get", err)
	}
	return &Reader{
		Object: Object{Key: key, VersionID: st.VersionID, Size: st.Size, SHA256: strings.ToLower(sha256hex), ContentType: st.ContentType},
		obj:    obj, h: newHasher(), want: strings.ToLower(sha256hex),
	}, nil
}

func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.obj.Read(p)
	r.h.Write(p[:n])
	if errors.Is(err, io.EOF) {
		if got := r.h.Sum(); got != r.want {
			r.err = fmt.Errorf("%w: %s version %s has SHA-256 %s, recorded %s", ErrIntegrity, r.Key, r.VersionID, got, r.want)
			return n, r.err
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = err
	}
	return n, err
}

// Close releases the connection.
func (r *Reader) Close() error {
	r.h.stop()
	return r.obj.Close()
}

// Verify reads a whole version and checks it against its recorded SHA-256.
func (s *Store) Verify(ctx context.Context, key, versionID, sha256hex string) error {
	r, err := s.Get(ctx, key, versionID, sha256hex)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err
}

// Versions lists a key's versions, newest first.
func (s *Store) Versions(ctx context.Context, key string) ([]Version, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	var vs []Version
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
		if o.Err != nil {
			return nil, s.mapErr("list", o.Err)
		}
		if o.Key != key {
			continue
		}
		vs = append(vs, Version{VersionID: o.VersionID, Size: o.Size, LastModified: o.LastModified, IsLatest: o.IsLatest, DeleteMarker: o.IsDeleteMarker})
	}
	if len(vs) == 0 {
		return nil, errs.E(errs.NotFound, "No stored file at %s.", key)
	}
	return vs, nil
}

// List describes every key under prefix, in key order, with its latest
// version. A key whose latest version is a delete marker is listed with
// Deleted set: under object lock its versions are still there, and a caller
// checking what was written (the audit seals) must see it. The whole listing
// is held in memory: use it for prefixes that stay small.
func (s *Store) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if prefix != "" {
		if err := checkKey(prefix); err != nil {
			return nil, err
		}
	}
	var out []ObjectInfo
	at := map[string]int{}
	for o := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true}) {
		if o.Err != nil {
			return nil, s.mapErr("list", o.Err)
		}
		i, seen := at[o.Key]
		if !seen {
			i = len(out)
			at[o.Key] = i
			out = append(out, ObjectInfo{Key: o.Key})
		}
		info := &out[i]
		info.Versions++
		// Versions come newest first; IsLatest settles it when the server says.
		if !seen || o.IsLatest {
			info.VersionID, info.Size, info.LastModified, info.Deleted = o.VersionID, o.Size, o.LastModified, o.IsDeleteMarker
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// SetRetention keeps a version until r.Until. Retention can be extended;
// shortening compliance retention is refused by the server.
func (s *Store) SetRetention(ctx context.Context, key, versionID string, r Retention) error {
	mode := minio.RetentionMode(r.Mode)
	until := r.Until.UTC()
	err := s.client.PutObjectRetention(ctx, s.bucket, key, minio.PutObjectRetentionOptions{Mode: &mode, RetainUntilDate: &until, VersionID: versionID})
	return s.mapErr("set retention", err)
}

// SetLegalHold places or lifts a legal hold on a version.
func (s *Store) SetLegalHold(ctx context.Context, key, versionID string, on bool) error {
	st := minio.LegalHoldDisabled
	if on {
		st = minio.LegalHoldEnabled
	}
	err := s.client.PutObjectLegalHold(ctx, s.bucket, key, minio.PutObjectLegalHoldOptions{VersionID: versionID, Status: &st})
	return s.mapErr("set legal hold", err)
}

// LegalHold reports whether a version is under legal hold.
func (s *Store) LegalHold(ctx context.Context, key, versionID string) (bool, error) {
	st, err := s.client.GetObjectLegalHold(ctx, s.bucket, key, minio.GetObjectLegalHoldOptions{VersionID: versionID})
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchObjectLockConfiguration" {
			return false, nil
		}
		return false, s.mapErr("get legal hold", err)
	}
	return st != nil && *st == minio.LegalHoldEnabled, nil
}

// Delete removes one version for good. A version under retention or legal
// hold is refused with a conflict.
func (s *Store) Delete(ctx context.Context, key, versionID string) error {
	if versionID == "" {
		return fmt.Errorf("blob: Delete %s needs a version id", key)
	}
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{VersionID: versionID})
	if r := minio.ToErrorResponse(err); err != nil && (r.Code == "AccessDenied" || r.Code == "ObjectLocked" || strings.Contains(r.Message, "WORM")) {
		return errs.Wrap(errs.Conflict, err, "This file is under retention or legal hold and cannot be deleted yet.")
	}
	return s.mapErr("delete", err)
}

// PresignGet returns a link that downloads a version without credentials
// for ttl (at most MaxPresign). downloadName, when set, is the file name the
// browser saves it as.
func (s *Store) PresignGet(ctx context.Context, key, versionID string, ttl time.Duration, downloadName string) (*url.URL, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if ttl <= 0 || ttl > MaxPresign {
		return nil, errs.E(errs.Invalid, "A download link may live between 1 second and %s.", MaxPresign)
	}
	q := url.Values{}
	if versionID != "" {
		q.Set("versionId", versionID)
	}
	if downloadName != "" {
		q.Set("response-content-disposition", fmt.Sprintf("attachment; filename=%q", strings.Map(safeNameRune, downloadName)))
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, ttl, q)
	return u, s.mapErr("presign", err)
}

func safeNameRune(r rune) rune {
	if r < 0x20 || r == '"' || r == '\\' || r == 0x7f {
		return '_'
	}
	return r
}

func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "..") || strings.Contains(key, "//") || len(key) > 900 {
		return fmt.Errorf("blob: %q is not a valid key", key)
	}
	return nil
}

func (s *Store) mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "NoSuchVersion", "NoSuchObject":
		return errs.Wrap(errs.NotFound, err, "The stored file was not found.")
	case "InvalidArgument", "InvalidRequest":
		return errs.Wrap(errs.Invalid, err, "The storage server refused the request: "+minio.ToErrorResponse(err).Message)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if s.o.OnError != nil {
		s.o.OnError(op)
	}
	var netErr net.Error
	var urlErr *url.Error
	if errors.As(err, &netErr) || errors.As(err, &urlErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Wrap(errs.Unavailable, err, "File storage is unavailable; try again shortly.")
	}
	return errs.Wrap(errs.Internal, err, "file storage "+op+" failed")
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

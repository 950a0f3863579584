package contract

import (
	"context"
	"strconv"
	"strings"

	"dossier/internal/index"
)

// IndexCollection names the index collection, for tests that take the
// index away.
const IndexCollection = collIndex

// IndexOf writes contracts' digests to the index, as each save does.
func IndexOf(ctx context.Context, s *Service, cs ...Contract) error { return s.index(ctx, cs) }

// Indexed reads a domain's index back: each contract as the index has it,
// with its missing BAA term keys.
func Indexed(ctx context.Context, s *Service, domain string) (map[string]Contract, map[string][]string, error) {
	cs, missing := map[string]Contract{}, map[string][]string{}
	err := s.digests(ctx, domain, func(d digest) error {
		cs[d.ID], missing[d.ID] = d.contract(domain), d.Missing
		return nil
	})
	return cs, missing, err
}

// BucketOf names the index bucket a contract's digest lives in.
func BucketOf(domain, id string) string {
	return index.New(nil, indexFormat, indexBuckets).Bucket(domain, id)
}

// ParseLine parses one digest line.
func ParseLine(line string) error {
	id, rest, _ := strings.Cut(line, fieldSep)
	v, text, _ := strings.Cut(rest, fieldSep)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return err
	}
	_, err = parseDigest(id, n, text)
	return err
}

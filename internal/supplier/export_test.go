package supplier

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
)

// ListQuery exposes the filter, sort and paging List sends, so
// BenchmarkListRawDriver can send the identical find and count.
func ListQuery(s *Service, domain string, q Query) (filter, sort bson.D, skip, limit int64, err error) {
	filter, sort, q, err = s.listQuery(domain, q)
	return filter, sort, int64(q.Page-1) * int64(q.PerPage), int64(q.PerPage), err
}

// SeedBulk writes prospects made from fs with two bulk inserts, checked
// but not audited: the setup of benchmarks that need thousands of vendors.
func SeedBulk(ctx context.Context, s *Service, domain string, fs []Fields) error {
	var vs []Vendor
	for _, f := range fs {
		id := newID()
		f, err := s.clean(ctx, domain, id, f, f.Owner)
		if err != nil {
			return err
		}
		vs = append(vs, s.newVendor(ctx, domain, id, f))
	}
	return s.insertAll(ctx, vs)
}

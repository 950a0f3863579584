package authz

import (
	"sync"

	"github.com/casbin/casbin/v2/persist/cache"
)

// maxCached bounds the decision cache. Casbin's own cache keeps every
// distinct request until the next policy change; with thousands of users
// and documents that grows without limit. Around 100 bytes an entry, this
// caps it near 10 MB.
const maxCached = 100_000

// boundedCache is Casbin's decision cache with a size limit: when full it
// starts again empty, which costs one cold decision per request afterwards
// and keeps nothing stale. It ignores expiry: decisions stay valid until
// the policy changes, and every change clears the cache.
type boundedCache struct {
	mu  sync.RWMutex
	m   map[string]bool
	max int
}

var _ cache.Cache = (*boundedCache)(nil)

func newBoundedCache(max int) *boundedCache {
	return &boundedCache{m: make(map[string]bool), max: max}
}

func (c *boundedCache) Set(key string, value bool, _ ...interface{}) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[key] = value
	return nil
}

func (c *boundedCache) Get(key string) (bool, error) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	if !ok {
		return false, cache.ErrNoSuchKey
	}
	return v, nil
}

func (c *boundedCache) Delete(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok {
		return cache.ErrNoSuchKey
	}
	delete(c.m, key)
	return nil
}

func (c *boundedCache) Clear() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
	return nil
}

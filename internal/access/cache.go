package access

import (
	"sync"
	"time"
)

// cache keeps checked sessions and tokens in memory for a short time, so a
// signed-in request usually costs a hash and a map lookup instead of two
// database reads.
//
// Loads race with evictions: a request may read a user just before an
// admin disables them and store that answer just after the eviction. Every
// eviction therefore bumps a generation, and a load stores its answer only
// if the generation it started under is still current.
type cache[V any] struct {
	ttl time.Duration
	max int

	mu  sync.RWMutex
	gen uint64
	m   map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v     V
	user  string
	until time.Time
}

func newCache[V any](ttl time.Duration, max int) *cache[V] {
	return &cache[V]{ttl: ttl, max: max, m: map[string]cacheEntry[V]{}}
}

func (c *cache[V]) get(key string, now time.Time) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// generation is read before a load and handed to put.
func (c *cache[V]) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put stores v unless something was evicted since gen was read.
func (c *cache[V]) put(gen uint64, key, user string, v V, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= c.max {
		c.shrink(now)
	}
	c.m[key] = cacheEntry[V]{v: v, user: user, until: now.Add(c.ttl)}
}

// replace swaps the value of a live entry, keeping its expiry; it is how a
// new last-seen time reaches the cache.
func (c *cache[V]) replace(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		e.v = v
		c.m[key] = e
	}
}

// shrink drops expired entries and, if that is not enough, an eighth of the
// rest (map order is random, which is fair enough for a 5-second cache).
func (c *cache[V]) shrink(now time.Time) {
	for k, e := range c.m {
		if !now.Before(e.until) {
			delete(c.m, k)
		}
	}
	drop := len(c.m) - c.max + 1
	if drop > 0 {
		drop = max(drop, c.max/8)
	}
	for k := range c.m {
		if drop <= 0 {
			break
		}
		delete(c.m, k)
		drop--
	}
}

func (c *cache[V]) evict(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, key)
}

// evictUser drops every entry of one user. It walks the map: evictions are
// rare (admin actions, password changes) and the map is bounded.
func (c *cache[V]) evictUser(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.m {
		if e.user == user {
			delete(c.m, k)
		}
	}
}

package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

const hashChunk = 256 << 10

// hasher computes a SHA-256 on a goroutine of its own, so hashing overlaps
// the network transfer instead of adding to it. Writes copy into a few
// recycled chunks: memory stays under a couple of MiB.
type hasher struct {
	h      hash.Hash
	cur    []byte
	work   chan []byte
	free   chan []byte
	done   chan struct{}
	closed bool
}

func newHasher() *hasher {
	hs := &hasher{h: sha256.New(), work: make(chan []byte, 4), free: make(chan []byte, 8), done: make(chan struct{})}
	go func() {
		defer close(hs.done)
		for b := range hs.work {
			hs.h.Write(b)
			select {
			case hs.free <- b[:0]:
			default:
			}
		}
	}()
	return hs
}

// Write queues p for hashing; it never fails.
func (hs *hasher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if hs.cur == nil {
			select {
			case hs.cur = <-hs.free:
			default:
				hs.cur = make([]byte, 0, hashChunk)
			}
		}
		k := min(len(p), cap(hs.cur)-len(hs.cur))
		hs.cur = append(hs.cur, p[:k]...)
		p = p[k:]
		if len(hs.cur) == cap(hs.cur) {
			hs.work <- hs.cur
			hs.cur = nil
		}
	}
	return n, nil
}

// Sum waits for the queued bytes and returns the hex digest. Call it once.
func (hs *hasher) Sum() string {
	if len(hs.cur) > 0 {
		hs.work <- hs.cur
		hs.cur = nil
	}
	hs.stop()
	return hex.EncodeToString(hs.h.Sum(nil))
}

// stop ends the goroutine; safe to call after Sum.
func (hs *hasher) stop() {
	if !hs.closed {
		hs.closed = true
		close(hs.work)
	}
	<-hs.done
}

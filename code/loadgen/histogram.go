package loadgen

import (
	"math/bits"
	"time"
)

// A Histogram counts durations in buckets about 3% wide: every power of two of nanoseconds
// is cut into 32 sub-buckets. Percentiles then cost 16 KiB per connection, however long the
// run, instead of one stored sample per request.
type Histogram struct {
	counts []uint64
	total  uint64
}

const subBucketBits = 5

func NewHistogram() *Histogram {
	return &Histogram{counts: make([]uint64, 64<<subBucketBits)}
}

func bucketOf(ns uint64) int {
	if ns < 1<<subBucketBits {
		return int(ns)
	}
	shift := bits.Len64(ns) - subBucketBits - 1
	return (shift+1)<<subBucketBits | int(ns>>shift)&(1<<subBucketBits-1)
}

// bucketMiddle is the duration a bucket stands for: its midpoint.
func bucketMiddle(i int) time.Duration {
	if i < 1<<subBucketBits {
		return time.Duration(i)
	}
	shift := i>>subBucketBits - 1
	low := uint64(1<<subBucketBits|i&(1<<subBucketBits-1)) << shift
	return time.Duration(low + (uint64(1)<<shift)/2)
}

func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.total++
}

func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
}

func (h *Histogram) Count() uint64 { return h.total }

// Quantile returns the duration below which a fraction q of the samples fall.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return bucketMiddle(i)
		}
	}
	return bucketMiddle(len(h.counts) - 1)
}

func (h *Histogram) Reset() {
	clear(h.counts)
	h.total = 0
}

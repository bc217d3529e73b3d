package policy

import (
	"math"
	"time"
)

// DecayingHistogram is the Kubernetes VPA recommender's decaying histogram
// (vertical-pod-autoscaler/pkg/recommender/util/decaying_histogram.go):
// exponential buckets, bucket i spanning
//
//	[first·(ratio^i − 1)/(ratio − 1), first·(ratio^(i+1) − 1)/(ratio − 1))
//
// whose samples lose half their weight every half-life. A sample of weight
// w taken at t counts w·2^((t − ref)/halfLife) against a reference time;
// when that exponent would pass 100 the reference moves forward and every
// weight is scaled down, which changes no percentile. Values past the last
// bucket fall in it; negative values in the first.
//
// The zero value is not usable; use NewDecayingHistogram. It is not safe
// for concurrent use.
type DecayingHistogram struct {
	first, ratio float64
	logRatio     float64
	weights      []float64
	total        float64
	min, max     int // range of buckets that may hold weight
	ref          time.Time
	halfLife     time.Duration
}

// histogramEpsilon is the weight below which a bucket or the histogram
// counts as empty, as upstream.
const histogramEpsilon = 1e-10

// maxDecayExponent bounds the exponent of the decay factor before the
// reference time moves, as upstream.
const maxDecayExponent = 100

// NewDecayingHistogram returns an empty histogram whose buckets start at
// 0 with a first bucket of size first and grow by ratio (> 1) each, up to
// one holding maxValue; samples halve in weight every halfLife. The
// recommender's CPU histogram is (1000 cores, 0.001 core, 1.05, 24 h).
// It panics on arguments out of range.
func NewDecayingHistogram(maxValue, first, ratio float64, halfLife time.Duration) *DecayingHistogram {
	if !(first > 0 && ratio > 1 && maxValue > first && halfLife > 0) {
		panic("policy.NewDecayingHistogram: arguments out of range")
	}
	h := &DecayingHistogram{first: first, ratio: ratio, logRatio: math.Log(ratio), halfLife: halfLife}
	n := int(math.Ceil(math.Log(maxValue*(ratio-1)/first+1)/h.logRatio)) + 1
	h.weights = make([]float64, n)
	h.min, h.max = n-1, 0
	return h
}

// BucketStart returns the lower end of bucket i.
func (h *DecayingHistogram) BucketStart(i int) float64 {
	return h.first * (math.Pow(h.ratio, float64(i)) - 1) / (h.ratio - 1)
}

// Bucket returns the bucket that holds v.
func (h *DecayingHistogram) Bucket(v float64) int {
	if v < h.first {
		return 0
	}
	i := int(math.Floor(math.Log(v*(h.ratio-1)/h.first+1) / h.logRatio))
	// Guard the float rounding at a bucket's edge.
	if i+1 < len(h.weights) && v >= h.BucketStart(i+1) {
		i++
	} else if i > 0 && v < h.BucketStart(i) {
		i--
	}
	return min(i, len(h.weights)-1)
}

// Weight returns the weight held by bucket i, relative to the reference
// time.
func (h *DecayingHistogram) Weight(i int) float64 { return h.weights[i] }

// Total returns the weight of all samples, relative to the reference time.
func (h *DecayingHistogram) Total() float64 { return h.total }

// IsEmpty reports whether the histogram holds no weight.
func (h *DecayingHistogram) IsEmpty() bool { return h.total < histogramEpsilon }

func (h *DecayingHistogram) decay(t time.Time) float64 {
	if h.ref.IsZero() {
		h.ref = t.Round(h.halfLife)
	}
	exp := float64(t.Sub(h.ref)) / float64(h.halfLife)
	if exp > maxDecayExponent {
		// Move the reference to t, rounded to a half-life, and scale every
		// weight to it.
		newRef := t.Round(h.halfLife)
		f := math.Exp2(-float64(newRef.Sub(h.ref)) / float64(h.halfLife))
		h.total = 0
		for i := range h.weights {
			h.weights[i] *= f
			h.total += h.weights[i]
		}
		h.ref = newRef
		exp = float64(t.Sub(h.ref)) / float64(h.halfLife)
	}
	return math.Exp2(exp)
}

// Add adds a sample of value v and weight w taken at t.
func (h *DecayingHistogram) Add(v, w float64, t time.Time) {
	w *= h.decay(t)
	i := h.Bucket(v)
	h.weights[i] += w
	h.total += w
	h.min, h.max = min(h.min, i), max(h.max, i)
}

// Subtract removes a sample Add added with the same arguments.
func (h *DecayingHistogram) Subtract(v, w float64, t time.Time) {
	w *= h.decay(t)
	i := h.Bucket(v)
	h.weights[i] = max(0, h.weights[i]-w)
	h.total = max(0, h.total-w)
	if h.weights[i] < histogramEpsilon {
		h.weights[i] = 0
	}
}

// Percentile returns the upper end of the bucket in which the cumulative
// weight reaches fraction p of the total (the last bucket's start when it
// is the last one), as upstream; 0 when the histogram is empty.
func (h *DecayingHistogram) Percentile(p float64) float64 {
	if h.IsEmpty() {
		return 0
	}
	threshold := p * h.total
	sum := 0.0
	i := h.min
	for ; i < h.max; i++ {
		sum += h.weights[i]
		if sum >= threshold {
			break
		}
	}
	if i < len(h.weights)-1 {
		return h.BucketStart(i + 1)
	}
	return h.BucketStart(i)
}

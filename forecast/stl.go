package forecast

import (
	"math"
	"slices"
)

// This file is a port of the non-robust and robust STL of Cleveland,
// Cleveland, McRae & Terpenning (1990), "STL: A Seasonal-Trend
// Decomposition Procedure Based on Loess", J. Official Statistics 6(1),
// following the netlib Fortran (stl.f) that R's stats::stl calls, with R's
// defaults: seasonal loess of degree 0, trend and low-pass loess of degree
// 1, and evaluation every ⌈window/10⌉ points with linear interpolation in
// between ("jumps").

// stlParams are the STL windows (odd numbers of points) and options.
type stlParams struct {
	np     int // period
	ns     int // seasonal window
	nt     int // trend window
	nl     int // low-pass window
	inner  int // inner iterations
	outer  int // robustness iterations
	sdeg   int // degree of the seasonal loess
	tdeg   int // degree of the trend loess
	ldeg   int // degree of the low-pass loess
	sjump  int
	tjump  int
	ljump  int
	robust bool
}

func nextOdd(x int) int {
	if x%2 == 0 {
		return x + 1
	}
	return x
}

// newSTLParams returns R's stl defaults for period np and seasonal window
// sWindow: t.window = nextodd(⌈1.5 np / (1 − 1.5/s.window)⌉),
// l.window = nextodd(np), inner 2 (1 when robust), outer 0 (15 when robust).
func newSTLParams(np, sWindow int, robust bool) stlParams {
	ns := nextOdd(max(sWindow, 3))
	nt := nextOdd(int(math.Ceil(1.5 * float64(np) / (1 - 1.5/float64(ns)))))
	nl := nextOdd(np)
	p := stlParams{
		np: np, ns: ns, nt: nt, nl: nl,
		inner: 2, outer: 0,
		sdeg: 0, tdeg: 1, ldeg: 1,
		sjump: (ns + 9) / 10, tjump: (nt + 9) / 10, ljump: (nl + 9) / 10,
		robust: robust,
	}
	if robust {
		p.inner, p.outer = 1, 15
	}
	return p
}

// stlWork holds the scratch buffers of one decomposition, reusable across
// calls on series of the same length and period.
type stlWork struct {
	rw, w, work1, work2, work3, work4, c []float64
	sub, subOut, subW                    []float64
}

func (w *stlWork) ensure(n, np int) {
	grow := func(b []float64, k int) []float64 {
		if cap(b) < k {
			return make([]float64, k)
		}
		return b[:k]
	}
	w.rw = grow(w.rw, n)
	w.w = grow(w.w, n)
	w.work1 = grow(w.work1, n+2*np)
	w.work2 = grow(w.work2, n+2*np)
	w.work3 = grow(w.work3, n+2*np)
	w.work4 = grow(w.work4, n+2*np)
	w.c = grow(w.c, n+2*np)
	k := n/np + 3
	w.sub = grow(w.sub, k)
	w.subOut = grow(w.subOut, k)
	w.subW = grow(w.subW, k)
}

// stl decomposes y into season and trend (both of len(y), overwritten);
// the remainder is y − season − trend. len(y) must be at least 2·np.
func stl(y []float64, p stlParams, season, trend []float64, w *stlWork) {
	n := len(y)
	w.ensure(n, p.np)
	for i := range trend {
		trend[i] = 0
	}
	useRW := false
	rw := w.rw
	for i := range rw {
		rw[i] = 1
	}
	for k := 0; ; k++ {
		stlInner(y, p, useRW, rw, season, trend, w)
		if k >= p.outer {
			break
		}
		for i := range y {
			w.work1[i] = trend[i] + season[i]
		}
		stlRobustWeights(y, w.work1[:n], rw, w.work2[:n])
		useRW = true
	}
	if p.outer <= 0 {
		for i := range rw {
			rw[i] = 1
		}
	}
}

func stlInner(y []float64, p stlParams, useRW bool, rw, season, trend []float64, w *stlWork) {
	n := len(y)
	np := p.np
	for range p.inner {
		for i := range n {
			w.work1[i] = y[i] - trend[i]
		}
		// Cycle-subseries smoothing into work2 (length n + 2np).
		stlSS(w.work1[:n], np, p.ns, p.sdeg, p.sjump, useRW, rw, w.work2[:n+2*np], w)
		// Low-pass filter of the smoothed cycle-subseries.
		stlFTS(w.work2[:n+2*np], np, w.work3, w.work1)
		stless(w.work3[:n], p.nl, p.ldeg, p.ljump, false, nil, w.work1[:n], w.work4)
		for i := range n {
			season[i] = w.work2[np+i] - w.work1[i]
		}
		for i := range n {
			w.work1[i] = y[i] - season[i]
		}
		stless(w.work1[:n], p.nt, p.tdeg, p.tjump, useRW, rw, trend, w.work3)
	}
}

// stlRobustWeights sets rw to the bisquare weights of the residuals
// y − fit with h = 6·median|residual|.
func stlRobustWeights(y, fit, rw, scratch []float64) {
	n := len(y)
	for i := range n {
		scratch[i] = math.Abs(y[i] - fit[i])
	}
	tmp := slices.Clone(scratch)
	slices.Sort(tmp)
	var med float64
	if n%2 == 1 {
		med = tmp[n/2]
	} else {
		med = (tmp[n/2-1] + tmp[n/2]) / 2
	}
	h := 6 * med
	c9, c1 := 0.999*h, 0.001*h
	for i := range n {
		r := scratch[i]
		switch {
		case r <= c1:
			rw[i] = 1
		case r <= c9:
			u := r / h
			u = 1 - u*u
			rw[i] = u * u
		default:
			rw[i] = 0
		}
	}
}

// stlSS smooths each cycle-subseries of y with loess of window ns and
// writes the result, extended by one period at each end, to c (length
// len(y)+2np).
func stlSS(y []float64, np, ns, deg, jump int, useRW bool, rw, c []float64, w *stlWork) {
	n := len(y)
	for j := range np {
		k := (n - j + np - 1) / np
		sub := w.sub[:k]
		subW := w.subW[:k]
		for i := range k {
			sub[i] = y[j+i*np]
			if useRW {
				subW[i] = rw[j+i*np]
			}
		}
		out := w.subOut[:k+2]
		var ww []float64
		if useRW {
			ww = subW
		}
		stless(sub, ns, deg, jump, useRW, ww, out[1:k+1], w.work4)
		// Extrapolate one point at each end.
		nright := min(ns, k)
		v, ok := stlest(sub, ns, deg, 0, 1, nright, w.work4, useRW, ww)
		if !ok {
			v = out[1]
		}
		out[0] = v
		nleft := max(1, k-ns+1)
		v, ok = stlest(sub, ns, deg, float64(k+1), nleft, k, w.work4, useRW, ww)
		if !ok {
			v = out[k]
		}
		out[k+1] = v
		for m := 0; m < k+2; m++ {
			c[m*np+j] = out[m]
		}
	}
}

// stlFTS applies moving averages of lengths np, np and 3 to x (length
// n+2np), writing n values to t; work is scratch.
func stlFTS(x []float64, np int, t, work []float64) {
	n := len(x) - 2*np
	stlMA(x, n+2*np, np, work)
	stlMA(work, n+np+1, np, t)
	stlMA(t, n+2, 3, work)
	copy(t[:n], work[:n])
}

// stlMA writes the moving averages of length l of x[:n] to ave[:n−l+1].
func stlMA(x []float64, n, l int, ave []float64) {
	newn := n - l + 1
	fl := float64(l)
	v := 0.0
	for i := range l {
		v += x[i]
	}
	ave[0] = v / fl
	for j := 1; j < newn; j++ {
		v += x[l+j-1] - x[j-1]
		ave[j] = v / fl
	}
}

// stless is loess smoothing of y (at positions 1..n) with window length
// span, local polynomial degree deg (0 or 1), evaluated every jump points
// and interpolated linearly in between; the result goes to ys. work is
// scratch of at least n values.
func stless(y []float64, span, deg, jump int, useRW bool, rw, ys, work []float64) {
	n := len(y)
	if n < 2 {
		copy(ys, y)
		return
	}
	newnj := min(jump, n-1)
	if span >= n {
		nleft, nright := 1, n
		for i := 1; i <= n; i += newnj {
			v, ok := stlest(y, span, deg, float64(i), nleft, nright, work, useRW, rw)
			if !ok {
				v = y[i-1]
			}
			ys[i-1] = v
		}
	} else if newnj == 1 {
		nsh := (span + 1) / 2
		nleft, nright := 1, span
		for i := 1; i <= n; i++ {
			if i > nsh && nright != n {
				nleft++
				nright++
			}
			v, ok := stlest(y, span, deg, float64(i), nleft, nright, work, useRW, rw)
			if !ok {
				v = y[i-1]
			}
			ys[i-1] = v
		}
	} else {
		nsh := (span + 1) / 2
		for i := 1; i <= n; i += newnj {
			var nleft, nright int
			switch {
			case i < nsh:
				nleft, nright = 1, span
			case i >= n-nsh+1:
				nleft, nright = n-span+1, n
			default:
				nleft, nright = i-nsh+1, span+i-nsh
			}
			v, ok := stlest(y, span, deg, float64(i), nleft, nright, work, useRW, rw)
			if !ok {
				v = y[i-1]
			}
			ys[i-1] = v
		}
	}
	if newnj == 1 {
		return
	}
	var i int
	for i = 1; i <= n-newnj; i += newnj {
		delta := (ys[i+newnj-1] - ys[i-1]) / float64(newnj)
		for j := i + 1; j < i+newnj; j++ {
			ys[j-1] = ys[i-1] + delta*float64(j-i)
		}
	}
	k := ((n-1)/newnj)*newnj + 1
	if k != n {
		nleft, nright := n-span+1, n
		if span >= n {
			nleft = 1
		}
		v, ok := stlest(y, span, deg, float64(n), nleft, nright, work, useRW, rw)
		if !ok {
			v = y[n-1]
		}
		ys[n-1] = v
		if k != n-1 {
			delta := (ys[n-1] - ys[k-1]) / float64(n-k)
			for j := k + 1; j < n; j++ {
				ys[j-1] = ys[k-1] + delta*float64(j-k)
			}
		}
	}
}

// stlest is the loess estimate at xs from y[nleft−1 … nright−1] (1-based
// positions nleft..nright) with tricube weights; ok is false when all
// weights vanish.
func stlest(y []float64, span, deg int, xs float64, nleft, nright int, w []float64, useRW bool, rw []float64) (float64, bool) {
	n := len(y)
	rng := float64(n) - 1
	h := math.Max(xs-float64(nleft), float64(nright)-xs)
	if span > n {
		h += float64((span - n) / 2)
	}
	h9, h1 := 0.999*h, 0.001*h
	a := 0.0
	for j := nleft; j <= nright; j++ {
		w[j-1] = 0
		r := math.Abs(float64(j) - xs)
		if r <= h9 {
			if r <= h1 {
				w[j-1] = 1
			} else {
				u := r / h
				u = 1 - u*u*u
				w[j-1] = u * u * u
			}
			if useRW {
				w[j-1] *= rw[j-1]
			}
			a += w[j-1]
		}
	}
	if a <= 0 {
		return 0, false
	}
	for j := nleft; j <= nright; j++ {
		w[j-1] /= a
	}
	if h > 0 && deg > 0 {
		a = 0
		for j := nleft; j <= nright; j++ {
			a += w[j-1] * float64(j)
		}
		b := xs - a
		c := 0.0
		for j := nleft; j <= nright; j++ {
			d := float64(j) - a
			c += w[j-1] * d * d
		}
		if math.Sqrt(c) > 0.001*rng {
			b /= c
			for j := nleft; j <= nright; j++ {
				w[j-1] *= b*(float64(j)-a) + 1
			}
		}
	}
	ys := 0.0
	for j := nleft; j <= nright; j++ {
		ys += w[j-1] * y[j-1]
	}
	return ys, true
}

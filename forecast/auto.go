package forecast

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Auto selects, for each series, the best of a pool of candidate methods
// and of the equal-weight averages of up to MaxCombo of them, judged only
// on that series' own training window: each candidate is fitted at
// Origins rolling origins at the end of the window, forecasts Horizon
// steps, and the choice (a single method or an average) with the least
// total sMAPE over those origins wins; it is then refitted to the whole
// window. Nothing is tuned per series beyond this choice.
//
// The default pool, for seasonal periods p₁ < … < p_k (in steps) from
// FitOptions:
//
//   - seasonal naive with each period (snaive24, snaive168 for hourly data),
//   - the seasonal mean of the last two cycles of p_k (smean168x2),
//   - STL with period p₁ and a 5-cycle seasonal window, damped trend on the
//     seasonally adjusted series (stl-damped),
//   - additive Holt-Winters with the first season of FitOptions,
//   - MSTL with all periods and the naive method on the adjusted series
//     (mstl-naive).
//
// It was chosen on M4 Hourly among candidates that also included MSTL with
// SES, damped trend and drift, single-season STL with SES, damped
// Holt-Winters and Theta (see m4_test.go and the package notes); with no
// season the pool is naive, SES (LevelSES) and damped trend (LevelDamped).
//
// Fallbacks, all deterministic:
//   - a candidate that fails to fit (too short for its season) or
//     forecasts a value that is not finite is left out;
//   - seasons with fewer than two cycles in the window are dropped, so a
//     short series gets the non-seasonal pool;
//   - origins that leave fewer than two cycles of the shortest period
//     (or 2·Horizon points without seasons) are dropped; with no origin
//     left the first candidate that fits, in pool order, is used;
//   - ties (e.g. a constant series, where every candidate is exact) go to
//     the earlier choice: single methods in pool order before averages.
//
// The prediction intervals of an average are the averages of the
// members' bounds (an approximation that assumes their errors are
// perfectly correlated).
type Auto struct {
	// Candidates replaces the default pool when not nil.
	Candidates []Method
	Horizon    int // validation horizon in steps [48]
	Origins    int // validation origins [3]
	// MaxCombo is the largest number of candidates averaged [3]; 1
	// selects a single method.
	MaxCombo int
}

var _ Method = Auto{}

// Name returns "auto".
func (Auto) Name() string { return "auto" }

// DefaultPool returns the candidates Auto uses for a training window of n
// points with the given seasonal periods (in steps, any order).
func DefaultPool(periods []int, n int, step time.Duration) []Method {
	var ps []int
	for _, p := range periods {
		if p >= 2 && 2*p <= n && !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	if len(ps) == 0 {
		return []Method{Naive{}, LevelSES{}, LevelDamped{}}
	}
	dur := func(p int) time.Duration { return time.Duration(p) * step }
	var pool []Method
	for _, p := range ps {
		pool = append(pool, SeasonalNaive{Season: dur(p)})
	}
	pk := ps[len(ps)-1]
	if n >= 3*pk {
		pool = append(pool, SeasonalMean{Season: dur(pk), Cycles: 2})
	}
	pool = append(pool, MSTL{Seasons: []time.Duration{dur(ps[0])}, SWindow: []int{5}, Adjusted: LevelDamped{}, Label: "stl-damped"})
	pool = append(pool, HoltWinters{})
	if len(ps) > 1 {
		var ds []time.Duration
		for _, p := range ps {
			ds = append(ds, dur(p))
		}
		pool = append(pool, MSTL{Seasons: ds, Adjusted: Naive{}})
	}
	return pool
}

// AutoChoice explains a fit of Auto: what was chosen and why.
type AutoChoice struct {
	Chosen     []string  // names of the averaged methods (one for a single method)
	Candidates []string  // the pool, in order, after dropping failures
	Origins    []int     // validation origins (training lengths)
	Score      float64   // total validation sMAPE of the choice
	Scores     []float64 // total validation sMAPE of each candidate alone
}

// AutoForecaster is the forecaster Auto returns.
type AutoForecaster struct {
	Choice  AutoChoice
	members []Forecaster
	buf     []Point
}

// Observe passes v to every averaged member.
func (f *AutoForecaster) Observe(t time.Time, v float64) {
	for _, m := range f.members {
		m.Observe(t, v)
	}
}

// Forecast averages the members' forecasts (means and interval bounds).
func (f *AutoForecaster) Forecast(dst []Point, h int) []Point {
	if len(f.members) == 1 {
		return f.members[0].Forecast(dst, h)
	}
	dst = resize(dst, h)
	clear(dst)
	k := float64(len(f.members))
	for _, m := range f.members {
		f.buf = m.Forecast(f.buf, h)
		for i, p := range f.buf {
			dst[i].Mean += p.Mean / k
			dst[i].Lo80 += p.Lo80 / k
			dst[i].Hi80 += p.Hi80 / k
			dst[i].Lo95 += p.Lo95 / k
			dst[i].Hi95 += p.Hi95 / k
		}
	}
	return dst
}

// allFinite reports whether every bound of every point is finite.
func allFinite(fc []Point) bool {
	for _, p := range fc {
		if !finite(p.Mean) || !finite(p.Lo80) || !finite(p.Hi80) || !finite(p.Lo95) || !finite(p.Hi95) {
			return false
		}
	}
	return true
}

// Fit chooses and fits the method for train. It needs one point
// (ErrTooShort) and finite values (ErrNotFinite); a season that is not a
// whole number of steps gives ErrInvalidSeason.
func (a Auto) Fit(train []float64, o *FitOptions) (Forecaster, error) {
	if len(train) == 0 {
		return nil, fmt.Errorf("auto: %w: empty series", ErrTooShort)
	}
	if err := checkFinite(train); err != nil {
		return nil, fmt.Errorf("auto: %w", err)
	}
	periods, err := o.Periods()
	if err != nil {
		return nil, fmt.Errorf("auto: %w", err)
	}
	n := len(train)
	h := a.Horizon
	if h <= 0 {
		h = 48
	}
	nOrig := a.Origins
	if nOrig <= 0 {
		nOrig = 3
	}
	maxCombo := a.MaxCombo
	if maxCombo <= 0 {
		maxCombo = 3
	}
	// The shortest window a validation fit may use.
	minFit := 2 * h
	if len(periods) > 0 {
		minFit = max(minFit, 2*slices.Min(periods))
	}
	var origins []int
	for k := nOrig; k >= 1; k-- {
		if n0 := n - k*h; n0 >= minFit {
			origins = append(origins, n0)
		}
	}
	pool := a.Candidates
	if pool == nil {
		// Judge the pool on the shortest validation window so that every
		// candidate fits at every origin.
		nPool := n
		if len(origins) > 0 {
			nPool = origins[0]
		}
		pool = DefaultPool(periods, nPool, o.StepOrDefault())
	}

	// Validation forecasts: val[c][j] are candidate c's means at origin j.
	type cand struct {
		m   Method
		f   Forecaster
		val [][]float64
	}
	var cands []cand
	var fc []Point
	var errs []error
	for _, m := range pool {
		c := cand{m: m}
		ok := true
		for _, n0 := range origins {
			f, err := m.Fit(train[:n0], o)
			if err != nil {
				errs = append(errs, err)
				ok = false
				break
			}
			fc = f.Forecast(fc, h)
			if !allFinite(fc) {
				ok = false
				break
			}
			c.val = append(c.val, Means(fc))
		}
		if !ok {
			continue
		}
		f, err := m.Fit(train, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if fc = f.Forecast(fc, h); !allFinite(fc) {
			continue
		}
		c.f = f
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		// Last resort: the naive method, which fits any finite non-empty series.
		f, err := Naive{}.Fit(train, o)
		if err != nil {
			return nil, fmt.Errorf("auto: %w", errors.Join(append(errs, err)...))
		}
		return &AutoForecaster{Choice: AutoChoice{Chosen: []string{"naive"}, Candidates: []string{"naive"}}, members: []Forecaster{f}}, nil
	}
	af := &AutoForecaster{}
	for _, c := range cands {
		af.Choice.Candidates = append(af.Choice.Candidates, c.m.Name())
	}
	af.Choice.Origins = origins
	if len(origins) == 0 {
		af.Choice.Chosen = []string{cands[0].m.Name()}
		af.members = []Forecaster{cands[0].f}
		return af, nil
	}
	// Score every subset of up to maxCombo candidates, singles first.
	avg := make([]float64, h)
	score := func(set []int) float64 {
		s := 0.0
		for j, n0 := range origins {
			clear(avg)
			for _, c := range set {
				for i, v := range cands[c].val[j] {
					avg[i] += v
				}
			}
			for i := range avg {
				avg[i] /= float64(len(set))
			}
			s += SMAPE(train[n0:n0+h], avg)
		}
		return s
	}
	best, bestScore := []int{0}, math.Inf(1)
	for _, set := range subsets(len(cands), maxCombo) {
		s := score(set)
		if len(set) == 1 {
			af.Choice.Scores = append(af.Choice.Scores, s)
		}
		if s < bestScore {
			best, bestScore = set, s
		}
	}
	af.Choice.Score = bestScore
	for _, c := range best {
		af.Choice.Chosen = append(af.Choice.Chosen, cands[c].m.Name())
		af.members = append(af.members, cands[c].f)
	}
	return af, nil
}

// subsets returns the non-empty subsets of {0, …, n−1} with at most k
// elements, by size and then lexicographically.
func subsets(n, k int) [][]int {
	var out [][]int
	var rec func(start int, cur []int, size int)
	rec = func(start int, cur []int, size int) {
		if len(cur) == size {
			out = append(out, slices.Clone(cur))
			return
		}
		for i := start; i < n; i++ {
			rec(i+1, append(cur, i), size)
		}
	}
	for size := 1; size <= min(k, n); size++ {
		rec(0, nil, size)
	}
	return out
}

// ErrUnknownMethod is returned by Lookup for a name not in Methods.
var ErrUnknownMethod = errors.New("unknown forecasting method")

// registry maps the short names of Methods to constructors.
var registry = map[string]func() Method{
	"naive":     func() Method { return Naive{} },
	"snaive":    func() Method { return SeasonalNaive{} },
	"snaive168": func() Method { return SeasonalNaive{Season: 168 * time.Hour} },
	"smean":     func() Method { return SeasonalMean{} },
	"ma":        func() Method { return MovingAverage{} },
	"drift":     func() Method { return Drift{} },
	"ses-ls":    func() Method { return LevelSES{} },
	"damped-ls": func() Method { return LevelDamped{} },
	"stl":       func() Method { return MSTL{Shortest: true, SWindow: []int{5}, Adjusted: LevelDamped{}, Label: "stl"} },
	"mstl":      func() Method { return MSTL{} },
	"auto":      func() Method { return Auto{} },
	"ses":       func() Method { return SES{} },
	"holt":      func() Method { return Holt{} },
	"damped":    func() Method { return Holt{Damped: true} },
	"hw":        func() Method { return HoltWinters{} },
	"hwm":       func() Method { return HoltWinters{Seasonal: Multiplicative} },
	"ets":       func() Method { return ETS{} },
	"theta":     func() Method { return Theta{} },
}

// registerMethod adds a constructor to the registry; files of the package
// call it from init. It panics on a duplicate name.
func registerMethod(name string, f func() Method) {
	if _, dup := registry[name]; dup {
		panic("forecast: method registered twice: " + name)
	}
	registry[name] = f
}

// Methods returns the short names Lookup accepts, sorted.
func Methods() []string {
	names := make([]string, 0, len(registry))
	for k := range registry {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the method with the given short name (see Methods), with
// its default settings; the name is case-insensitive. An unknown name
// gives an error wrapping ErrUnknownMethod.
//
//	naive      Naive                    snaive     SeasonalNaive (first season)
//	snaive168  SeasonalNaive 168 h      smean      SeasonalMean (first season, 2 cycles)
//	ma         MovingAverage 24         drift      Drift
//	ses-ls     LevelSES                 damped-ls  LevelDamped
//	stl        MSTL with the shortest season only, window 5, LevelDamped
//	mstl       MSTL (all seasons, LevelSES on the adjusted series)
//	auto       Auto
//	ses        SES                      holt       Holt
//	damped     Holt{Damped: true}       hw         HoltWinters (additive)
//	hwm        HoltWinters (multiplicative)
//	ets        ETS (automatic)          theta      Theta
func Lookup(name string) (Method, error) {
	f, ok := registry[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("%w: %q (known: %s)", ErrUnknownMethod, name, strings.Join(Methods(), ", "))
	}
	return f(), nil
}

package forecast

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// MaxSeasonalPeriod is the longest season, in steps, that the seasonal
// exponential-smoothing models accept (one week of hourly data): each
// season step is a state, and the heuristic initial states need two full
// seasons. ETS drops its seasonal candidates for longer periods;
// HoltWinters rejects them.
const MaxSeasonalPeriod = 24 * 7

// Errors of the exponential-smoothing methods, to branch on with errors.Is.
var (
	// ErrModel: an ETS model string is not one of the supported models.
	ErrModel = errors.New("unsupported ETS model")
	// ErrNotPositive: a multiplicative model was asked for on data with a
	// value ≤ 0.
	ErrNotPositive = errors.New("multiplicative model needs positive data")
)

// ETS is the exponential-smoothing state-space family of Hyndman, Koehler,
// Snyder & Grose (2002) and Hyndman et al. (2008): error A or M, trend N,
// A or Ad (damped), season N, A or M, written as three letters, e.g.
// "ANN" (simple exponential smoothing), "AAdA", "MAM". The recursions are
// those in the file comment of smoothing.go.
//
// Model "" (the zero value) selects automatically: every admissible model
// is fitted and the one with the smallest AICc is kept. Admissible are the
// 15 models without multiplicative trend, except additive error with
// multiplicative season (unstable; R's restrict = TRUE); models with
// multiplicative error or season only when all data are > 0; seasonal
// models only with a season of 2…MaxSeasonalPeriod steps (the first of
// FitOptions.Periods) and at least two full seasons of data.
//
// Estimation: the initial states come from the heuristic of Hyndman et
// al. (2008, §2.6.1) as in R forecast's initstate (classical
// decomposition of the whole window, then a regression on the first
// max(10, 2m) seasonally adjusted values) and are not optimised, which
// keeps a fit to tens of milliseconds; the smoothing parameters maximise
// the Gaussian likelihood,
//
//	−2 log L = n log(Σ e_t²/n) (+ 2 Σ log|μ_t| for multiplicative error,
//	           where the errors are e_t/μ_t) + constants,
//
// with Nelder-Mead (nelderMead) over logistic transforms that enforce R's
// "usual" region α ∈ [1e-4, 0.9999], 0 < β < α, 0 < γ < 1−α, φ ∈ [0.8,
// 0.98]. AICc = −2 log L + 2k + 2k(k+1)/(n−k−1), where k counts the
// smoothing parameters, the initial states (1 level, 1 trend, m−1
// seasonal) and σ². If the optimiser fails to improve on its starting
// point (α = 0.2/m, β = 0.1α, γ = 0.05(1−α), φ = 0.978) the starting
// point is kept. Nelder-Mead is run once more from its optimum (a restart).
type ETS struct {
	Model string
}

// Name returns "ETS" or "ETS(<model>)".
func (e ETS) Name() string {
	if e.Model == "" {
		return "ETS"
	}
	return "ETS(" + e.Model + ")"
}

// etsModels are the candidates of the automatic selection, in the order
// they are tried (ties keep the earlier model).
var etsModels = []string{
	"ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA",
	"MNN", "MAN", "MAdN", "MNA", "MAA", "MAdA", "MNM", "MAM", "MAdM",
}

// parseModel parses an ETS model label.
func parseModel(s string) (errc, trend component, damped bool, seas component, err error) {
	bad := fmt.Errorf("%w: %q", ErrModel, s)
	if len(s) != 3 && len(s) != 4 {
		return 0, 0, false, 0, bad
	}
	letter := func(c byte, allowN bool) (component, bool) {
		switch c {
		case 'N':
			return compN, allowN
		case 'A':
			return compA, true
		case 'M':
			return compM, true
		}
		return 0, false
	}
	var ok bool
	if errc, ok = letter(s[0], false); !ok {
		return 0, 0, false, 0, bad
	}
	if trend, ok = letter(s[1], true); !ok || trend == compM {
		return 0, 0, false, 0, bad
	}
	rest := s[2:]
	if len(s) == 4 {
		if s[2] != 'd' || trend != compA {
			return 0, 0, false, 0, bad
		}
		damped = true
		rest = s[3:]
	}
	if seas, ok = letter(rest[0], true); !ok {
		return 0, 0, false, 0, bad
	}
	return errc, trend, damped, seas, nil
}

// Fit fits the model (or selects one) on train.
func (e ETS) Fit(train []float64, o *FitOptions) (Forecaster, error) {
	m, err := e.FitETS(train, o)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// FitETS is Fit returning the concrete model, whose Model method names
// the selected model.
func (e ETS) FitETS(train []float64, o *FitOptions) (*ExpSmoother, error) {
	if err := esCheckFinite(train); err != nil {
		return nil, err
	}
	ps, err := o.Periods()
	if err != nil {
		return nil, err
	}
	period := 1
	if len(ps) > 0 {
		period = ps[0]
	}
	positive := true
	for _, v := range train {
		if v <= 0 {
			positive = false
			break
		}
	}
	cache := &initCache{}
	if e.Model != "" {
		ec, tr, damped, se, err := parseModel(e.Model)
		if err != nil {
			return nil, err
		}
		if (ec == compM || se == compM) && !positive {
			return nil, fmt.Errorf("%w: ETS(%s)", ErrNotPositive, e.Model)
		}
		if se != compN {
			if period < 2 || period > MaxSeasonalPeriod {
				return nil, fmt.Errorf("%w: ETS(%s) needs a period of 2…%d steps, have %d", ErrInvalidSeason, e.Model, MaxSeasonalPeriod, period)
			}
		}
		r, err := fitSmoothingCached(train, smoothSpec{err: ec, trend: tr, damped: damped, seas: se, period: period}, cache)
		if err != nil {
			return nil, err
		}
		return r.model, nil
	}
	seasonalOK := period >= 2 && period <= MaxSeasonalPeriod && len(train) >= 2*period
	var best *fitResult
	for _, label := range etsModels {
		ec, tr, damped, se, _ := parseModel(label)
		if (ec == compM || se == compM) && !positive {
			continue
		}
		if se != compN && !seasonalOK {
			continue
		}
		r, err := fitSmoothingCached(train, smoothSpec{err: ec, trend: tr, damped: damped, seas: se, period: period}, cache)
		if err != nil || math.IsNaN(r.aicc) || math.IsInf(r.aicc, 0) {
			continue
		}
		if best == nil || r.aicc < best.aicc {
			best = r
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: ETS has no admissible model for %d points", ErrTooShort, len(train))
	}
	return best.model, nil
}

// smoothSpec describes one exponential-smoothing model to fit.
type smoothSpec struct {
	err, trend, seas component
	damped           bool
	period           int // season length m when seas != compN
	init             Init
	classic          bool // classical Holt-Winters seasonal update
	// fixed parameters (classical parameterisation), used when fixed.
	fixed                   bool
	alpha, beta, gamma, phi float64
}

// fitResult is a fitted model with its in-sample fit.
type fitResult struct {
	model  *ExpSmoother
	fitted []float64
	aicc   float64
}

// initCache shares the decompositions between the models of one automatic
// selection.
type initCache struct {
	dec [3]*decomposition // by seasonal component
}

// minLen is the shortest training window for a specification.
func (sp smoothSpec) minLen() int {
	switch {
	case sp.seas != compN:
		return 2 * sp.period
	case sp.trend != compN:
		if sp.init == InitR {
			return 3
		}
		return 4
	}
	if sp.init == InitR {
		return 2
	}
	return 3
}

// fitSmoothing fits SES, Holt and HoltWinters.
func fitSmoothing(y []float64, o *FitOptions, sp smoothSpec) (*ExpSmoother, []float64, error) {
	if err := esCheckFinite(y); err != nil {
		return nil, nil, err
	}
	if _, err := o.Periods(); err != nil {
		return nil, nil, err
	}
	if sp.seas == compM {
		for i, v := range y {
			if v <= 0 {
				return nil, nil, fmt.Errorf("%w: train[%d] = %v", ErrNotPositive, i, v)
			}
		}
	}
	if sp.fixed {
		for _, p := range []float64{sp.alpha, sp.beta, sp.gamma} {
			if !(p >= 0 && p <= 1) {
				return nil, nil, fmt.Errorf("forecast: smoothing parameter %v outside [0, 1]", p)
			}
		}
		if sp.damped && sp.phi != 0 && !(sp.phi > 0 && sp.phi <= 1) {
			return nil, nil, fmt.Errorf("forecast: damping parameter %v outside (0, 1]", sp.phi)
		}
	}
	r, err := fitSmoothingCached(y, sp, &initCache{})
	if err != nil {
		return nil, nil, err
	}
	return r.model, r.fitted, nil
}

// initial returns the initial states and the first index the recursions
// run on.
func (sp smoothSpec) initial(y []float64, c *initCache) (level, slope float64, season []float64, start int) {
	if sp.init == InitR {
		return initR(y, sp.trend, sp.seas, sp.period)
	}
	// Hyndman et al. (2008, §2.6.1) / R forecast's initstate.
	m := 1
	ysa := y
	if sp.seas != compN {
		m = sp.period
		d := c.dec[sp.seas]
		if d == nil {
			dd := classicalDecompose(y, m, sp.seas == compM)
			d = &dd
			c.dec[sp.seas] = d
		}
		season = make([]float64, m)
		copy(season, d.figure)
		if sp.seas == compM {
			sum := 0.0
			for i := range season {
				season[i] = max(season[i], 1e-2)
				sum += season[i]
			}
			if sum > float64(m) {
				for i := range season {
					season[i] /= sum + 1e-2
				}
			}
		}
	}
	maxn := min(max(10, 2*m), len(y))
	head := make([]float64, maxn)
	for i := range head {
		switch sp.seas {
		case compN:
			head[i] = ysa[i]
		case compA:
			head[i] = y[i] - season[i%m]
		case compM:
			head[i] = y[i] / season[i%m]
		}
	}
	if sp.trend == compN {
		s := 0.0
		for _, v := range head {
			s += v
		}
		return s / float64(maxn), 0, season, 0
	}
	level, slope = olsLine(head, 1)
	if math.Abs(level+slope) < 1e-8 {
		level *= 1 + 1e-3
		slope *= 1 + 1e-3
	}
	return level, slope, season, 0
}

// runner evaluates the likelihood of a specification for given parameters
// without allocating.
type runner struct {
	sp           smoothSpec
	y            []float64
	start        int
	level, slope float64
	season0      []float64
	m            ExpSmoother // work model; its season aliases ring
	ring         []float64
}

func (r *runner) reset(p Params, gammaHW float64) {
	copy(r.ring, r.season0)
	r.m = ExpSmoother{
		err: r.sp.err, trend: r.sp.trend, seas: r.sp.seas, damped: r.sp.damped,
		classic: r.sp.classic, gammaHW: gammaHW, p: p,
		level: r.level, slope: r.slope, season: r.ring,
	}
}

// objective returns −2 log L up to constants, the sum of squared (relative
// for multiplicative error) errors and the number of errors.
func (r *runner) objective(p Params, gammaHW float64, fitted []float64) (obj, sse float64, n int) {
	r.reset(p, gammaHW)
	sumLog := 0.0
	mult := r.sp.err == compM
	for i := r.start; i < len(r.y); i++ {
		mu, e := r.m.step(r.y[i])
		if fitted != nil {
			fitted[i] = mu
		}
		if mult {
			if !(mu > 0) {
				return math.Inf(1), math.Inf(1), 0
			}
			e /= mu
			sumLog += math.Log(mu)
		}
		sse += e * e
	}
	n = len(r.y) - r.start
	if !esFinite(sse) {
		return math.Inf(1), sse, n
	}
	obj = float64(n)*math.Log(max(sse/float64(n), 1e-300)) + 2*sumLog
	return obj, sse, n
}

// esSigmoid maps ℝ to (0, 1).
func esSigmoid(u float64) float64 { return 1 / (1 + math.Exp(-u)) }

func esLogit(p float64) float64 { return math.Log(p / (1 - p)) }

const (
	alphaLo, alphaHi = 1e-4, 0.9999
	phiLo, phiHi     = 0.8, 0.98
)

// params maps the free vector u to parameters (see ETS); layout: α, then β
// if trend, γ if season, φ if damped.
func (sp smoothSpec) params(u []float64) (Params, float64) {
	p := Params{Phi: 1}
	i := 0
	p.Alpha = alphaLo + (alphaHi-alphaLo)*esSigmoid(u[i])
	i++
	if sp.trend != compN {
		p.Beta = p.Alpha * esSigmoid(u[i])
		i++
	}
	var gHW float64
	if sp.seas != compN {
		gHW = esSigmoid(u[i])
		p.Gamma = (1 - p.Alpha) * gHW
		i++
	}
	if sp.damped {
		p.Phi = phiLo + (phiHi-phiLo)*esSigmoid(u[i])
	}
	if sp.classic {
		// classical γ_HW is the free fraction itself; keep the ETS γ for
		// the variance formulas.
		gHW = alphaLo + (alphaHi-alphaLo)*gHW
		p.Gamma = (1 - p.Alpha) * gHW
	}
	return p, gHW
}

// fitSmoothingCached fits one specification; the decompositions are shared
// through c.
func fitSmoothingCached(y []float64, sp smoothSpec, c *initCache) (*fitResult, error) {
	if sp.seas != compN && (sp.period < 2 || sp.period > MaxSeasonalPeriod) {
		return nil, fmt.Errorf("%w: period %d", ErrInvalidSeason, sp.period)
	}
	if sp.seas == compN {
		sp.period = 0
	}
	if len(y) < sp.minLen() {
		return nil, fmt.Errorf("%w: %d points, need %d", ErrTooShort, len(y), sp.minLen())
	}
	level, slope, season, start := sp.initial(y, c)
	r := &runner{sp: sp, y: y, start: start, level: level, slope: slope, season0: season,
		ring: make([]float64, len(season))}

	var p Params
	var gHW float64
	nfree := 1
	if sp.trend != compN {
		nfree++
	}
	if sp.seas != compN {
		nfree++
	}
	if sp.damped {
		nfree++
	}
	if sp.fixed {
		p = Params{Alpha: sp.alpha, Beta: sp.alpha * sp.beta, Phi: 1}
		if sp.trend == compN {
			p.Beta = 0
		}
		if sp.damped {
			p.Phi = sp.phi
			if p.Phi == 0 {
				p.Phi = 0.98
			}
		}
		gHW = sp.gamma
		p.Gamma = (1 - sp.alpha) * sp.gamma
		if !sp.classic {
			p.Gamma = sp.gamma
		}
		nfree = 0
	} else {
		// Starting point as R's ets; fractions in the transformed space.
		m := float64(max(sp.period, 1))
		a0 := alphaLo + 0.2*(alphaHi-alphaLo)/m
		u0 := []float64{esLogit((a0 - alphaLo) / (alphaHi - alphaLo))}
		if sp.trend != compN {
			u0 = append(u0, esLogit(0.1))
		}
		if sp.seas != compN {
			u0 = append(u0, esLogit(0.05))
		}
		if sp.damped {
			u0 = append(u0, esLogit(0.99))
		}
		p, gHW = sp.params(u0)
		start, _, _ := r.objective(p, gHW, nil)
		f := func(u []float64) float64 {
			pp, g := sp.params(u)
			v, _, _ := r.objective(pp, g, nil)
			return v
		}
		x, fx := nelderMead(f, u0, 1, 150*nfree, 1e-4)
		// One restart from the best point escapes a collapsed simplex.
		if x2, fx2 := nelderMead(f, x, 1, 100*nfree, 1e-4); fx2 < fx {
			x, fx = x2, fx2
		}
		if esFinite(fx) && fx <= start {
			p, gHW = sp.params(x)
		}
	}
	fitted := make([]float64, len(y))
	for i := range start {
		fitted[i] = math.NaN()
	}
	obj, sse, n := r.objective(p, gHW, fitted)
	// k: free smoothing parameters + initial states + σ².
	k := nfree + 1
	if sp.trend != compN {
		k++
	}
	if sp.seas != compN {
		k += sp.period - 1
	}
	k++
	dof := n - (k - 1)
	if dof < 1 {
		dof = n
	}
	p.Sigma2 = sse / float64(dof)
	if !esFinite(p.Sigma2) {
		p.Sigma2 = 0
	}
	model := r.m // final state after the run
	model.p.Sigma2 = p.Sigma2
	model.season = nil
	if sp.seas != compN {
		model.season = make([]float64, len(r.ring))
		copy(model.season, r.ring)
	}
	model.n = len(y)
	aicc := math.Inf(1)
	if n-k-1 > 0 && esFinite(obj) {
		nf := float64(n)
		m2ll := obj + nf*(math.Log(2*math.Pi)+1)
		aicc = m2ll + 2*float64(k) + 2*float64(k*(k+1))/float64(n-k-1)
	}
	return &fitResult{model: &model, fitted: fitted, aicc: aicc}, nil
}

// nelderMead minimises f from x0 with the Nelder-Mead simplex method
// (reflection 1, expansion 2, contraction ½, shrink ½; initial simplex x0
// and x0 + size·e_i). It stops after maxEval evaluations or when the
// values at the simplex vertices span less than tol, and returns the best
// vertex and its value. It is deterministic.
//
// It stands in for gonum's optimize.NelderMead: importing
// gonum.org/v1/gonum/optimize pulls in stat/distmv and with it
// golang.org/x/tools, which the module's go.sum does not hold.
func nelderMead(f func([]float64) float64, x0 []float64, size float64, maxEval int, tol float64) ([]float64, float64) {
	d := len(x0)
	v := make([][]float64, d+1)
	fv := make([]float64, d+1)
	for i := range v {
		v[i] = slices.Clone(x0)
		if i > 0 {
			v[i][i-1] += size
		}
		fv[i] = f(v[i])
	}
	evals := d + 1
	idx := make([]int, d+1)
	cen := make([]float64, d)
	xr := make([]float64, d)
	xe := make([]float64, d)
	order := func() {
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case fv[a] < fv[b] || (!math.IsNaN(fv[a]) && math.IsNaN(fv[b])):
				return -1
			case fv[a] > fv[b] || (math.IsNaN(fv[a]) && !math.IsNaN(fv[b])):
				return 1
			}
			return 0
		})
	}
	point := func(dst []float64, t float64) { // dst = cen + t (cen − worst)
		w := v[idx[d]]
		for j := range dst {
			dst[j] = cen[j] + t*(cen[j]-w[j])
		}
	}
	for evals < maxEval {
		order()
		best, worst := idx[0], idx[d]
		if math.Abs(fv[worst]-fv[best]) <= tol {
			break
		}
		for j := range cen {
			cen[j] = 0
			for _, i := range idx[:d] {
				cen[j] += v[i][j]
			}
			cen[j] /= float64(d)
		}
		point(xr, 1)
		fr := f(xr)
		evals++
		switch {
		case fr < fv[best]:
			point(xe, 2)
			fe := f(xe)
			evals++
			if fe < fr {
				copy(v[worst], xe)
				fv[worst] = fe
			} else {
				copy(v[worst], xr)
				fv[worst] = fr
			}
		case fr < fv[idx[d-1]]:
			copy(v[worst], xr)
			fv[worst] = fr
		default:
			t := 0.5 // outside contraction
			if !(fr < fv[worst]) {
				t = -0.5 // inside contraction
			}
			point(xe, t)
			fc := f(xe)
			evals++
			if fc < math.Min(fr, fv[worst]) || (t < 0 && fc < fv[worst]) {
				copy(v[worst], xe)
				fv[worst] = fc
				break
			}
			for _, i := range idx[1:] { // shrink towards the best
				for j := range v[i] {
					v[i][j] = v[best][j] + 0.5*(v[i][j]-v[best][j])
				}
				fv[i] = f(v[i])
				evals++
			}
		}
	}
	order()
	return v[idx[0]], fv[idx[0]]
}

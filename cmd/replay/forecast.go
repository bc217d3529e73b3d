package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/omnixan/omnixan/forecast"
	"github.com/omnixan/omnixan/internal/cli"
	"github.com/omnixan/omnixan/internal/progress"
	"github.com/omnixan/omnixan/reports"
	"github.com/omnixan/omnixan/traces"
)

// forecastOptions are the flags of replay forecast.
type forecastOptions struct {
	Traces  []string
	Column  string
	Horizon int
	Holdout int
	Methods []string
	Seasons []string
	Step    time.Duration
	Out     string
	JSON    bool
	Quiet   bool
}

// defaultSeasons are used when --season is not given, keeping those that
// are a whole number of the series' steps.
var defaultSeasons = []string{"24h", "168h"}

func (o *forecastOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.Traces, "trace", nil, "trace file (CSV or Parquet) or directory of them; repeat or separate with commas; each file is one series named after the file")
	fs.StringVar(&o.Column, "column", "", "value column to forecast (default: the first column after the timestamp)")
	fs.IntVar(&o.Horizon, "horizon", 48, "steps to forecast after the training part")
	fs.IntVar(&o.Holdout, "holdout", 48, "steps at the end of each series held out to score the forecasts; 0 forecasts past the end")
	fs.StringSliceVar(&o.Methods, "method", []string{"auto"}, "forecasting methods, comma-separated: "+strings.Join(forecast.Methods(), ", "))
	fs.StringSliceVar(&o.Seasons, "season", nil, "seasonal periods as durations (24h,168h) or whole steps (24,168); \"none\" for none (default 24h,168h where they are whole steps)")
	fs.DurationVar(&o.Step, "step", 0, "spacing of consecutive rows, for traces whose timestamps are plain indices (default: from the timestamps)")
	fs.StringVar(&o.Out, "out", "forecasts.csv", "CSV file for the forecasts: series,step,forecast,lower80,upper80,lower95,upper95 (a method column follows series when several methods run)")
	fs.BoolVar(&o.JSON, "json", false, "print the scores as JSON instead of a table")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress bar")
}

func (o *forecastOptions) Validate() error {
	switch {
	case len(o.Traces) == 0:
		return errors.New("--trace: name at least one trace file or directory")
	case o.Horizon < 1:
		return fmt.Errorf("--horizon %d: want ≥ 1", o.Horizon)
	case o.Holdout < 0:
		return fmt.Errorf("--holdout %d: want ≥ 0", o.Holdout)
	case o.Step < 0:
		return fmt.Errorf("--step %v: want > 0", o.Step)
	case o.Out == "":
		return errors.New("--out: want a file name")
	case len(o.Methods) == 0:
		return errors.New("--method: name at least one method")
	}
	for i, m := range o.Methods {
		if _, err := forecast.Lookup(m); err != nil {
			return fmt.Errorf("--method: %w", err)
		}
		if slices.Contains(o.Methods[:i], m) {
			return fmt.Errorf("--method: %q named twice", m)
		}
	}
	for _, s := range o.Seasons {
		if s == "none" {
			if len(o.Seasons) > 1 {
				return errors.New("--season: \"none\" cannot be combined with seasons")
			}
			continue
		}
		if _, _, err := parseSeason(s); err != nil {
			return fmt.Errorf("--season: %w", err)
		}
	}
	return nil
}

// parseSeason reads a season as a whole number of steps or a duration.
func parseSeason(s string) (steps int, d time.Duration, err error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 {
			return 0, 0, fmt.Errorf("season %q: want ≥ 1 step", s)
		}
		return n, 0, nil
	}
	d, err = time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, 0, fmt.Errorf("season %q: want a positive duration such as 24h or a number of steps", s)
	}
	return 0, d, nil
}

// seasonsFor converts the --season values to durations of the series'
// step. Explicit seasons that are not whole steps are errors; defaults
// that are not are dropped.
func (o *forecastOptions) seasonsFor(step time.Duration) ([]time.Duration, error) {
	if len(o.Seasons) == 1 && o.Seasons[0] == "none" {
		return nil, nil
	}
	given, explicit := o.Seasons, true
	if len(given) == 0 {
		given, explicit = defaultSeasons, false
	}
	var out []time.Duration
	for _, s := range given {
		n, d, err := parseSeason(s)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			d = time.Duration(n) * step
		}
		if d%step != 0 {
			if explicit {
				return nil, fmt.Errorf("season %s is not a whole number of the series' %v steps", s, step)
			}
			continue
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// seriesResult is the forecast and scores of one series by one method.
type seriesResult struct {
	Series   string   `json:"series"`
	Method   string   `json:"method"`
	Chosen   string   `json:"chosen,omitempty"`   // what auto picked
	Fallback string   `json:"fallback,omitempty"` // why another method stood in
	Points   int      `json:"points"`             // length of the series
	Filled   int      `json:"filled,omitempty"`   // missing points interpolated
	Scored   int      `json:"scored"`             // forecast steps with an actual
	SMAPE    *float64 `json:"smape"`
	MASE     *float64 `json:"mase"` // null when the in-sample scale is 0
	WAPE     *float64 `json:"wape"` // null when the actuals sum to 0
	Cover80  *float64 `json:"coverage80"`
	Cover95  *float64 `json:"coverage95"`
	MSIS     *float64 `json:"msis"` // null when the in-sample scale is 0

	fc     []forecast.Point
	absErr float64 // Σ|y − ŷ| over the scored steps
	absY   float64 // Σ|y|
	in80   int
	in95   int
}

// methodScore aggregates a method over series.
type methodScore struct {
	Method      string         `json:"method"`
	Series      int            `json:"series"`
	SMAPE       *float64       `json:"smape"`          // mean over scored series, percent
	MASE        *float64       `json:"mase"`           // mean over series where it is defined
	MASEUndef   int            `json:"mase_undefined"` // series left out of MASE and MSIS
	WAPE        *float64       `json:"wape"`           // Σ|y − ŷ| / Σ|y| over every scored step
	Accuracy    *float64       `json:"accuracy"`       // 1 − WAPE
	Cover80     *float64       `json:"coverage80"`     // share of scored steps inside the 80% interval
	Cover95     *float64       `json:"coverage95"`
	MSIS        *float64       `json:"msis"`
	ChosenCount map[string]int `json:"chosen,omitempty"` // auto: how often each choice was made
}

type forecastReport struct {
	Horizon int            `json:"horizon"`
	Holdout int            `json:"holdout"`
	Overall *methodScore   `json:"overall,omitempty"`
	Methods []methodScore  `json:"methods"`
	Series  []seriesResult `json:"series"`
}

func runForecast(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o forecastOptions
	fs := pflag.NewFlagSet("forecast", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(stdout, `Usage: replay forecast --trace PATH... [flags]

Forecasts the last --holdout points of each series from everything before
them, writes the forecasts with 80%% and 95%% prediction intervals to --out,
and prints sMAPE, MASE, WAPE, interval coverage and MSIS per method (and,
for auto, how often it chose each method).

Series that cannot be forecast as asked get a documented fallback:
  - too short for a method's season: the naive method stands in (noted as "fallback");
  - missing points on the step grid: filled by linear interpolation (counted as "filled");
  - a constant training part, or actuals that are all zero: MASE, MSIS or WAPE is
    undefined for that series, shown as null and left out of the means.
A series too short for its holdout, or whose timestamps are off the step grid, is an
error naming the series; the other series are still forecast.

Flags:
%s`, fs.FlagUsages())
			return nil
		}
		return cli.Usage(fmt.Errorf("forecast: %w (see replay forecast --help)", err))
	}
	if fs.NArg() > 0 {
		return cli.Usage(fmt.Errorf("forecast: unexpected argument %q (use --trace PATH)", fs.Arg(0)))
	}
	if err := o.Validate(); err != nil {
		return cli.Usage(fmt.Errorf("forecast: %w", err))
	}
	paths, err := expandTraces(o.Traces)
	if err != nil {
		return err
	}

	// Read every series first: a bad file is reported by name.
	var series []*traces.Series
	var errs []error
	for _, p := range paths {
		s, err := traces.ReadSeries(p, &traces.SeriesOptions{Column: o.Column, Step: o.Step})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(s.Values) <= o.Holdout {
			errs = append(errs, fmt.Errorf("series %s: %d points leave no training data before a holdout of %d", s.Name, len(s.Values), o.Holdout))
			continue
		}
		series = append(series, s)
	}

	type job struct{ s, m int }
	var jobs []job
	for si := range series {
		for mi := range o.Methods {
			jobs = append(jobs, job{si, mi})
		}
	}
	results := make([]seriesResult, len(jobs))
	jobErrs := make([]error, len(jobs))
	bar := progress.Start(stderr, !o.Quiet && cli.IsTerminal(stderr), "forecasting", int64(len(jobs)))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(jobs), 1)) {
		wg.Go(func() {
			for i := range next {
				j := jobs[i]
				results[i], jobErrs[i] = forecastOne(ctx, &o, series[j.s], o.Methods[j.m])
				bar.Add(1)
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	bar.Finish()
	if err := ctx.Err(); err != nil {
		return err
	}

	var ok []seriesResult
	for i, r := range results {
		if jobErrs[i] != nil {
			errs = append(errs, jobErrs[i])
			continue
		}
		ok = append(ok, r)
	}
	rep := forecastReport{Horizon: o.Horizon, Holdout: o.Holdout, Series: ok}
	for _, m := range o.Methods {
		var rs []seriesResult
		for _, r := range ok {
			if r.Method == m {
				rs = append(rs, r)
			}
		}
		rep.Methods = append(rep.Methods, aggregate(m, rs))
	}
	if len(o.Methods) > 1 {
		all := aggregate("overall", ok)
		all.ChosenCount = nil
		rep.Overall = &all
	}
	if err := reports.WriteFile(o.Out, func(w io.Writer) error { return writeForecastCSV(w, ok, len(o.Methods) > 1) }); err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := writeForecastTable(stdout, rep); err != nil {
		return err
	}
	for _, e := range errs {
		fmt.Fprintf(stderr, "replay forecast: %v\n", e)
	}
	if len(errs) > 0 {
		return fmt.Errorf("forecast: %d failures (named above); every other forecast is in %s", len(errs), o.Out)
	}
	return nil
}

// expandTraces lists the files named, with directories expanded to their
// .csv and .parquet files in name order. Series names must be unique.
func expandTraces(args []string) ([]string, error) {
	var out []string
	seen := map[string]string{}
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		files := []string{a}
		if st.IsDir() {
			files = nil
			entries, err := os.ReadDir(a)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				ext := strings.ToLower(filepath.Ext(e.Name()))
				if !e.IsDir() && (ext == ".csv" || ext == ".parquet") {
					files = append(files, filepath.Join(a, e.Name()))
				}
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("%s: no .csv or .parquet files", a)
			}
		}
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
			if prev, dup := seen[name]; dup {
				return nil, fmt.Errorf("series %q named twice: %s and %s", name, prev, f)
			}
			seen[name] = f
			out = append(out, f)
		}
	}
	return out, nil
}

// forecastOne fits method m on the series less its holdout and scores the
// forecasts against the holdout.
func forecastOne(ctx context.Context, o *forecastOptions, s *traces.Series, name string) (seriesResult, error) {
	r := seriesResult{Series: s.Name, Method: name, Points: len(s.Values), Filled: s.Filled}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	seasons, err := o.seasonsFor(s.Step)
	if err != nil {
		return r, fmt.Errorf("series %s: %w", s.Name, err)
	}
	n := len(s.Values) - o.Holdout
	train := s.Values[:n]
	fo := &forecast.FitOptions{Start: s.Start, Step: s.Step, Seasons: seasons}
	m, _ := forecast.Lookup(name)
	f, err := m.Fit(train, fo)
	if errors.Is(err, forecast.ErrTooShort) && name != "naive" {
		r.Fallback = fmt.Sprintf("naive: %v", err)
		m = forecast.Naive{}
		f, err = m.Fit(train, fo)
	}
	if err != nil {
		return r, fmt.Errorf("series %s: %s: %w", s.Name, name, err)
	}
	if af, ok := f.(*forecast.AutoForecaster); ok {
		r.Chosen = strings.Join(af.Choice.Chosen, "+")
	}
	r.fc = f.Forecast(nil, o.Horizon)
	for i, p := range r.fc {
		if !finite(p.Mean) || !finite(p.Lo80) || !finite(p.Hi80) || !finite(p.Lo95) || !finite(p.Hi95) {
			return r, fmt.Errorf("series %s: %s forecast a value that is not finite at step %d", s.Name, name, i+1)
		}
	}

	k := min(o.Horizon, o.Holdout)
	r.Scored = k
	if k == 0 {
		return r, nil
	}
	y := s.Values[n : n+k]
	fc := r.fc[:k]
	period := 1
	if len(seasons) > 0 {
		period = int(seasons[0] / s.Step)
	}
	sc := forecast.ScoreForecast(train, y, fc, period)
	r.SMAPE = ptr(sc.SMAPE)
	if sc.MASEErr == nil {
		r.MASE, r.MSIS = ptr(sc.MASE), ptr(sc.MSIS)
	}
	for i, p := range fc {
		r.absErr += math.Abs(y[i] - p.Mean)
		r.absY += math.Abs(y[i])
		if y[i] >= p.Lo80 && y[i] <= p.Hi80 {
			r.in80++
		}
		if y[i] >= p.Lo95 && y[i] <= p.Hi95 {
			r.in95++
		}
	}
	if r.absY > 0 {
		r.WAPE = ptr(r.absErr / r.absY)
	}
	r.Cover80 = ptr(float64(r.in80) / float64(k))
	r.Cover95 = ptr(float64(r.in95) / float64(k))
	return r, nil
}

func aggregate(method string, rs []seriesResult) methodScore {
	ms := methodScore{Method: method, Series: len(rs)}
	var smape, mase, msis, absErr, absY float64
	var nS, nM, steps, in80, in95 int
	for _, r := range rs {
		if r.Chosen != "" {
			if ms.ChosenCount == nil {
				ms.ChosenCount = map[string]int{}
			}
			ms.ChosenCount[r.Chosen]++
		}
		if r.Scored == 0 {
			continue
		}
		nS++
		smape += *r.SMAPE
		if r.MASE != nil {
			nM++
			mase += *r.MASE
			msis += *r.MSIS
		} else {
			ms.MASEUndef++
		}
		absErr += r.absErr
		absY += r.absY
		steps += r.Scored
		in80 += r.in80
		in95 += r.in95
	}
	if nS > 0 {
		ms.SMAPE = ptr(smape / float64(nS))
		ms.Cover80 = ptr(float64(in80) / float64(steps))
		ms.Cover95 = ptr(float64(in95) / float64(steps))
	}
	if nM > 0 {
		ms.MASE, ms.MSIS = ptr(mase/float64(nM)), ptr(msis/float64(nM))
	}
	if absY > 0 {
		ms.WAPE = ptr(absErr / absY)
		ms.Accuracy = ptr(1 - absErr/absY)
	}
	return ms
}

func writeForecastCSV(w io.Writer, rs []seriesResult, withMethod bool) error {
	cw := csv.NewWriter(w)
	head := []string{"series", "step", "forecast", "lower80", "upper80", "lower95", "upper95"}
	if withMethod {
		head = slices.Insert(head, 1, "method")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, r := range rs {
		for i, p := range r.fc {
			rec := []string{r.Series, strconv.Itoa(i + 1), g(p.Mean), g(p.Lo80), g(p.Hi80), g(p.Lo95), g(p.Hi95)}
			if withMethod {
				rec = slices.Insert(rec, 1, r.Method)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeForecastTable(w io.Writer, rep forecastReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "method\tseries\tsMAPE\tMASE\tWAPE\taccuracy\tcover80\tcover95\tMSIS\t\n")
	row := func(m methodScore) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", m.Method, m.Series,
			num(m.SMAPE, 3), num(m.MASE, 3), num(m.WAPE, 4), num(m.Accuracy, 4), num(m.Cover80, 3), num(m.Cover95, 3), num(m.MSIS, 3))
	}
	for _, m := range rep.Methods {
		row(m)
	}
	if rep.Overall != nil {
		row(*rep.Overall)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range rep.Methods {
		if len(m.ChosenCount) == 0 {
			continue
		}
		type kv struct {
			k string
			v int
		}
		var cs []kv
		for k, v := range m.ChosenCount {
			cs = append(cs, kv{k, v})
		}
		sort.Slice(cs, func(i, j int) bool { return cs[i].v > cs[j].v || cs[i].v == cs[j].v && cs[i].k < cs[j].k })
		fmt.Fprintf(w, "\n%s chose, per series:\n", m.Method)
		for _, c := range cs {
			fmt.Fprintf(w, "  %4d  %s\n", c.v, c.k)
		}
	}
	if rep.Holdout == 0 {
		fmt.Fprintln(w, "\n(no holdout: forecasts past the end, nothing to score)")
	}
	return nil
}

func num(p *float64, digits int) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p, 'f', digits, 64)
}

func ptr(v float64) *float64 { return &v }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

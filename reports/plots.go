package reports

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// errNothing is returned by the plot functions when there is no data.
var errNothing = errors.New("reports: nothing to plot")

// timePlot returns a plot with a UTC time x axis and a linear y axis from 0.
func timePlot(title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "time (UTC)"
	p.Y.Label.Text = ylabel
	p.X.Tick.Marker = timeTicker{}
	p.Y.Tick.Marker = niceTicker{}
	p.Y.Min = 0
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

func timeXY(ts []time.Time, v func(i int) float64) plotter.XYs {
	pts := make(plotter.XYs, len(ts))
	for i := range ts {
		pts[i].X = float64(ts[i].Unix())
		pts[i].Y = v(i)
	}
	return pts
}

// headroom raises the y axis so the legend clears the highest line, and
// gives an all-zero plot a visible range.
func headroom(p *plot.Plot) {
	if p.Y.Max <= p.Y.Min {
		p.Y.Max = p.Y.Min + 1
	}
	p.Y.Max *= 1.18
}

// ForecastVsActual plots one forecasting policy's forecast of demand
// with its 80% and 95% intervals as shaded bands, against the demand that
// came, in req/s, both averaged over the timeline's buckets. Buckets
// without a forecast leave gaps.
func ForecastVsActual(title string, tl *Timeline) (*plot.Plot, error) {
	if tl == nil || !tl.Forecasts() {
		return nil, errNothing
	}
	p := timePlot(title, "requests per second")
	col := palette[0]
	band := func(lo, hi func(Band) float64, alpha uint8, name string) error {
		first := true
		for _, run := range forecastRuns(tl) {
			var pts plotter.XYs
			for i := run[0]; i < run[1]; i++ {
				pts = append(pts, plotter.XY{X: float64(tl.Time[i].Unix()), Y: hi(tl.Forecast[i])})
			}
			for i := run[1] - 1; i >= run[0]; i-- {
				pts = append(pts, plotter.XY{X: float64(tl.Time[i].Unix()), Y: lo(tl.Forecast[i])})
			}
			poly, err := plotter.NewPolygon(pts)
			if err != nil {
				return err
			}
			r, g, b, _ := col.RGBA()
			poly.Color = color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), alpha}
			poly.LineStyle.Width = 0
			p.Add(poly)
			if first {
				p.Legend.Add(name, poly)
				first = false
			}
		}
		return nil
	}
	if err := band(func(b Band) float64 { return b.Lower95 }, func(b Band) float64 { return b.Upper95 }, 50, "95% interval"); err != nil {
		return nil, err
	}
	if err := band(func(b Band) float64 { return b.Lower80 }, func(b Band) float64 { return b.Upper80 }, 90, "80% interval"); err != nil {
		return nil, err
	}
	first := true
	for _, run := range forecastRuns(tl) {
		l, err := plotter.NewLine(timeXY(tl.Time[run[0]:run[1]], func(i int) float64 { return tl.Forecast[run[0]+i].Mean }))
		if err != nil {
			return nil, err
		}
		l.Color = col
		l.Width = vg.Points(1.2)
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(l)
		if first {
			p.Legend.Add("forecast ("+tl.Policy+")", l)
			first = false
		}
	}
	actual, err := plotter.NewLine(timeXY(tl.Time, func(i int) float64 { return tl.Demand[i] }))
	if err != nil {
		return nil, err
	}
	actual.Color = color.Gray{Y: 40}
	actual.Width = vg.Points(1)
	p.Add(actual)
	p.Legend.Add("actual demand", actual)
	headroom(p)
	return p, nil
}

// forecastRuns returns the [start, end) index ranges of consecutive
// buckets that hold a forecast.
func forecastRuns(tl *Timeline) [][2]int {
	var runs [][2]int
	for i := 0; i < len(tl.HasForecast); {
		if !tl.HasForecast[i] {
			i++
			continue
		}
		j := i
		for j < len(tl.HasForecast) && tl.HasForecast[j] {
			j++
		}
		runs = append(runs, [2]int{i, j})
		i = j
	}
	return runs
}

// CumulativeSpend plots every policy's spend so far over time, in USD:
// the cost accrued per second by the instances billed, before the billing
// rounding summary.json includes.
func CumulativeSpend(title string, tls []*Timeline) (*plot.Plot, error) {
	if len(tls) == 0 || (!tls[0].HasClassical() && !tls[0].HasQuantum()) {
		return nil, errNothing
	}
	p := timePlot(title, "spend so far (USD)")
	for i, tl := range tls {
		ts, v := tl.Time, func(k int) float64 { return tl.Spend[k] }
		switch {
		case !tl.HasClassical():
			ts, v = tl.QTime, func(k int) float64 { return tl.QSpend[k] }
		case len(tl.QSpend) == len(tl.Spend):
			v = func(k int) float64 { return tl.Spend[k] + tl.QSpend[k] }
		}
		l, err := plotter.NewLine(timeXY(ts, v))
		if err != nil {
			return nil, err
		}
		styleLine(l, i, tl.Policy)
		p.Add(l)
		p.Legend.Add(tl.Policy, l)
	}
	headroom(p)
	return p, nil
}

// SLOMisses plots, for every policy, the time during which it broke the
// SLO, in minutes per bin. Bins are a round width (5 minutes, an hour, a
// day…) giving about 150 over the run, so that short bursts of misses
// stay visible; a timeline bucket counts in the bin it starts in.
func SLOMisses(title string, tls []*Timeline) (*plot.Plot, error) {
	if len(tls) == 0 || len(tls[0].Time) == 0 {
		return nil, errNothing
	}
	t0, t1 := tls[0].Time[0], tls[0].Time[len(tls[0].Time)-1].Add(tls[0].Bucket)
	width := missBin(t1.Sub(t0)/150, tls[0].Bucket)
	p := timePlot(title, fmt.Sprintf("SLO-miss minutes per %s", shortDuration(width)))
	first := t0.Truncate(width)
	n := int((t1.Sub(first) + width - 1) / width)
	for i, tl := range tls {
		bins := make([]float64, n)
		for k, t := range tl.Time {
			if b := int(t.Sub(first) / width); b >= 0 && b < n {
				bins[b] += float64(tl.Misses[k]) * tl.Step.Minutes()
			}
		}
		pts := make(plotter.XYs, n+1)
		for b := range pts {
			pts[b].X = float64(first.Add(time.Duration(b) * width).Unix())
			pts[b].Y = bins[min(b, n-1)]
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		styleLine(l, i, tl.Policy)
		l.StepStyle = plotter.PostStep
		p.Add(l)
		p.Legend.Add(tl.Policy, l)
	}
	headroom(p)
	return p, nil
}

// missBin returns the smallest round duration at least least and at least
// bucket; past a week, whole weeks.
func missBin(least, bucket time.Duration) time.Duration {
	least = max(least, bucket)
	for _, d := range []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour} {
		if d >= least {
			return d
		}
	}
	w := 7 * 24 * time.Hour
	return (least + w - 1) / w * w
}

func styleLine(l *plotter.Line, i int, policy string) {
	l.Color = palette[i%len(palette)]
	l.Width = vg.Points(1.2)
	if policy == "oracle" {
		l.Color = color.Black
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
}

// shortDuration prints d without zero minor units: 5m, 1h, 1h30m, 10s.
func shortDuration(d time.Duration) string {
	s := d.String()
	for _, suf := range []struct{ long, short string }{{"m0s", "m"}, {"h0m", "h"}} {
		if len(s) > len(suf.long) && s[len(s)-len(suf.long):] == suf.long {
			s = s[:len(s)-len(suf.long)] + suf.short
		}
	}
	return s
}

// SpendVsSLO plots every policy of the summary as a point: spend in USD
// against SLO-miss minutes. The oracle, the lower bound on spend, is a
// black square; the others are coloured discs, each labelled.
func SpendVsSLO(title string, sum Summary) (*plot.Plot, error) {
	if len(sum.Policies) == 0 {
		return nil, errNothing
	}
	p := newSpendSLOPlot(title)
	pts := make([]policyPoint, len(sum.Policies))
	for i, ps := range sum.Policies {
		pts[i] = policyPoint{ps.Name, i, ps.SpendUSD, ps.SLOMissMinutes}
	}
	if err := addPolicyPoints(p, pts); err != nil {
		return nil, err
	}
	fitSpendSLO(p, sum.Policies)
	return p, nil
}

// policyPoint is one policy's score on a scatter plot; i picks its colour.
type policyPoint struct {
	name string
	i    int
	x, y float64
}

// addPolicyPoints draws each score as a coloured disc, the oracle's as a
// black square, with a legend entry and a label beside it.
func addPolicyPoints(p *plot.Plot, pts []policyPoint) error {
	var names plotter.XYLabels
	for _, pp := range pts {
		pt := plotter.XYs{{X: pp.x, Y: pp.y}}
		s, err := plotter.NewScatter(pt)
		if err != nil {
			return err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: palette[pp.i%len(palette)], Radius: vg.Points(5), Shape: draw.CircleGlyph{}}
		label := pp.name
		if pp.name == "oracle" {
			s.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(6), Shape: draw.BoxGlyph{}}
			label = "oracle (knows the future)"
		}
		p.Add(s)
		p.Legend.Add(label, s)
		names.XYs = append(names.XYs, pt[0])
		names.Labels = append(names.Labels, pp.name)
	}
	return addPointLabels(p, names, vg.Point{X: vg.Points(7), Y: vg.Points(-4)})
}

// newSpendSLOPlot returns an empty plot with the axes, grid and legend of
// the spend-vs-SLO-miss plots.
func newSpendSLOPlot(title string) *plot.Plot { return newSpendPlot(title, "SLO-miss minutes") }

// newSpendPlot returns an empty scatter plot of spend in USD against
// ylabel, with a grid and the legend on top.
func newSpendPlot(title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "spend (USD)"
	p.Y.Label.Text = ylabel
	p.X.Tick.Marker = niceTicker{}
	p.Y.Tick.Marker = niceTicker{}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// addPointLabels writes each label to the right of and below its point.
func addPointLabels(p *plot.Plot, names plotter.XYLabels, offset vg.Point) error {
	l, err := plotter.NewLabels(names)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign = draw.XLeft
		l.TextStyle[i].YAlign = draw.YTop
	}
	l.Offset = offset
	p.Add(l)
	return nil
}

// fitSpendSLO sets the axes to hold every score: the spend axis padded by a
// tenth of the spread (or of the value), and more on the right for the
// labels; the SLO axis from 0 with room for the legend.
func fitSpendSLO(p *plot.Plot, scores []PolicySummary) {
	lo, hi, maxMiss := math.Inf(1), math.Inf(-1), 0.0
	for _, s := range scores {
		lo, hi, maxMiss = math.Min(lo, s.SpendUSD), math.Max(hi, s.SpendUSD), math.Max(maxMiss, s.SLOMissMinutes)
	}
	fitSpend(p, lo, hi, maxMiss)
}

// fitSpend sets a spend scatter's axes: spend from lo to hi padded by a
// tenth of the spread (or of the value), and more on the right for the
// labels; y from 0 to top with room for the legend.
func fitSpend(p *plot.Plot, lo, hi, top float64) {
	pad := (hi - lo) / 10
	if pad == 0 {
		pad = math.Max(math.Abs(hi)/10, 1)
	}
	p.X.Min, p.X.Max = math.Max(0, lo-pad), hi+3*pad
	p.Y.Min, p.Y.Max = 0, math.Max(top, 1)*1.3
}

// SweepSpendVsSLO plots the cells of a sweep as discs, spend in USD
// against SLO-miss minutes, with the oracle's score on each trace as a
// black square. Points are labelled with their names when there are at
// most 20 cells; past that the cloud speaks for itself.
func SweepSpendVsSLO(title string, cells, oracles []PolicySummary) (*plot.Plot, error) {
	if len(cells) == 0 {
		return nil, errNothing
	}
	p := newSpendSLOPlot(title)
	xy := func(ps []PolicySummary) plotter.XYs {
		pts := make(plotter.XYs, len(ps))
		for i, s := range ps {
			pts[i] = plotter.XY{X: s.SpendUSD, Y: s.SLOMissMinutes}
		}
		return pts
	}
	c, err := plotter.NewScatter(xy(cells))
	if err != nil {
		return nil, err
	}
	c.GlyphStyle = draw.GlyphStyle{Color: palette[0], Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
	p.Add(c)
	p.Legend.Add(fmt.Sprintf("policy variants (%d cells)", len(cells)), c)
	if len(oracles) > 0 {
		o, err := plotter.NewScatter(xy(oracles))
		if err != nil {
			return nil, err
		}
		o.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(5), Shape: draw.BoxGlyph{}}
		p.Add(o)
		p.Legend.Add("oracle (knows the future)", o)
	}
	if len(cells) <= 20 {
		names := plotter.XYLabels{XYs: xy(cells)}
		for _, s := range cells {
			names.Labels = append(names.Labels, s.Name)
		}
		if err := addPointLabels(p, names, vg.Point{X: vg.Points(5), Y: vg.Points(-3)}); err != nil {
			return nil, err
		}
	}
	fitSpendSLO(p, append(slices.Clone(cells), oracles...))
	return p, nil
}

package reports

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/omnixan/omnixan/sim"
)

// Timeline keeps a bounded picture of one policy's run for plotting: step
// records averaged into buckets of a fixed width, so a year of 1-second
// steps costs no more memory than a day.
type Timeline struct {
	Policy   string
	Bucket   time.Duration
	Capacity float64 // req/s one ready instance serves, to turn counts into capacity

	Time     []time.Time // bucket starts
	Demand   []float64   // mean arrival rate, req/s
	Served   []float64   // mean ready capacity, req/s
	Instance []float64   // mean provisioned instances
	Spend    []float64   // USD accrued from the start to the bucket's end, before billing rounding
	Misses   []int       // steps in the bucket that broke the SLO

	// Forecast holds, for buckets where HasForecast, the mean over the
	// bucket's steps that had one of sim.StepRecord's forecast and
	// intervals, req/s.
	HasForecast []bool
	Forecast    []Band

	Step time.Duration // the run's step, to turn Misses into minutes

	// The quantum side, when the run had one (sim.QuantumRecord), in
	// buckets of the same width: QTime the bucket starts, QQueued and
	// QRunning the mean jobs waiting and running, QWorkers and QReserved
	// the mean simulator workers and reserved QPU devices billed, QSpend
	// the quantum USD accrued to the bucket's end.
	QTime                                  []time.Time
	QQueued, QRunning, QWorkers, QReserved []float64
	QSpend                                 []float64
	qn                                     int
	qcur                                   time.Time
	qsum                                   [4]float64
	qspend                                 float64
	qstarted                               bool

	n       int
	cur     time.Time
	sumD    float64
	sumC    float64
	sumI    float64
	spend   float64
	misses  int
	nF      int
	sumF    Band
	started bool
}

// Band is a forecast with its 80% and 95% intervals.
type Band struct {
	Mean             float64
	Lower80, Upper80 float64
	Lower95, Upper95 float64
}

// NewTimeline returns a Timeline whose buckets are at least step wide and
// hold at most about points buckets over span.
func NewTimeline(policy string, capacity float64, span, step time.Duration, points int) *Timeline {
	b := step
	if points > 0 && span/time.Duration(points) > b {
		b = (span/time.Duration(points) + step - 1) / step * step
	}
	return &Timeline{Policy: policy, Bucket: b, Capacity: capacity, Step: step}
}

// Record adds one step; pass it as sim.Config.Record.
func (t *Timeline) Record(r sim.StepRecord) {
	if !t.started {
		t.cur, t.started = r.Time, true
	}
	if r.Time.Sub(t.cur) >= t.Bucket {
		t.flush()
		t.cur = t.cur.Add(r.Time.Sub(t.cur) / t.Bucket * t.Bucket)
	}
	t.n++
	t.sumD += r.Demand
	t.sumC += float64(r.Ready) * t.Capacity
	t.sumI += float64(r.Provisioned)
	t.spend += r.Cost
	if r.Miss {
		t.misses++
	}
	if r.HasForecast {
		t.nF++
		t.sumF.Mean += r.Forecast
		t.sumF.Lower80 += r.Lower80
		t.sumF.Upper80 += r.Upper80
		t.sumF.Lower95 += r.Lower95
		t.sumF.Upper95 += r.Upper95
	}
}

// RecordQuantum adds one step of the quantum side; pass it as
// sim.QuantumRun.Record.
func (t *Timeline) RecordQuantum(r sim.QuantumRecord) {
	if !t.qstarted {
		t.qcur, t.qstarted = r.Time, true
	}
	if r.Time.Sub(t.qcur) >= t.Bucket {
		t.flushQuantum()
		t.qcur = t.qcur.Add(r.Time.Sub(t.qcur) / t.Bucket * t.Bucket)
	}
	t.qn++
	t.qsum[0] += float64(r.Queued)
	t.qsum[1] += float64(r.Running)
	t.qsum[2] += float64(r.Workers)
	t.qsum[3] += float64(r.Reserved)
	t.qspend = r.Spend
}

func (t *Timeline) flushQuantum() {
	if t.qn == 0 {
		return
	}
	n := float64(t.qn)
	t.QTime = append(t.QTime, t.qcur)
	t.QQueued = append(t.QQueued, t.qsum[0]/n)
	t.QRunning = append(t.QRunning, t.qsum[1]/n)
	t.QWorkers = append(t.QWorkers, t.qsum[2]/n)
	t.QReserved = append(t.QReserved, t.qsum[3]/n)
	t.QSpend = append(t.QSpend, t.qspend)
	t.qn, t.qsum = 0, [4]float64{}
}

// HasClassical reports whether the timeline holds classical steps.
func (t *Timeline) HasClassical() bool { return len(t.Time) > 0 }

// HasQuantum reports whether the timeline holds quantum steps.
func (t *Timeline) HasQuantum() bool { return len(t.QTime) > 0 }

// Close flushes the last buckets.
func (t *Timeline) Close() {
	t.flush()
	t.flushQuantum()
}

func (t *Timeline) flush() {
	if t.n == 0 {
		return
	}
	n := float64(t.n)
	t.Time = append(t.Time, t.cur)
	t.Demand = append(t.Demand, t.sumD/n)
	t.Served = append(t.Served, t.sumC/n)
	t.Instance = append(t.Instance, t.sumI/n)
	t.Spend = append(t.Spend, t.spend)
	t.Misses = append(t.Misses, t.misses)
	var f Band
	if t.nF > 0 {
		k := float64(t.nF)
		f = Band{t.sumF.Mean / k, t.sumF.Lower80 / k, t.sumF.Upper80 / k, t.sumF.Lower95 / k, t.sumF.Upper95 / k}
	}
	t.HasForecast = append(t.HasForecast, t.nF > 0)
	t.Forecast = append(t.Forecast, f)
	t.n, t.sumD, t.sumC, t.sumI, t.misses, t.nF, t.sumF = 0, 0, 0, 0, 0, 0, Band{}
}

// Forecasts reports whether any bucket holds a forecast.
func (t *Timeline) Forecasts() bool { return slices.Contains(t.HasForecast, true) }

// palette is colour-blind safe (Okabe–Ito).
var palette = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{213, 94, 0, 255},    // vermilion
	color.RGBA{0, 158, 115, 255},   // green
	color.RGBA{204, 121, 167, 255}, // purple
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{86, 180, 233, 255},  // sky
}

// DemandVsCapacity plots the demand (from the first timeline) and every
// policy's ready capacity over time, in req/s.
func DemandVsCapacity(title string, tls []*Timeline) (*plot.Plot, error) {
	if len(tls) == 0 || len(tls[0].Time) == 0 {
		return nil, fmt.Errorf("reports: nothing to plot")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "time (UTC)"
	p.Y.Label.Text = "requests per second"
	p.X.Tick.Marker = timeTicker{}
	p.Y.Tick.Marker = niceTicker{}
	p.Y.Min = 0
	p.Legend.Top = true
	p.Add(plotter.NewGrid())

	xy := func(ts []time.Time, v []float64) plotter.XYs {
		pts := make(plotter.XYs, len(v))
		for i := range v {
			pts[i].X = float64(ts[i].Unix())
			pts[i].Y = v[i]
		}
		return pts
	}
	demand, err := plotter.NewLine(xy(tls[0].Time, tls[0].Demand))
	if err != nil {
		return nil, err
	}
	demand.Color = color.Gray{Y: 40}
	demand.Width = vg.Points(1)
	p.Add(demand)
	p.Legend.Add("demand", demand)
	for i, tl := range tls {
		l, err := plotter.NewLine(xy(tl.Time, tl.Served))
		if err != nil {
			return nil, err
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.2)
		l.StepStyle = plotter.PreStep
		p.Add(l)
		p.Legend.Add(tl.Policy+" capacity", l)
	}
	// Leave headroom for the legend above the highest line.
	p.Y.Max *= 1.18
	return p, nil
}

// timeTicker marks Unix-second axes at round UTC times: midnights for
// spans of days, whole hours for shorter ones.
type timeTicker struct{}

func (timeTicker) Ticks(lo, hi float64) []plot.Tick {
	span := time.Duration((hi - lo) * float64(time.Second))
	steps := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour,
		6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour, 28 * 24 * time.Hour}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	format := "15:04"
	if step >= 24*time.Hour {
		format = "Mon Jan 2"
	}
	sec := int64(step / time.Second)
	first := (int64(math.Ceil(lo)) + sec - 1) / sec * sec
	var ticks []plot.Tick
	for t := first; float64(t) <= hi; t += sec {
		tm := time.Unix(t, 0).UTC()
		label := tm.Format(format)
		if step < 24*time.Hour && (tm.Hour() == 0 && tm.Minute() == 0 || len(ticks) == 0) {
			label = tm.Format("Jan 2\n15:04")
		}
		ticks = append(ticks, plot.Tick{Value: float64(t), Label: label})
	}
	return ticks
}

// niceTicker marks a linear axis at 1, 2 or 5 × 10^k intervals, 4 to 10
// labelled ticks, with labels that carry no needless decimals.
type niceTicker struct{}

func (niceTicker) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 6, 64)}}
	}
	mag := math.Pow(10, math.Floor(math.Log10(span/5)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if span/(m*mag) <= 8 {
			step = m * mag
			break
		}
	}
	var ticks []plot.Tick
	for k := math.Ceil(lo / step); k*step <= hi+step*1e-9; k++ {
		v := k * step
		label := strconv.FormatFloat(v, 'g', 10, 64) // k·step is exact enough to print short
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
		for i := 1; i < 5; i++ {
			if m := v + float64(i)*step/5; m <= hi {
				ticks = append(ticks, plot.Tick{Value: m})
			}
		}
	}
	return ticks
}

// SavePNG writes p as a PNG of the given size to path, atomically.
func SavePNG(p *plot.Plot, w, h vg.Length, path string) error {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return err
	}
	return WriteFile(path, func(f io.Writer) error {
		_, err := wt.WriteTo(f)
		return err
	})
}

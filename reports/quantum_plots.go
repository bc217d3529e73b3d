package reports

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// QuantumQueue plots, for every policy, the quantum jobs waiting (solid)
// and running (dashed) over time, as means over the timeline's buckets:
// their sum is the original module's quantum_workload.
func QuantumQueue(title string, tls []*Timeline) (*plot.Plot, error) {
	if len(tls) == 0 || !tls[0].HasQuantum() {
		return nil, errNothing
	}
	p := timePlot(title, "quantum jobs")
	for i, tl := range tls {
		q, err := plotter.NewLine(timeXY(tl.QTime, func(k int) float64 { return tl.QQueued[k] }))
		if err != nil {
			return nil, err
		}
		styleLine(q, i, tl.Policy)
		p.Add(q)
		p.Legend.Add(tl.Policy+" queued", q)
		r, err := plotter.NewLine(timeXY(tl.QTime, func(k int) float64 { return tl.QRunning[k] }))
		if err != nil {
			return nil, err
		}
		styleLine(r, i, tl.Policy)
		r.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(r)
		p.Legend.Add(tl.Policy+" running", r)
	}
	headroom(p)
	return p, nil
}

// QuantumCapacity plots, for every policy, the simulator workers (solid)
// and reserved QPU devices (dashed) it held over time, as bucket means.
func QuantumCapacity(title string, tls []*Timeline) (*plot.Plot, error) {
	if len(tls) == 0 || !tls[0].HasQuantum() {
		return nil, errNothing
	}
	p := timePlot(title, "simulator workers, reserved QPUs")
	for i, tl := range tls {
		w, err := plotter.NewLine(timeXY(tl.QTime, func(k int) float64 { return tl.QWorkers[k] }))
		if err != nil {
			return nil, err
		}
		styleLine(w, i, tl.Policy)
		w.StepStyle = plotter.PreStep
		p.Add(w)
		p.Legend.Add(tl.Policy+" workers", w)
		r, err := plotter.NewLine(timeXY(tl.QTime, func(k int) float64 { return tl.QReserved[k] }))
		if err != nil {
			return nil, err
		}
		styleLine(r, i, tl.Policy)
		r.StepStyle = plotter.PreStep
		r.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(r)
		p.Legend.Add(tl.Policy+" reserved QPUs", r)
	}
	headroom(p)
	return p, nil
}

// SpendVsWait plots each policy's total spend in USD against its quantum
// jobs' p95 wait in minutes, the oracle as a black square.
func SpendVsWait(title string, sum Summary) (*plot.Plot, error) {
	p := newSpendPlot(title, "quantum job wait, p95 (minutes)")
	var pts []policyPoint
	lo, hi, top := math.Inf(1), math.Inf(-1), 0.0
	for i, ps := range sum.Policies {
		if q := ps.QuantumSummary; q != nil {
			pp := policyPoint{ps.Name, i, ps.SpendUSD, q.WaitP95Seconds / 60}
			pts = append(pts, pp)
			lo, hi, top = math.Min(lo, pp.x), math.Max(hi, pp.x), math.Max(top, pp.y)
		}
	}
	if len(pts) == 0 {
		return nil, errNothing
	}
	if err := addPolicyPoints(p, pts); err != nil {
		return nil, err
	}
	fitSpend(p, lo, hi, top)
	return p, nil
}

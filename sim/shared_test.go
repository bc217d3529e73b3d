package sim

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/policy"
)

// longLoad is a day of 10 s steps with a daily cycle: several shared
// blocks long.
func longLoad() *sliceLoad {
	rates := make([]float64, 8640*2)
	for i := range rates {
		rates[i] = 600 + 400*math.Sin(2*math.Pi*float64(i)/8640)
	}
	return &sliceLoad{step: 10 * time.Second, rates: rates}
}

// Runs reading a SharedLoad give the same results as runs reading the load
// themselves.
func TestSharedLoadMatchesOwnStreams(t *testing.T) {
	mk := func() []policy.Policy {
		return []policy.Policy{
			mustThreshold(t, policy.ThresholdConfig{Max: 100}),
			&policy.Oracle{StartupDelay: 60 * time.Second, SyncPeriod: 15 * time.Second},
		}
	}
	ac := autoscaler.Config{Min: 1}
	var own []*Result
	for _, p := range mk() {
		r, err := Run(context.Background(), Config{}, longLoad(), p, ac)
		if err != nil {
			t.Fatal(err)
		}
		own = append(own, r)
	}
	sl, err := NewSharedLoad(context.Background(), Config{}, longLoad(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer sl.Close()
	ps := mk()
	shared := make([]*Result, 2)
	errs := make([]error, 2)
	done := make(chan int)
	for i := range ps {
		go func() {
			shared[i], errs[i] = Run(context.Background(), Config{}, sl.Steps(i), ps[i], ac)
			done <- i
		}()
	}
	<-done
	<-done
	for i := range ps {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !reflect.DeepEqual(own[i], shared[i]) {
			t.Errorf("policy %d: own stream %+v\nshared %+v", i, own[i], shared[i])
		}
	}
}

// A bad row part way through fails every run reading the shared load, and
// a run that stops early does not stall the others.
func TestSharedLoadErrorsAndAbandon(t *testing.T) {
	bad := longLoad()
	bad.rates[12000] = math.NaN()
	sl, err := NewSharedLoad(context.Background(), Config{}, bad, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer sl.Close()
	errs := make(chan error, 2)
	for i := range 2 {
		go func() {
			_, err := Run(context.Background(), Config{}, sl.Steps(i), mustThreshold(t, policy.ThresholdConfig{Max: 100}), autoscaler.Config{Min: 1})
			errs <- err
		}()
	}
	for range 2 {
		select {
		case err := <-errs:
			if err == nil {
				t.Error("a run of a load with a NaN rate succeeded")
			}
		case <-time.After(30 * time.Second):
			t.Fatal("runs of a failing shared load hang")
		}
	}

	sl2, err := NewSharedLoad(context.Background(), Config{}, longLoad(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer sl2.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the first run stops at once
	if _, err := Run(ctx, Config{}, sl2.Steps(0), mustThreshold(t, policy.ThresholdConfig{Max: 100}), autoscaler.Config{Min: 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
	res := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), Config{}, sl2.Steps(1), mustThreshold(t, policy.ThresholdConfig{Max: 100}), autoscaler.Config{Min: 1})
		res <- err
	}()
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the other run stalled after one gave up")
	}
}

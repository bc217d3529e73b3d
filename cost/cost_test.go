package cost

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestInstanceHourCharge(t *testing.T) {
	tests := []struct {
		name  string
		price InstanceHour
		life  time.Duration
		want  float64
	}{
		{"one hour", InstanceHour{USDPerHour: 0.36}, time.Hour, 0.36},
		{"per second rounds up a partial second", InstanceHour{USDPerHour: 3.6}, 1500 * time.Millisecond, 3.6 * 2 / 3600},
		{"exact seconds", InstanceHour{USDPerHour: 3.6}, 90 * time.Second, 0.09},
		{"minimum applies", InstanceHour{USDPerHour: 3.6, Minimum: time.Minute}, 5 * time.Second, 0.06},
		{"hourly granularity", InstanceHour{USDPerHour: 1, Granularity: time.Hour}, 61 * time.Minute, 2},
		{"zero life costs nothing", InstanceHour{USDPerHour: 1}, 0, 0},
		{"negative life costs nothing", InstanceHour{USDPerHour: 1}, -time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.price.Charge(tt.life); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Charge(%v) = %v, want %v", tt.life, got, tt.want)
			}
		})
	}
}

func TestInstanceHourValidate(t *testing.T) {
	for _, p := range []InstanceHour{
		{USDPerHour: -1}, {USDPerHour: math.NaN()}, {USDPerHour: math.Inf(1)},
		{USDPerHour: 1, Granularity: -time.Second}, {USDPerHour: 1, Minimum: -time.Second},
	} {
		if err := p.Validate(); !errors.Is(err, ErrInvalidPrice) {
			t.Errorf("%+v: Validate() = %v, want ErrInvalidPrice", p, err)
		}
	}
	if err := (InstanceHour{USDPerHour: 0.1}).Validate(); err != nil {
		t.Errorf("valid price: %v", err)
	}
}

func TestAffordable(t *testing.T) {
	p := InstanceHour{USDPerHour: 0.1}
	if got := p.Affordable(1.0); got != 10 {
		t.Errorf("Affordable(1.0) = %d, want 10", got)
	}
	if got := p.Affordable(0); got != math.MaxInt {
		t.Errorf("Affordable(0) = %d, want no limit", got)
	}
}

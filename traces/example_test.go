package traces_test

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/omnixan/omnixan/traces"
)

func ExampleNewCSVReader() {
	in := "timestamp,requests_per_second\n0,42\n60,62\n120.5,58\n"
	r, err := traces.NewCSVReader("example.csv", strings.NewReader(in), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	fmt.Println(r.Columns())
	var row traces.Row
	for {
		if err := r.Next(&row); err == io.EOF {
			break
		} else if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(row.Time.Format(time.RFC3339Nano), row.Values)
	}
	// Output:
	// [requests_per_second]
	// 1970-01-01T00:00:00Z [42]
	// 1970-01-01T00:01:00Z [62]
	// 1970-01-01T00:02:00.5Z [58]
}

func ExampleParseError() {
	in := "timestamp,value\n0,1\n60,2\n30,3\n"
	r, _ := traces.NewCSVReader("trace.csv", strings.NewReader(in), nil)
	var row traces.Row
	var err error
	for err == nil {
		err = r.Next(&row)
	}
	fmt.Println(err)
	// Output:
	// trace.csv:4: column "timestamp": timestamp out of order: 1970-01-01T00:00:30Z before 1970-01-01T00:01:00Z
}

func ExampleNewLoad() {
	load, err := traces.NewLoad(traces.LoadOptions{
		Start:          time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), // a Monday
		Step:           6 * time.Hour,
		Length:         24 * time.Hour,
		Base:           100, // req/s
		DailyAmplitude: 0.5,
		Seed:           1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var row traces.Row
	for load.Next(&row) == nil {
		fmt.Printf("%s %.2f req/s (mean %.2f)\n", row.Time.Format(time.Kitchen), row.Values[0], load.Rate(row.Time))
	}
	// Output:
	// 12:00AM 64.64 req/s (mean 64.64)
	// 6:00AM 64.64 req/s (mean 64.64)
	// 12:00PM 135.36 req/s (mean 135.36)
	// 6:00PM 135.36 req/s (mean 135.36)
}

func ExampleNewArrivals() {
	jobs, err := traces.NewArrivals(traces.ArrivalOptions{
		Start:       time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC),
		Length:      time.Hour,
		RatePerHour: 4,
		Burst:       &traces.MMPP{BurstRatePerHour: 300, MeanCalm: 4 * time.Hour, MeanBurst: 15 * time.Minute},
		Backends:    []string{"ibm_brisbane", "sv1"},
		Seed:        1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var j traces.Job
	n := 0
	for jobs.Next(&j) == nil {
		n++
	}
	fmt.Printf("%d jobs in the first hour; long-run mean %.1f jobs/h\n", n, jobs.MeanRatePerHour())
	// Output:
	// 4 jobs in the first hour; long-run mean 21.4 jobs/h
}

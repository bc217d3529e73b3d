// Command loadexporter is a test exporter for trying the live autoscaler by
// hand and for the documented RSS run: it serves one gauge,
// omnixan_test_requests_per_second, for Prometheus to scrape, whose value
// is set over HTTP or follows a sine wave.
//
//	go run ./testenv/loadexporter --addr 127.0.0.1:9400 --base 40 --amplitude 30 --period 10m
//	curl -X PUT '127.0.0.1:9400/load?value=75'    # hold 75 req/s (value=auto: back to the wave)
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9400", "listen address")
	base := flag.Float64("base", 40, "mean load, req/s")
	amp := flag.Float64("amplitude", 0, "amplitude of the sine wave around --base, req/s")
	period := flag.Duration("period", 10*time.Minute, "period of the sine wave")
	flag.Parse()

	var mu sync.Mutex
	var fixed *float64
	start := time.Now()
	value := func() float64 {
		mu.Lock()
		defer mu.Unlock()
		if fixed != nil {
			return *fixed
		}
		ph := 2 * math.Pi * time.Since(start).Seconds() / period.Seconds()
		return math.Max(0, *base+*amp*math.Sin(ph))
	}
	http.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP omnixan_test_requests_per_second Test load.\n# TYPE omnixan_test_requests_per_second gauge\nomnixan_test_requests_per_second %g\n", value())
	})
	http.HandleFunc("/load", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut || r.Method == http.MethodPost {
			v := r.FormValue("value")
			mu.Lock()
			if v == "auto" {
				fixed = nil
			} else if x, err := strconv.ParseFloat(v, 64); err == nil && x >= 0 && !math.IsInf(x, 0) {
				fixed = &x
			} else {
				mu.Unlock()
				http.Error(w, "value: want a number ≥ 0 or auto", http.StatusBadRequest)
				return
			}
			mu.Unlock()
		}
		fmt.Fprintf(w, "%g\n", value())
	})
	log.Printf("serving omnixan_test_requests_per_second on http://%s/metrics", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

package cost

import (
	"testing"
	"time"
)

func BenchmarkJobCost(b *testing.B) {
	prices := DefaultPrices()
	var ps []QuantumPrice
	for _, n := range []string{"qubit-hour", "braket-ionq-aria", "ibm-payg", "braket-sv1"} {
		p, _ := prices.QuantumPrice(n)
		ps = append(ps, p)
	}
	j := QuantumJob{Qubits: 27, Shots: 8192, Circuits: 2, Runtime: 58 * time.Second}
	var l Ledger
	for i := 0; b.Loop(); i++ {
		c, err := ps[i%len(ps)].JobCost(j)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Add(Quantum, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}

func BenchmarkParseCatalogue(b *testing.B) {
	for b.Loop() {
		if _, err := ParseCatalogue("default-catalogue.yaml", defaultCatalogueYAML); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "catalogues/s")
}

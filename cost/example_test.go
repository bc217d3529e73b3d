package cost_test

import (
	"fmt"
	"time"

	"github.com/omnixan/omnixan/cost"
)

func Example() {
	prices := cost.DefaultPrices()
	aria, _ := prices.QuantumPrice("braket-ionq-aria")
	ibm, _ := prices.QuantumPrice("ibm-payg")

	var ledger cost.Ledger
	limit := cost.SpendingLimit{LimitUSD: 200}
	for _, q := range []struct {
		p cost.QuantumPrice
		j cost.QuantumJob
	}{
		{aria, cost.QuantumJob{Shots: 1000}},
		{ibm, cost.QuantumJob{Runtime: 90 * time.Second}},
		{ibm, cost.QuantumJob{Runtime: 90 * time.Second}}, // over the limit
	} {
		usd, err := limit.Charge(q.p, q.j)
		if err != nil {
			fmt.Println("rejected:", err)
			continue
		}
		ledger.Add(cost.Quantum, usd)
	}
	std2, _ := prices.Instance("std-2")
	ledger.Add(cost.Classical, std2.Price().Charge(90*time.Minute))
	b := ledger.Breakdown()
	fmt.Printf("classical %.2f USD, quantum %.2f USD\n", b["classical"], b["quantum"])
	// Output:
	// rejected: spending limit exceeded: job costs 144.0000 USD, 174.3000 of 200.0000 USD already spent
	// classical 0.15 USD, quantum 174.30 USD
}

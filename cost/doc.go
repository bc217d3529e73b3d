// Package cost prices the capacity a policy provisions.
//
// Prices are in US dollars. A price per instance-hour is billed per second
// of the instance's life by default, from launch (not from readiness: a
// starting instance is already paid for) to termination, each started
// billing increment charged in full, with an optional minimum charge per
// instance.
//
// A Catalogue (LoadCatalogue, or DefaultPrices for the embedded
// default-catalogue.yaml) holds classical instance types, a per-resource
// price for arbitrary sizes and quantum price models, each with the source
// and date of its price; docs/cost-catalogue.md documents the file. In USD:
//
//	instance        usd_per_hour · billed hours, spot: · (1 − spot_discount)
//	any size        (vCPU · usd_per_core_hour + GiB · usd_per_gib_hour) · billed hours
//	QubitHour       qubits · runtime[h] · usd_per_qubit_hour
//	PerShot         circuits · (usd_per_task + shots · usd_per_shot)      (Amazon Braket QPUs)
//	PerQPUSecond    ⌈runtime[s]⌉ · usd_per_second, runtime ≤ max_runtime   (IBM Quantum)
//	Simulator       max(runtime, circuits · minimum)[min] · usd_per_minute (Braket SV1)
//
// SpendingLimit rejects quantum jobs over a limit, Budget says whether a
// charge fits per-hour and per-run caps, and Ledger sums spend by Class for
// a run's spend breakdown.
package cost

// Package traces reads, writes and generates the load traces and quantum job
// traces that OMNIXAN replays through its scaling policies.
//
// Everything streams: readers and generators hand out one row at a time and
// hold a fixed amount of memory (one CSV record, or a batch of 1,024 decoded
// values per Parquet column), whatever the length of the trace. Nothing in
// the package panics on bad input; readers return a *ParseError that names
// the file, the CSV line or Parquet row, and the column, and that wraps one
// of the sentinel errors (ErrOutOfOrder, ErrDuplicateTime, ErrNotFinite,
// ErrNegative, ErrMissingColumn, ErrEmpty, ErrMalformed) for errors.Is.
//
// # Load traces
//
// A load trace is a timestamp column and one or more numeric columns, one
// row per sample, in strictly increasing time. Values are in the units their
// column names say (requests_per_second in req/s, cpu_cores in cores,
// memory_gib in GiB, quantum_jobs in jobs); they must be finite and, unless
// ReadOptions.AllowNegative, not negative. Open, NewCSVReader and
// NewParquetReader read them; Create, NewCSVWriter and NewParquetWriter
// write them.
//
// CSV. The header names the columns; the timestamp column is "timestamp"
// (or "time", or ReadOptions.TimeColumn), in any position. Timestamps are
// either RFC 3339 with optional fractional seconds and a zone ("Z" or an
// offset; a space may stand for the "T"), or Unix seconds, integer or
// decimal. Decimal seconds are read exactly to the nanosecond. Times are
// returned in UTC. A trace whose timestamps count seconds from the start of
// a series, like the NASA-HTTP and Alibaba per-minute series in
// data/traces, reads as is: it starts at the Unix epoch, 1970-01-01T00:00Z.
//
//	timestamp,requests_per_second,cpu_cores
//	2025-03-01T00:00:00Z,120.5,3.25
//	2025-03-01T00:01:00Z,131,3.5
//	2025-03-01T00:02:00.5Z,127.25,3.5
//
// and the same as Unix seconds, as the real per-minute traces have it:
//
//	timestamp,value
//	0,42
//	60,62
//	120,58
//
// Writers produce the first form, with nanosecond RFC 3339 times in UTC and
// values in the shortest form that parses back to the same float64, so that
// a write and a read give back exactly the rows written, -0, 1e-300 and
// math.MaxFloat64 included.
//
// Parquet. Writers produce a flat schema: a required INT64
// TIMESTAMP(NANOS, isAdjustedToUTC) column "timestamp" (delta encoded), then
// one required DOUBLE column per value column, in the order given,
// Snappy-compressed, 131,072 rows per row group. The schema of the example
// above is
//
//	message trace {
//		required int64 timestamp (TIMESTAMP(NANOS,true));
//		required double requests_per_second;
//		required double cpu_cores;
//	}
//
// Readers accept more: a timestamp column of INT64 TIMESTAMP in
// milliseconds, microseconds or nanoseconds, legacy INT96, INT32 DATE, a
// string as in CSV, or a plain integer or float of Unix seconds; and as
// values every other top-level INT32, INT64, FLOAT, DOUBLE or integer DECIMAL
// column, skipping strings, booleans, nested groups and pandas'
// "__index_level_N__" index columns. Compression may be none, Snappy, gzip,
// Zstandard or Brotli; LZ4 and LZO are refused. Pages are limited to 64 MiB
// uncompressed and 4 Mi values (checked from the page headers before
// decoding, so that a damaged file cannot make the reader allocate
// gigabytes). Nanosecond timestamps limit written traces to 1677-2262. In
// errors, Parquet rows are numbered from 1.
//
// Prometheus. NewPrometheusReader and OpenPrometheusJSON read one series
// of a saved query_range response (resultType "matrix"; points
// [unix_seconds, "value"]) as a load trace with one column, "value",
// selected by labels when the response holds several (PrometheusOptions).
// They stream the JSON token by token. Errors give the point as Row and
// the byte offset. FetchPrometheus pulls a range from a running server's
// HTTP API, split into requests of at most 11,000 points (Prometheus'
// limit), into any Writer. Scan makes one pass over a trace for its span,
// mean, maximum and quantiles (a Sketch: relative error α, memory that
// does not grow with the length).
//
// # Quantum job traces
//
// A job trace is an event table, one row per submitted job, in
// non-decreasing submission time (ties allowed):
//
//	submit_time,qubits,shots,depth,circuits,backend
//	2025-03-01T09:00:00Z,5,8192,13,1,ibm_brisbane
//	2025-03-01T09:00:00Z,27,1024,108,680,ibm_brisbane
//	2025-03-01T09:04:31.25Z,5,8000,0,2,ionq_aria
//
// submit_time takes the forms of a load-trace timestamp; qubits ≥ 1,
// shots ≥ 1 (per circuit), depth ≥ 0 and circuits ≥ 1 (the batch size) are
// integers; circuits and backend are optional. A trace without a circuits
// column reads with Job.Circuits 0, which means 1; the writers always write
// the column, with 0 written as 1, so every other count round-trips
// exactly. In Parquet the writer uses INT64 TIMESTAMP(NANOS) for
// submit_time, INT64 for the counts and a UTF-8 string for backend. OpenJobs, NewJobCSVReader and
// NewJobParquetReader read them; CreateJobs, NewJobCSVWriter and
// NewJobParquetWriter write them.
//
// # Synthetic load
//
// Load generates a one-column load trace with rows at t_k = Start + k·Step.
// Its noise-free mean (Load.Rate) is
//
//	λ(t) = Base · D(t) · W(t) · T(t) · F(t)
//
// with, for h the hour of day of t on the wall clock of Start's location
// (fractional, 0 ≤ h < 24), d = (t − Start) in days, and a_d, a_w, g the
// DailyAmplitude, WeeklyAmplitude and Trend:
//
//	D(t) = 1 + a_d · cos(2π (h − 15) / 24)      peak at 15:00, trough at 03:00
//	W(t) = 1 − a_w on Saturday and Sunday, 1 otherwise (local calendar)
//	T(t) = (1 + g)^d                            compound growth per day
//	F(t) = max(0, 1 + Σ_i (Factor_i − 1) · s_i(t − Start − At_i))
//
// where each flash crowd's shape rises linearly and decays exponentially,
//
//	s(τ) = 0                        τ < 0
//	s(τ) = τ / Rise                 0 ≤ τ < Rise
//	s(τ) = exp(−(τ − Rise) / Decay) τ ≥ Rise
//
// so that the load peaks at Factor times its normal level Rise after At.
//
// The value at row k is λ(t_k) times a mean-one log-normal noise factor
// driven by a stationary Gaussian AR(1) process:
//
//	x_0 ~ N(0, 1),   x_k = φ x_{k−1} + √(1 − φ²) ε_k,   ε_k ~ N(0, 1)
//	φ   = exp(−Step / NoiseCorrelation)
//	σ²  = ln(1 + Noise²)
//	y_k = λ(t_k) · exp(σ x_k − σ²/2)
//
// so E[y_k] = λ(t_k), the relative standard deviation of y_k is exactly
// Noise, and the noise is smooth over NoiseCorrelation (five minutes by
// default) instead of independent from row to row. Values are never
// negative.
//
// # Synthetic quantum jobs
//
// Arrivals generates a job stream. Arrival times are a Poisson process of
// rate RatePerHour or, with Burst, a two-state Markov-modulated Poisson
// process (MMPP): rate RatePerHour in the calm state and BurstRatePerHour in
// the burst state, with exponential sojourns of means MeanCalm and
// MeanBurst, starting from the stationary state distribution. Its long-run
// rate is (λ_calm·MeanCalm + λ_burst·MeanBurst) / (MeanCalm + MeanBurst)
// (Arrivals.MeanRatePerHour). The MMPP reproduces what the source below
// reports of real arrivals: "very bursty: up to 341 jobs in one hour, and
// 963 of 16,394 hours have any job at all" — a calm rate near zero and short
// bursts of hundreds of jobs per hour.
//
// Qubits, shots and depth are drawn independently of one another and of the
// arrival time (the source publishes marginals only) from the statistics of
// 5,704 IBM Quantum jobs computed from the job log of G. S. Ravi, K. N.
// Smith, P. Gokhale, F. T. Chong, "Quantum Computing in the Cloud: Analyzing
// job and machine characteristics", IISWC 2021 (arXiv:2203.13121), as
// summarised in data/quantum/README.md:
//
//   - Shots: one of the five most common values, with probabilities 8192:
//     0.40, 1024: 0.22, 8000: 0.18, 1000: 0.12, 5000: 0.08. The source ranks
//     them in this order but gives no frequencies; these weights are ours,
//     chosen to keep the ranking and the published quantiles (p10 1,000,
//     p50 8,000, p90 8,192, max 8,192).
//   - Depth: Q(u) for u ~ U[0, 1), rounded to the nearest integer, where Q
//     interpolates linearly between the published quantiles (u, depth) =
//     (0, 0), (0.10, 0), (0.50, 13), (0.90, 108), (0.99, 325), (1, 849).
//     About 10% of jobs have depth 0 (measurement-only circuits).
//   - Qubits: likewise, between (0, 1), (0.50, 5), (0.90, 27), (0.99, 65),
//     (1, 65). The source's figure is the device size (p50 5, p90 27,
//     p99 65, max 65, no p10); it is used as the job's qubit count, an
//     upper bound, with 1 qubit as the minimum. With MaxQubits = m, u is
//     drawn from U[0, u_m) where Q(u_m) = m + 0.5, which truncates the
//     distribution to at most m qubits without distorting it below m.
//   - Circuits (the batch size): likewise, between (0, 1), (0.10, 1),
//     (0.50, 2), (0.90, 680), (0.99, 900), (1, 900), from a stream of its
//     own, so adding it moved no other draw.
//   - Backend: uniform over ArrivalOptions.Backends.
//
// # Randomness
//
// Generators draw only from math/rand/v2 PCG sources,
// rand.New(rand.NewPCG(Seed, stream)), one stream per component (load noise;
// arrival times; MMPP state; job attributes; backend choice; circuits), so the same
// options and seed give the same output bit for bit, and changing, for
// example, the backend list does not move the arrival times.
//
// # Measuring streaming memory
//
// BenchmarkParquetStream reads a 10-million-row (timestamp, value) Parquet
// file and reports rows/s. TestStreamRSS reports the peak resident set of
// streaming such a file; it runs only when OMNIXAN_STREAM_RSS names the
// file (written by the test if missing). Build the test binary, so that the
// figure is the reader's and not the go command's, and run it twice, once
// to write the file and once to measure:
//
//	go test -c -o /tmp/traces.test ./traces
//	OMNIXAN_STREAM_RSS=/tmp/10m.parquet /tmp/traces.test -test.run '^TestStreamRSS$' -test.v
//	OMNIXAN_STREAM_RSS=/tmp/10m.parquet /usr/bin/time -v /tmp/traces.test -test.run '^TestStreamRSS$' -test.v
//
// and read "Maximum resident set size" (the test also logs its own peak RSS
// from getrusage).
package traces

/* rpc_bench's volume modes (volume_bench.c), for tests/bench/volume.sh: loading a province's
 * volume data into a private stack over gRPC, and writing the purchase lines it imports with the
 * very same rows as a COPY file. */
#ifndef VBP_VOLUME_BENCH_H
#define VBP_VOLUME_BENCH_H

#define VOLUME_DEFAULT_IN_FLIGHT 16
#define VOLUME_DEFAULT_LINES 1000000
#define VOLUME_MAX_LINES 10000000
#define VOLUME_DEFAULT_MAX_BYTES (64 * 1024 * 1024) /* what POST /v1/purchases:import takes */

/* volume-setup: region 350000 with its cities and counties; batch BENCH-VOL (drugs, 4 years)
 * executed there from 2024-07-22; groups VG0..VG9 (ten generic names) of five WINNING products
 * each (VP00..VP49, shares of 20, winning price (i + 1) x 1.25, listed in pricing-svc at twice
 * that); 2,000 county hospitals VH0000..VH1999; each hospital's demand for each group in agreement
 * year 1, submitted and approved COUNTY -> CITY -> PROVINCE; then ComputeAllocations of year 1 at
 * 80%, checked to make 100,000. All with the admin key, in_flight calls at a time. Prints one
 * line of counts and seconds. Safe to repeat (the creates are idempotent; a report that exists
 * gets only the reviews it lacks). */
int volume_setup(const char *catalog, const char *pricing, const char *volume, const char *key,
                 int in_flight);

/* volume-lines: lines purchases of that data into dir: purchases-NNN.ndjson (each at most
 * max_bytes, one Purchase a line, in the order of their accepted dates, as daily files would
 * come) and purchases.copy, the same rows as volume.purchases stores them (COPY text format, in
 * the order of the columns that purchases.columns lists, comma-separated on one line). Line n is of
 * hospital (n % 100000) / 50, product n % 50, its (n / 100000)-th line of that pair, accepted on a
 * day of agreement year 1 before 2025-06-01. Prints one line: lines, files, bytes. */
int volume_lines(const char *dir, long lines, long max_bytes);

#endif

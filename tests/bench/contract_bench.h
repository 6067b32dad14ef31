/* rpc_bench's contract modes (contract_bench.c), for tests/bench/contract.sh: on top of the
 * province volume-setup loads (volume_bench.h), the distributors and API keys contract signing
 * needs, GenerateContracts of agreement year 1 timed, and every contract signed by its three
 * parties over gRPC, each call with the bearer key of the party that signs. */
#ifndef VBP_CONTRACT_BENCH_H
#define VBP_CONTRACT_BENCH_H

#define CONTRACT_DEFAULT_IN_FLIGHT 64

/* contract-setup: one distributor per coordination area (VD350100..VD350900, each in its city),
 * named by the admin for each of the 50 products in its area (450 AuthorizeDistributor, so
 * generation assigns them, C8); then one API key (CreateApiKey as the admin) for each party
 * organization: the 2,000 hospitals, the 5 manufacturers and the 9 distributors, written to
 * keys_file as "ORG_ID KEY" lines (created with mode 0600). in_flight calls at a time. Prints one
 * line of counts and seconds. The authorisations are idempotent; each run mints new keys. */
int contract_setup(const char *catalog, const char *contract, const char *admin_key,
                   const char *keys_file, int in_flight);

/* contract-generate: GenerateContracts of BENCH-VOL in 350000, agreement year 1 (pageSize 1),
 * timed, as the admin; checks it answers 100,000 generated. Prints contracts/s. */
int contract_generate(const char *contract, const char *admin_key);

/* contract-sign: the contracts of contracts_file ("ID INSTITUTION MANUFACTURER DISTRIBUTOR" a
 * line, tab-separated; the first `limit` of them, all when limit is 0) each signed by its
 * manufacturer, its distributor, then its institution (C2), in_flight calls at a time on one
 * connection: each of in_flight chains takes the next contract and signs it three times, one
 * call after the other, each with the bearer key of the signing party (keys_file). Every answer
 * must be OK and show the state that signature leads to (PARTIALLY_SIGNED, ENTERPRISE_SIGNED,
 * then EFFECTIVE, or EXPIRED past its period). Prints signatures/s over the whole run and the
 * latency p50, p99, p99.9 and max; exit status 1 on any error. */
int contract_sign(const char *contract, const char *keys_file, const char *contracts_file,
                  long limit, int in_flight);

#endif

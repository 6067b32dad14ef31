/* The input checks of the catalog's records, made once for the Create* methods (service.c) and
 * for ImportBatch's lines (import.c), which check the same rules. `prefix` is put before every
 * field named in an error: "" for a Create* method, whose request is the record, and the
 * record's name in the exchange file for the import ("region.", "execution.execution."). The
 * checks are of the record alone: references and the caller's scope are the callers'. */
#ifndef CATALOG_CHECKS_H
#define CATALOG_CHECKS_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/date.h"
#include "common/money.h"
#include "common/status.h"
#include "vbp/v1/catalog.pb-c.h"

/* The RegionLevel's name ("PROVINCE"), "?" for a number that is none. */
const char *catalog_level_name(int level);

/* Whether a result of this status has a price and a share (WINNING, BACKUP). */
bool catalog_result_winning(int status);

/* code, name, level (as the code's shape, GB/T 2260) and parentCode (the code's parent). */
vbp_status catalog_check_region(const Vbp__V1__Region *in, const char *prefix);

/* An organization in two steps, so CreateOrganization can check the caller's scope for the kind
 * in between: who it is (regionCode, id, name, kind), then the rest (creditCode,
 * institutionType, consortiumId). */
vbp_status catalog_check_organization_kind(const Vbp__V1__Organization *in, const char *prefix);
vbp_status catalog_check_organization_rest(const Vbp__V1__Organization *in, const char *prefix);

vbp_status catalog_check_product(const Vbp__V1__Product *in, const char *prefix);

/* A batch with its members given (CreateBatch gives a single-region batch its lead first).
 * stored: the batch as an export writes it, so cycleYears and cycleEnd may both be given (after
 * ExtendBatch), renewalFloor is required and createdBy is checked when given; otherwise as
 * CreateBatch takes it, cycleYears or cycleEnd. a holds the members' field names. */
vbp_status catalog_check_batch(vbp_arena *a, const Vbp__V1__Batch *in, const char *prefix,
                               bool stored);

/* *start: the startDate, on OK. */
vbp_status catalog_check_execution(const Vbp__V1__Execution *in, const char *prefix,
                                   vbp_date *start);

/* *cap: the maxNonWinningPrice, 0 when none, on OK. */
vbp_status catalog_check_group(const Vbp__V1__Group *in, const char *prefix, vbp_money *cap);

/* *price: the winningPrice of a winning result, 0 otherwise, on OK. As soon as the price is read,
 * stored->winningPrice (stored may be in) is set to it in four decimals, in a, as PublishResult
 * stores it. */
vbp_status catalog_check_result(vbp_arena *a, const Vbp__V1__Result *in, const char *prefix,
                                Vbp__V1__Result *stored, vbp_money *price);

#endif

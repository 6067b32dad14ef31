/* What the authorisations say, for the contract handlers (private to contract-svc): the
 * distributors a manufacturer named for a product in a coordination area (C8), and whether an
 * agency may sign for an institution in a batch (C3). The handlers that write them are in
 * authorizations.c. */
#ifndef CONTRACT_AUTHORIZATIONS_H
#define CONTRACT_AUTHORIZATIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/pg.h"
#include "common/status.h"

/* The distributors named (and not withdrawn) for product_id in area_code, by id, into an arena
 * array *ids of *n. */
vbp_status contract_named_distributors(vbp_pg_conn *c, vbp_arena *a, const char *product_id,
                                       const char *area_code, char ***ids, size_t *n);

/* Whether agency_id may sign as institution_id's INSTITUTION in batch_code (AuthorizeAgency). */
vbp_status contract_agency_authorized(vbp_pg_conn *c, const char *institution_id,
                                      const char *agency_id, const char *batch_code,
                                      bool *authorized);

#endif

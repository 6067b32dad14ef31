/* ImportBatch's recovery (import.c, docs/exchange-import.md): finishes the imports a crash or a
 * lost peer left behind. Private to catalog-svc. */
#ifndef CATALOG_IMPORT_H
#define CATALOG_IMPORT_H

#include "catalog-svc/service.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One pass: every 'committed' import is committed in every service, then 'done'; every
 * 'preparing' import older than abort_after_s seconds is 'aborted' (the same conditional UPDATE
 * as the commit point, so exactly one of them wins) and rolled back everywhere; an 'aborted' one
 * not yet rolled back everywhere is rolled back again. *finished (when not NULL) counts the
 * imports settled. Safe to run anywhere, any number of times, beside live imports. */
vbp_status catalog_import_recover(catalog_service *s, int abort_after_s, int *finished);

/* A thread running catalog_import_recover at once and every interval_ms; one per process. */
vbp_status catalog_import_recovery_start(catalog_service *s, int abort_after_s, int interval_ms);
void catalog_import_recovery_stop(void);

#ifdef __cplusplus
}
#endif
#endif

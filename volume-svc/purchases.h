/* Recording purchases (V4, V8, V9), one by one (RecordPurchase) or a daily file of them
 * (RecordPurchases, purchase_file.c): both check and record through here, so a line of a file
 * is held to exactly what a single call is. */
#ifndef VOLUME_PURCHASES_H
#define VOLUME_PURCHASES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/date.h"
#include "common/money.h"
#include "common/rpc.h"
#include "common/status.h"
#include "vbp/v1/volume.pb-c.h"

typedef enum purchase_outcome {
  PURCHASE_PENDING = 0,
  PURCHASE_RECORDED,
  PURCHASE_SKIPPED, /* recorded before with the same content: the stored one answers */
  PURCHASE_FAILED,  /* st says why */
} purchase_outcome;

/* One purchase on its way: the message (its output fields filled as it goes), the values parsed
 * from it, and what became of it. */
typedef struct purchase_item {
  Vbp__V1__Purchase *p;
  vbp_money amount;
  vbp_date ordered, accepted;
  const char *unit_id, *institution_region, *province;
  purchase_outcome outcome;
  vbp_status st;
} purchase_item;

/* Checks p's own fields (what needs nothing but the message and today) into item. */
vbp_status volume_purchase_parse(Vbp__V1__Purchase *p, purchase_item *item);

/* Records items[0..n) (parsed; those already FAILED are left alone) for the call's caller: its
 * scope, the institutions and batches from catalog-svc, the products' limits from pricing-svc,
 * then the rows, in transactions of a few thousand. Each item ends RECORDED, SKIPPED or FAILED;
 * the status returned is an error only when a backend failed (then items not yet written are
 * left PENDING, and sending them again is safe). What it makes lives in arena. */
vbp_status volume_purchases_record(vbp_call *call, vbp_arena *arena, purchase_item *items,
                                   size_t n);

#endif

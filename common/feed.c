/* The change feed: buffering a transaction's changes, writing them in commit order, reading one
 * service's part for a reader (feed.h). */
#include "common/feed.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/page.h"
#include "common/regions.h"
#include "feed_migrations.h"

/* The changes one transaction has recorded so far: strings in arena, the array malloc'd. */
typedef struct pending {
  const char *type, *id, *action, *region_code, *batch_code;
  const char *parties; /* joined by PARTY_SEP */
  bool is_public;
} pending;

typedef struct feed_buffer {
  vbp_arena *arena;
  pending *items;
  size_t n, cap;
} feed_buffer;

/* The parties of one change as one text, joined by the unit separator (no id contains it), which
 * the flush splits again with string_to_array: one array parameter per column, not per row. */
#define PARTY_SEP "\x1f"

void vbp_feed_add(vbp_pg_conn *conn, const vbp_change *change) {
  feed_buffer **slot = (feed_buffer **)vbp_pg_feed_slot(conn);
  if (*slot == NULL) {
    *slot = vbp_xcalloc(1, sizeof **slot);
    (*slot)->arena = vbp_arena_create();
  }
  feed_buffer *b = *slot;
  if (b->n == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 8;
    pending *grown = realloc(b->items, b->cap * sizeof *grown);
    if (grown == NULL) abort();
    b->items = grown;
  }
  vbp_arena *a = b->arena;
  size_t len = 0;
  for (size_t i = 0; i < change->n_parties; i++)
    if (change->parties[i]) len += strlen(change->parties[i]) + 1;
  char *joined = vbp_arena_alloc(a, len + 1);
  joined[0] = '\0';
  for (size_t i = 0, at = 0; i < change->n_parties; i++) {
    const char *p = change->parties[i];
    if (p == NULL || *p == '\0') continue;
    if (at > 0) joined[at++] = PARTY_SEP[0];
    size_t l = strlen(p);
    memcpy(joined + at, p, l + 1);
    at += l;
  }
  b->items[b->n++] = (pending){
      .type = vbp_arena_strdup(a, change->type),
      .id = vbp_arena_strdup(a, change->id),
      .action = vbp_arena_strdup(a, change->action),
      .region_code = change->region_code && *change->region_code
                         ? vbp_arena_strdup(a, change->region_code)
                         : NULL,
      .batch_code = change->batch_code && *change->batch_code
                        ? vbp_arena_strdup(a, change->batch_code)
                        : NULL,
      .parties = joined,
      .is_public = change->is_public,
  };
}

void vbp_feed_discard(vbp_pg_conn *conn) {
  feed_buffer **slot = (feed_buffer **)vbp_pg_feed_slot(conn);
  feed_buffer *b = *slot;
  if (b == NULL) return;
  vbp_arena_destroy(b->arena);
  free(b->items);
  free(b);
  *slot = NULL;
}

/* Takes as many numbers from the clock as there are distinct changes (a thing changed twice
 * the same way in one transaction, such as a contract signed and then made effective, is one
 * change) and inserts the rows in one statement. The clock's row lock stays with this
 * transaction until COMMIT, which is what orders the feed by commit (feed.h). */
static const char *const FLUSH_SQL =
    "WITH c AS (SELECT DISTINCT ON (type, id, action) * "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
    "$7::bool[]) WITH ORDINALITY AS u(type, id, action, region_code, batch_code, parties, pub, "
    "ord) ORDER BY type, id, action, ord), "
    "n AS (SELECT c.*, row_number() OVER (ORDER BY ord) AS rn, count(*) OVER () AS total "
    "FROM c), "
    "clock AS (UPDATE feed_clock SET seq = seq + (SELECT count(*) FROM c) "
    "RETURNING seq, clock_timestamp() AS at) "
    "INSERT INTO changes (seq, type, id, action, at, region_code, batch_code, parties, public) "
    "SELECT clock.seq - n.total + n.rn, n.type, n.id, n.action, clock.at, n.region_code, "
    "n.batch_code, coalesce(string_to_array(n.parties, E'\\x1f'), '{}'), n.pub "
    "FROM clock, n";

vbp_status vbp_feed_flush(vbp_pg_conn *conn, bool notify) {
  feed_buffer *b = *(feed_buffer **)vbp_pg_feed_slot(conn);
  if (b == NULL || b->n == 0) {
    vbp_feed_discard(conn);
    return vbp_status_ok();
  }
  vbp_arena *a = b->arena;
  size_t n = b->n;
  const char **cols[7];
  for (int k = 0; k < 7; k++) cols[k] = vbp_arena_alloc(a, n * sizeof(char *));
  for (size_t i = 0; i < n; i++) {
    const pending *c = &b->items[i];
    cols[0][i] = c->type;
    cols[1][i] = c->id;
    cols[2][i] = c->action;
    cols[3][i] = c->region_code;
    cols[4][i] = c->batch_code;
    cols[5][i] = c->parties;
    cols[6][i] = c->is_public ? "t" : "f";
  }
  const char *values[7];
  for (int k = 0; k < 7; k++) values[k] = vbp_pg_text_array(a, cols[k], n);
  vbp_status st = vbp_pg_command(conn, "record changes", FLUSH_SQL, 7, values);
  if (vbp_ok(&st) && notify)
    st = vbp_pg_command(conn, "notify changes",
                        "SELECT pg_notify('" VBP_FEED_CHANNEL "', current_schema())", 0, NULL);
  vbp_feed_discard(conn);
  return st;
}

vbp_status vbp_feed_migrate(vbp_pg_pool *pool, const char *schema) {
  return vbp_pg_migrate(pool, schema, feed_migrations, feed_migrations_count);
}

void vbp_feed_reader_of(const vbp_caller *caller, Vbp__V1__FeedReader *out) {
  vbp__v1__feed_reader__init(out);
  if (caller->role == VBP_ROLE_ADMIN || caller->role == VBP_ROLE_SERVICE) {
    out->everything = true;
    return;
  }
  out->role = (Vbp__V1__OrganizationKind)caller->role;
  out->organization_id = (char *)caller->org_id;
  out->region_code = (char *)caller->region_code;
}

/* Who sees a row: the admin everything; everyone the public rows; a bureau its region's ($4, a
 * region prefix), an agency its region's contracts ($4 with $7 = {contract}); an alliance office
 * its batches' ($5); every organization the rows naming it ($6). */
static const char *const LIST_SQL =
    "SELECT seq, type, id, action, "
    "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
    "FROM changes WHERE seq > $1::bigint AND ($3::bool OR public "
    "OR ($4::text IS NOT NULL AND region_code LIKE $4 || '%' "
    "AND ($7::text[] IS NULL OR type = ANY($7::text[]))) "
    "OR batch_code = ANY($5::text[]) OR $6::text = ANY(parties)) "
    "ORDER BY seq LIMIT $2::int";

static void *change_of(const vbp_pg_row *row) {
  Vbp__V1__ServiceChange *c = vbp_arena_alloc(row->arena, sizeof *c);
  vbp__v1__service_change__init(c);
  c->seq = vbp_pg_int64(row, 0);
  c->type = vbp_pg_text(row, 1);
  c->id = vbp_pg_text(row, 2);
  c->action = vbp_pg_text(row, 3);
  c->at = vbp_pg_text(row, 4);
  return c;
}

vbp_status vbp_feed_list(vbp_pg_conn *conn, vbp_arena *arena, int64_t after, int page_size,
                         const Vbp__V1__FeedReader *reader, Vbp__V1__ServiceChange ***out,
                         size_t *n) {
  const char *region = NULL, *types = NULL, *org = NULL, *batches = NULL;
  if (!reader->everything) {
    bool has_region =
        reader->region_code && *reader->region_code && vbp_region_level_of(reader->region_code) > 0;
    if (has_region && (reader->role == VBP__V1__ORGANIZATION_KIND__BUREAU ||
                       reader->role == VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY)) {
      char prefix[7];
      vbp_region_prefix(reader->region_code, prefix);
      region = vbp_arena_strdup(arena, prefix);
      if (reader->role == VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY) {
        const char *contract = "contract";
        types = vbp_pg_text_array(arena, &contract, 1);
      }
    }
    if (reader->role == VBP__V1__ORGANIZATION_KIND__ALLIANCE_OFFICE)
      batches =
          vbp_pg_text_array(arena, (const char *const *)reader->batch_codes, reader->n_batch_codes);
    if (reader->organization_id && *reader->organization_id) org = reader->organization_id;
  }
  const char *values[7] = {
      vbp_arena_printf(arena, "%" PRId64, after),
      vbp_arena_printf(arena, "%d", page_size),
      reader->everything ? "t" : "f",
      region,
      batches,
      org,
      types,
  };
  return vbp_pg_query_rows(conn, arena, "list changes", LIST_SQL, 7, values, change_of,
                           (void ***)out, n);
}

typedef struct list_ctx {
  vbp_arena *arena;
  const Vbp__V1__ListServiceChangesRequest *in;
  int page_size;
  Vbp__V1__ServiceChange **changes;
  size_t n;
} list_ctx;

static vbp_status list_tx(vbp_pg_conn *conn, void *ctx) {
  list_ctx *l = ctx;
  return vbp_feed_list(conn, l->arena, l->in->after, l->page_size, l->in->reader, &l->changes,
                       &l->n);
}

vbp_status vbp_feed_list_service_changes(vbp_pg_pool *pool, vbp_arena *arena,
                                         const Vbp__V1__ListServiceChangesRequest *in,
                                         Vbp__V1__ListServiceChangesResponse *out) {
  if (in->after < 0) return vbp_invalid("after", "must not be negative");
  if (in->reader == NULL) return vbp_invalid("reader", "is required");
  list_ctx l = {.arena = arena, .in = in};
  VBP_CHECK(vbp_page_size(in->page_size, &l.page_size));
  VBP_CHECK(vbp_pg_read(pool, list_tx, &l));
  out->changes = l.changes;
  out->n_changes = l.n;
  return vbp_status_ok();
}

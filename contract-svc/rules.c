#include "contract-svc/rules.h"

#include <limits.h>

#include "common/regions.h"

/* ---------------------------------------------------------------- helpers */

/* A quantity times a day count may not fit 64 bits: such products are taken in 128 bits. */
typedef __int128 wide;

/* numerator / denominator rounded half away from zero (half up for C7's non-negative
 * quantities), as common/money.h's vbp_div_round_half_away rounds, but over a 128-bit numerator.
 * denominator > 0. */
static wide div_round_half_away(wide numerator, wide denominator) {
  wide quotient = numerator / denominator; /* truncates toward zero */
  wide remainder = numerator % denominator;
  if (remainder < 0) remainder = -remainder;
  if (2 * remainder >= denominator) quotient += numerator < 0 ? -1 : 1;
  return quotient;
}

static int64_t clamp_int64(wide value) {
  if (value > INT64_MAX) return INT64_MAX;
  if (value < INT64_MIN) return INT64_MIN;
  return (int64_t)value;
}

/* vbp.v1.Signature.Party's names, as the reasons spell them; NULL for no party. */
static const char *party_name(int party) {
  switch (party) {
    case CONTRACT_MANUFACTURER:
      return "MANUFACTURER";
    case CONTRACT_DISTRIBUTOR:
      return "DISTRIBUTOR";
    case CONTRACT_INSTITUTION:
      return "INSTITUTION";
  }
  return NULL;
}

/* The name of a state no one may sign in any more; NULL for one still open for signing. */
static const char *closed_state_name(int state) {
  switch (state) {
    case CONTRACT_EFFECTIVE:
      return "EFFECTIVE";
    case CONTRACT_EXPIRED:
      return "EXPIRED";
    case CONTRACT_RENEWED:
      return "RENEWED";
    case CONTRACT_TERMINATED:
      return "TERMINATED";
  }
  return NULL;
}

static bool is_enterprise(int party) {
  return party == CONTRACT_MANUFACTURER || party == CONTRACT_DISTRIBUTOR;
}

/* ---------------------------------------------------------------- C2 signing order */

#define ENTERPRISE_BITS \
  (CONTRACT_PARTY_BIT(CONTRACT_MANUFACTURER) | CONTRACT_PARTY_BIT(CONTRACT_DISTRIBUTOR))
#define PARTY_BITS (ENTERPRISE_BITS | CONTRACT_PARTY_BIT(CONTRACT_INSTITUTION))

vbp_status contract_sign_next(int state, unsigned signed_parties, int party, bool has_distributor,
                              int *next_state) {
  const char *name = party_name(party);
  if (!name) return vbp_invalid("party", "must be MANUFACTURER, DISTRIBUTOR or INSTITUTION");

  const char *closed = closed_state_name(state);
  if (closed)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "party",
                            "C2: the contract is %s: nothing left to sign", closed);
  if (state != CONTRACT_DRAFT && state != CONTRACT_PARTIALLY_SIGNED &&
      state != CONTRACT_ENTERPRISE_SIGNED)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "party",
                            "C2: the contract's state %d is not open for signing", state);
  /* C8: the distributor is one of the three parties; no one signs before it is named. */
  if (state == CONTRACT_DRAFT && !has_distributor)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "party", "C8: no distributor assigned yet");

  unsigned signed_set = signed_parties & PARTY_BITS;
  unsigned bit = CONTRACT_PARTY_BIT(party);
  if (signed_set & bit)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "party", "C2: %s has signed already", name);
  if (!is_enterprise(party) && (signed_set & ENTERPRISE_BITS) != ENTERPRISE_BITS)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "party",
                            "C2: the manufacturer and the distributor sign first");

  /* The next state follows from who will have signed; the stored state only decides whether
   * the contract is open for signing. */
  unsigned after = signed_set | bit;
  if (!is_enterprise(party))
    *next_state = CONTRACT_EFFECTIVE;
  else if ((after & ENTERPRISE_BITS) == ENTERPRISE_BITS)
    *next_state = CONTRACT_ENTERPRISE_SIGNED;
  else
    *next_state = CONTRACT_PARTIALLY_SIGNED;
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- C2, C4 windows */

vbp_date contract_c4_last_day(vbp_date execution_start) {
  /* 执行30天内, the start day not counted. */
  return execution_start + 30;
}

vbp_status contract_sign_in_time(int agreement_year, int kind, int party, const contract_windows *w,
                                 vbp_date today) {
  /* C2: renewals have no window; C4 binds the first year only. */
  if (agreement_year != 1) return vbp_status_ok();
  if (!party_name(party))
    return vbp_invalid("party", "must be MANUFACTURER, DISTRIBUTOR or INSTITUTION");

  bool enterprise = is_enterprise(party);
  bool has_window = enterprise ? w->has_enterprise : w->has_institution;
  vbp_date from = enterprise ? w->enterprise_from : w->institution_from;
  vbp_date to = enterprise ? w->enterprise_to : w->institution_to;
  if (has_window && (today < from || today > to)) {
    char from_text[VBP_DATE_FORMAT_MAX], to_text[VBP_DATE_FORMAT_MAX];
    return vbp_status_field(VBP_FAILED_PRECONDITION, "party", "C2: outside the %s' window %s..%s",
                            enterprise ? "enterprises" : "institutions",
                            vbp_date_format(from, from_text), vbp_date_format(to, to_text));
  }

  vbp_date last_day = contract_c4_last_day(w->execution_start);
  if (kind == CONTRACT_CONSUMABLE && today > last_day) {
    char last_text[VBP_DATE_FORMAT_MAX];
    return vbp_status_field(
        VBP_FAILED_PRECONDITION, "party",
        "C4: consumable contracts of the first year are signed by %s (30 days after the start)",
        vbp_date_format(last_day, last_text));
  }
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- supervision */

bool contract_enterprise_closed(int agreement_year, int kind, const contract_windows *w,
                                vbp_date today, vbp_date *closed_on, bool *by_c4) {
  if (agreement_year != 1) return false; /* C2: renewals have no window, C4 binds year 1 */
  bool closed = false, c4 = false;
  vbp_date day = 0;
  if (w->has_enterprise && w->enterprise_to < today) {
    closed = true;
    day = w->enterprise_to;
  }
  vbp_date last_day = contract_c4_last_day(w->execution_start);
  if (kind == CONTRACT_CONSUMABLE && last_day < today && (!closed || last_day < day)) {
    closed = c4 = true;
    day = last_day;
  }
  if (!closed) return false;
  *closed_on = day;
  *by_c4 = c4;
  return true;
}

bool contract_left_unsigned(bool signed_by_it, vbp_date closed_on, int state,
                            vbp_date terminated_on) {
  if (signed_by_it) return false;
  if (state == CONTRACT_TERMINATED) return terminated_on > closed_on;
  /* Enterprise-signed or later states carry both enterprises' signatures. */
  return state == CONTRACT_DRAFT || state == CONTRACT_PARTIALLY_SIGNED;
}

/* ---------------------------------------------------------------- C7, C8, states */

int64_t contract_renewal_floor(int64_t reference, int new_days, int reference_days) {
  /* Without a reference year there is nothing to hold the new one to. */
  if (reference_days <= 0) return 0;
  /* C7 per day: a longer or shorter year gets a proportionally larger or smaller floor. */
  return clamp_int64(div_round_half_away((wide)reference * new_days, reference_days));
}

int contract_distributor_cap(int kind) {
  /* 004 item 2. */
  switch (kind) {
    case CONTRACT_DRUG:
      return 5;
    case CONTRACT_CONSUMABLE:
      return 10;
  }
  return 0;
}

bool contract_coordination_area(const char *region_code, char out[7]) {
  switch (vbp_region_level_of(region_code)) {
    case 1: /* 省直医疗机构: the province itself */
    case 2: /* a city's own institution: the city */
      for (int i = 0; i < 7; i++) out[i] = region_code[i];
      return true;
    case 3: /* a county's: the city that contains it */
      vbp_region_parent_of(region_code, out);
      return true;
  }
  return false;
}

int contract_state_on(int stored_state, bool next_effective, vbp_date period_end, vbp_date today) {
  if (stored_state != CONTRACT_EFFECTIVE) return stored_state;
  /* A renewal in force wins over the date: the contract was followed, not left to lapse. */
  if (next_effective) return CONTRACT_RENEWED;
  return today > period_end ? CONTRACT_EXPIRED : CONTRACT_EFFECTIVE;
}

bool contract_is_live(int state) {
  return state != CONTRACT_EXPIRED && state != CONTRACT_RENEWED && state != CONTRACT_TERMINATED;
}

bool contract_renewable(int state) { return state == CONTRACT_EFFECTIVE; }

bool contract_terminable(int state) {
  switch (state) {
    case CONTRACT_DRAFT:
    case CONTRACT_PARTIALLY_SIGNED:
    case CONTRACT_ENTERPRISE_SIGNED:
    case CONTRACT_EFFECTIVE:
      return true;
  }
  return false; /* TERMINATED, EXPIRED, RENEWED, or no state at all */
}

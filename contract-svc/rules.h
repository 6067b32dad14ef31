/* Contract domain rules as pure functions (DOMAIN.md "Contract rules" C1-C9): no I/O, no clock
 * (today is a parameter), no allocation, no globals. Dates are common/date.h days; quantities
 * int64 in the product's smallest unit. Thread-safe. */
#ifndef CONTRACT_RULES_H
#define CONTRACT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/date.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* vbp.v1.ContractState's numbers. */
enum {
  CONTRACT_DRAFT = 1,
  CONTRACT_PARTIALLY_SIGNED = 2,
  CONTRACT_ENTERPRISE_SIGNED = 3,
  CONTRACT_EFFECTIVE = 4,
  CONTRACT_EXPIRED = 5,
  CONTRACT_RENEWED = 6,
  CONTRACT_TERMINATED = 7,
};

/* vbp.v1.Signature.Party's numbers, and the bit of each in a set of parties that signed. */
enum { CONTRACT_MANUFACTURER = 1, CONTRACT_DISTRIBUTOR = 2, CONTRACT_INSTITUTION = 3 };
#define CONTRACT_PARTY_BIT(party) (1u << (party))

/* vbp.v1.ProductKind's numbers. */
enum { CONTRACT_DRUG = 1, CONTRACT_CONSUMABLE = 2 };

/* ---------------------------------------------------------------- C2 signing order */

/* The state after `party` signs a contract in `state` whose parties in `signed_parties`
 * (CONTRACT_PARTY_BIT set) have signed: manufacturer and distributor first, in either order
 * (DRAFT -> PARTIALLY_SIGNED -> ENTERPRISE_SIGNED), then the institution (EFFECTIVE). On a refusal
 * returns FAILED_PRECONDITION naming the rule: signing twice as the same party, the institution
 * before both enterprises, a contract that is not open for signing (EFFECTIVE, EXPIRED, RENEWED,
 * TERMINATED, or no state), or a DRAFT without a distributor (has_distributor false). field is
 * "party"; INVALID_ARGUMENT naming "party" when party is none of the three. The next state follows
 * from signed_parties and party alone (bits other than the three parties' are ignored); the
 * stored state decides only whether the contract is open. *next_state is written only on OK. */
vbp_status contract_sign_next(int state, unsigned signed_parties, int party, bool has_distributor,
                              int *next_state);

/* ---------------------------------------------------------------- C2, C4 windows */

/* The signing windows of an execution's first agreement year; a zero-length side (has_* false)
 * sets no window. */
typedef struct contract_windows {
  bool has_enterprise, has_institution;
  vbp_date enterprise_from, enterprise_to, institution_from, institution_to;
  vbp_date execution_start;
} contract_windows;

/* C4: the last day a first-year consumable contract may be signed: 30 days after the start,
 * the start day not counted (2024-07-22 -> 2024-08-21). */
vbp_date contract_c4_last_day(vbp_date execution_start);

/* Whether `party` may sign a contract of agreement_year of a batch of `kind` today: year 1 only,
 * inside the enterprises' window (MANUFACTURER, DISTRIBUTOR) or the institutions' (INSTITUTION)
 * when the execution sets one, and for consumables not after the C4 day. Later years (renewals)
 * have no window. FAILED_PRECONDITION naming the window ("C2: the enterprises' window
 * 2024-07-04..2024-07-08") or "C4" (the window first when both are missed); field "party".
 * INVALID_ARGUMENT naming "party" when a first-year party is none of the three. C4 binds every
 * party; w is not NULL. */
vbp_status contract_sign_in_time(int agreement_year, int kind, int party, const contract_windows *w,
                                 vbp_date today);

/* ---------------------------------------------------------------- supervision */

/* When the enterprises' side of a contract of agreement_year of a batch of `kind` closed for
 * signing (DOMAIN.md "Supervision"): the last day of the enterprises' window (C2) or, for a
 * consumable, the C4 day, whichever comes first, once today is after it. Renewals have neither.
 * Returns false, leaving the outputs alone, when nothing has closed yet; *by_c4 says which one
 * closed first (the window when both close the same day). w is not NULL. */
bool contract_enterprise_closed(int agreement_year, int kind, const contract_windows *w,
                                vbp_date today, vbp_date *closed_on, bool *by_c4);

/* Whether a contract goes on an enterprise's record as left unsigned by it: its side closed on
 * closed_on (above) without its signature (signed_by_it false), and the contract was still open
 * then: not TERMINATED (state as stored), or terminated only after that day (terminated_on; a
 * contract terminated by then no longer asked for a signature). */
bool contract_left_unsigned(bool signed_by_it, vbp_date closed_on, int state,
                            vbp_date terminated_on);

/* ---------------------------------------------------------------- C7, C8, states */

/* C7 per day: the least quantity of a renewal of new_days from a reference year of
 * reference_days that agreed `reference`: reference x new_days / reference_days, rounded half up
 * (421 over 528 days holds a 365-day year to 291). 0 when reference_days <= 0. */
int64_t contract_renewal_floor(int64_t reference, int new_days, int reference_days);

/* C8: how many distributors a manufacturer may name per coordination area for one product: 5 for
 * a drug, 10 for a consumable; 0 for an unknown kind. */
int contract_distributor_cap(int kind);

/* The coordination area (统筹区) of an institution in region_code: the CITY that contains it,
 * or its PROVINCE when it is registered at province level, into out (7 bytes): "350100" for
 * "350102" and "350100", "350000" for "350000". False, leaving out alone, when the code has no
 * level (common/regions.h). */
bool contract_coordination_area(const char *region_code, char out[7]);

/* The state a read shows (DOMAIN.md: states that follow from the date are the same in every
 * read): a stored EFFECTIVE contract is RENEWED when the next year's contract is EFFECTIVE
 * (next_effective), else EXPIRED once today is after its period end; any other stored state is
 * itself. */
int contract_state_on(int stored_state, bool next_effective, vbp_date period_end, vbp_date today);

/* Whether a contract in `state` (as read) still binds its distributor (WithdrawDistributor is
 * refused while one does): every state but EXPIRED, RENEWED and TERMINATED. */
bool contract_is_live(int state);

/* Whether a stored state may be renewed: EFFECTIVE only (C5: a renewal follows a contract in
 * force). */
bool contract_renewable(int state);

/* Whether a contract in `state` may be terminated: any but TERMINATED, EXPIRED and RENEWED (and
 * a number that is no state). */
bool contract_terminable(int state);

#ifdef __cplusplus
}
#endif
#endif

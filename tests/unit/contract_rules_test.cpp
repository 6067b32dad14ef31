/* Contract rules (DOMAIN.md "Contract rules" C1-C9): C2's signing order over every state, party
 * and set of parties that signed, in both enterprise orders; C2's windows and C4's 30 days at
 * their first and last days and the days around them (Fujian 2024: enterprises 7/4-7/8,
 * institutions 7/9-7/12, start 7/22); C7's per-day floor over a long first year and a short last
 * one; C8's caps and coordination areas; and the states a read derives around a period's end.
 * Statuses, reasons, quantities and dates are asserted exactly. */
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>

#include "contract-svc/rules.h"

namespace {

vbp_date day(const char *text) {
  vbp_date date = 0;
  EXPECT_TRUE(vbp_date_parse(text, &date)) << text;
  return date;
}

std::string day_text(vbp_date date) {
  char buf[VBP_DATE_FORMAT_MAX];
  return vbp_date_format(date, buf);
}

const unsigned M = CONTRACT_PARTY_BIT(CONTRACT_MANUFACTURER);
const unsigned D = CONTRACT_PARTY_BIT(CONTRACT_DISTRIBUTOR);
const unsigned I = CONTRACT_PARTY_BIT(CONTRACT_INSTITUTION);

const int kParties[] = {CONTRACT_MANUFACTURER, CONTRACT_DISTRIBUTOR, CONTRACT_INSTITUTION};
const unsigned kSets[] = {0, M, D, M | D, I, M | I, D | I, M | D | I};
const int kOpenStates[] = {CONTRACT_DRAFT, CONTRACT_PARTIALLY_SIGNED, CONTRACT_ENTERPRISE_SIGNED};
const int kClosedStates[] = {CONTRACT_EFFECTIVE, CONTRACT_EXPIRED, CONTRACT_RENEWED,
                             CONTRACT_TERMINATED};

/* What a rule answered: the status's code, field and reason, and the next state (-1 when the
 * call left it alone). */
struct Outcome {
  vbp_code code;
  std::string field, reason;
  int next;
};

bool operator==(const Outcome &a, const Outcome &b) {
  return a.code == b.code && a.field == b.field && a.reason == b.reason && a.next == b.next;
}

std::ostream &operator<<(std::ostream &os, const Outcome &o) {
  return os << vbp_code_name(o.code) << " field \"" << o.field << "\" reason \"" << o.reason
            << "\" next " << o.next;
}

Outcome ok(int next = -1) { return {VBP_OK, "", "", next}; }

Outcome refused(const std::string &reason) {
  return {VBP_FAILED_PRECONDITION, "party", reason, -1};
}

Outcome sign(int state, unsigned signed_parties, int party, bool has_distributor = true) {
  int next = -1;
  vbp_status s = contract_sign_next(state, signed_parties, party, has_distributor, &next);
  if (!vbp_ok(&s)) {
    EXPECT_EQ(next, -1) << "a refusal writes no next state";
  }
  return {s.code, s.field, s.reason, next};
}

std::string where(int state, unsigned signed_parties, int party) {
  return "state " + std::to_string(state) + ", signed bits " + std::to_string(signed_parties) +
         ", party " + std::to_string(party);
}

/* ---------------------------------------------------------------- C2 signing order */

TEST(ContractRules, SigningAnOpenContractFollowsWhoHasSigned) {
  /* For every set of parties that signed (kSets' order) and every party (kParties' order): the
   * answer is the same in DRAFT, PARTIALLY_SIGNED and ENTERPRISE_SIGNED, since the state only
   * says whether the contract is open. Sets with the institution but not both enterprises cannot
   * arise; they show that "signed already" is asked before the order. */
  const Outcome already_m = refused("C2: MANUFACTURER has signed already");
  const Outcome already_d = refused("C2: DISTRIBUTOR has signed already");
  const Outcome already_i = refused("C2: INSTITUTION has signed already");
  const Outcome first = refused("C2: the manufacturer and the distributor sign first");
  const Outcome partial = ok(CONTRACT_PARTIALLY_SIGNED);
  const Outcome enterprises = ok(CONTRACT_ENTERPRISE_SIGNED);
  const Outcome effective = ok(CONTRACT_EFFECTIVE);
  const Outcome expected[8][3] = {
      /* {}      */ {partial, partial, first},
      /* {M}     */ {already_m, enterprises, first},
      /* {D}     */ {enterprises, already_d, first},
      /* {M,D}   */ {already_m, already_d, effective},
      /* {I}     */ {partial, partial, already_i},
      /* {M,I}   */ {already_m, enterprises, already_i},
      /* {D,I}   */ {enterprises, already_d, already_i},
      /* {M,D,I} */ {already_m, already_d, already_i},
  };
  for (int state : kOpenStates)
    for (size_t s = 0; s < 8; s++)
      for (size_t p = 0; p < 3; p++)
        EXPECT_EQ(sign(state, kSets[s], kParties[p]), expected[s][p])
            << where(state, kSets[s], kParties[p]);
}

TEST(ContractRules, NoOneSignsAContractThatIsNotOpen) {
  const char *const names[] = {"EFFECTIVE", "EXPIRED", "RENEWED", "TERMINATED"};
  for (size_t i = 0; i < 4; i++)
    for (unsigned set : kSets)
      for (int party : kParties)
        for (bool has_distributor : {true, false})
          EXPECT_EQ(
              sign(kClosedStates[i], set, party, has_distributor),
              refused(std::string("C2: the contract is ") + names[i] + ": nothing left to sign"))
              << where(kClosedStates[i], set, party);
}

TEST(ContractRules, NoOneSignsADraftWithoutADistributor) {
  for (unsigned set : kSets)
    for (int party : kParties)
      EXPECT_EQ(sign(CONTRACT_DRAFT, set, party, false), refused("C8: no distributor assigned yet"))
          << where(CONTRACT_DRAFT, set, party);
}

TEST(ContractRules, OnlyADraftAsksForItsDistributor) {
  /* Once an enterprise signed, the contract has its distributor (WithdrawDistributor is refused
   * while one binds it): the later states do not ask again. */
  EXPECT_EQ(sign(CONTRACT_PARTIALLY_SIGNED, M, CONTRACT_DISTRIBUTOR, false),
            ok(CONTRACT_ENTERPRISE_SIGNED));
  EXPECT_EQ(sign(CONTRACT_ENTERPRISE_SIGNED, M | D, CONTRACT_INSTITUTION, false),
            ok(CONTRACT_EFFECTIVE));
}

TEST(ContractRules, ANumberThatIsNoStateIsNotOpen) {
  EXPECT_EQ(sign(0, 0, CONTRACT_MANUFACTURER),
            refused("C2: the contract's state 0 is not open for signing"));
  EXPECT_EQ(sign(8, M | D, CONTRACT_INSTITUTION),
            refused("C2: the contract's state 8 is not open for signing"));
}

TEST(ContractRules, ANumberThatIsNoPartyIsAnInvalidArgumentInEveryState) {
  const Outcome invalid = {VBP_INVALID_ARGUMENT, "party",
                           "must be MANUFACTURER, DISTRIBUTOR or INSTITUTION", -1};
  for (int state = 0; state <= 8; state++)
    for (int party : {-1, 0, 4, 7})
      EXPECT_EQ(sign(state, 0, party), invalid) << where(state, 0, party);
}

TEST(ContractRules, BitsOfNoPartyAreIgnored) {
  const unsigned others = 1u | (1u << 4) | (1u << 31);
  EXPECT_EQ(sign(CONTRACT_DRAFT, others, CONTRACT_MANUFACTURER), ok(CONTRACT_PARTIALLY_SIGNED));
  EXPECT_EQ(sign(CONTRACT_PARTIALLY_SIGNED, others | D, CONTRACT_INSTITUTION),
            refused("C2: the manufacturer and the distributor sign first"));
  EXPECT_EQ(sign(CONTRACT_ENTERPRISE_SIGNED, others | M | D, CONTRACT_INSTITUTION),
            ok(CONTRACT_EFFECTIVE));
}

TEST(ContractRules, ManufacturerFirstThenDistributorThenInstitution) {
  EXPECT_EQ(sign(CONTRACT_DRAFT, 0, CONTRACT_INSTITUTION),
            refused("C2: the manufacturer and the distributor sign first"));
  EXPECT_EQ(sign(CONTRACT_DRAFT, 0, CONTRACT_MANUFACTURER), ok(CONTRACT_PARTIALLY_SIGNED));
  EXPECT_EQ(sign(CONTRACT_PARTIALLY_SIGNED, M, CONTRACT_INSTITUTION),
            refused("C2: the manufacturer and the distributor sign first"));
  EXPECT_EQ(sign(CONTRACT_PARTIALLY_SIGNED, M, CONTRACT_MANUFACTURER),
            refused("C2: MANUFACTURER has signed already"));
  EXPECT_EQ(sign(CONTRACT_PARTIALLY_SIGNED, M, CONTRACT_DISTRIBUTOR),
            ok(CONTRACT_ENTERPRISE_SIGNED));
  EXPECT_EQ(sign(CONTRACT_ENTERPRISE_SIGNED, M | D, CONTRACT_INSTITUTION), ok(CONTRACT_EFFECTIVE));
  EXPECT_EQ(sign(CONTRACT_EFFECTIVE, M | D | I, CONTRACT_INSTITUTION),
            refused("C2: the contract is EFFECTIVE: nothing left to sign"));
}

TEST(ContractRules, DistributorFirstThenManufacturerThenInstitution) {
  EXPECT_EQ(sign(CONTRACT_DRAFT, 0, CONTRACT_DISTRIBUTOR), ok(CONTRACT_PARTIALLY_SIGNED));
  EXPECT_EQ(sign(CONTRACT_PARTIALLY_SIGNED, D, CONTRACT_INSTITUTION),
            refused("C2: the manufacturer and the distributor sign first"));
  EXPECT_EQ(sign(CONTRACT_PARTIALLY_SIGNED, D, CONTRACT_DISTRIBUTOR),
            refused("C2: DISTRIBUTOR has signed already"));
  EXPECT_EQ(sign(CONTRACT_PARTIALLY_SIGNED, D, CONTRACT_MANUFACTURER),
            ok(CONTRACT_ENTERPRISE_SIGNED));
  EXPECT_EQ(sign(CONTRACT_ENTERPRISE_SIGNED, M | D, CONTRACT_INSTITUTION), ok(CONTRACT_EFFECTIVE));
}

TEST(ContractRules, ARefusalsMessageIsTheFieldAndItsReason) {
  int next = -1;
  vbp_status s = contract_sign_next(CONTRACT_DRAFT, 0, CONTRACT_INSTITUTION, true, &next);
  EXPECT_EQ(s.code, VBP_FAILED_PRECONDITION);
  EXPECT_STREQ(s.message, "party C2: the manufacturer and the distributor sign first");
}

/* ---------------------------------------------------------------- C2, C4 windows */

/* Fujian's 2024 execution: enterprises 7/4-7/8, institutions 7/9-7/12, start 7/22. */
contract_windows fujian() {
  contract_windows w = {};
  w.has_enterprise = w.has_institution = true;
  w.enterprise_from = day("2024-07-04");
  w.enterprise_to = day("2024-07-08");
  w.institution_from = day("2024-07-09");
  w.institution_to = day("2024-07-12");
  w.execution_start = day("2024-07-22");
  return w;
}

Outcome in_time(int year, int kind, int party, const contract_windows &w, const char *today) {
  vbp_status s = contract_sign_in_time(year, kind, party, &w, day(today));
  return {s.code, s.field, s.reason, -1};
}

const char kEnterprisesWindow[] = "C2: outside the enterprises' window 2024-07-04..2024-07-08";
const char kInstitutionsWindow[] = "C2: outside the institutions' window 2024-07-09..2024-07-12";

TEST(ContractRules, EnterprisesSignInsideTheirWindowOnly) {
  const contract_windows w = fujian();
  struct Case {
    const char *today;
    bool inside;
  };
  const Case cases[] = {
      {"2024-07-03", false},                       /* the day before */
      {"2024-07-04", true},                        /* the first day */
      {"2024-07-06", true},  {"2024-07-08", true}, /* the last day */
      {"2024-07-09", false},                       /* the day after: the institutions' first */
      {"2024-06-01", false},
  };
  for (int kind : {CONTRACT_DRUG, CONTRACT_CONSUMABLE})
    for (int party : {CONTRACT_MANUFACTURER, CONTRACT_DISTRIBUTOR})
      for (const Case &c : cases)
        EXPECT_EQ(in_time(1, kind, party, w, c.today),
                  c.inside ? ok() : refused(kEnterprisesWindow))
            << "kind " << kind << ", party " << party << ", " << c.today;
}

TEST(ContractRules, InstitutionsSignInsideTheirWindowOnly) {
  const contract_windows w = fujian();
  struct Case {
    const char *today;
    bool inside;
  };
  const Case cases[] = {
      {"2024-07-08", false},                       /* the day before: the enterprises' last */
      {"2024-07-09", true},                        /* the first day */
      {"2024-07-10", true},  {"2024-07-12", true}, /* the last day */
      {"2024-07-13", false},                       /* the day after */
      {"2024-07-04", false},
  };
  for (int kind : {CONTRACT_DRUG, CONTRACT_CONSUMABLE})
    for (const Case &c : cases)
      EXPECT_EQ(in_time(1, kind, CONTRACT_INSTITUTION, w, c.today),
                c.inside ? ok() : refused(kInstitutionsWindow))
          << "kind " << kind << ", " << c.today;
}

TEST(ContractRules, AWindowRefusalsMessageNamesTheWindow) {
  const contract_windows w = fujian();
  vbp_status s =
      contract_sign_in_time(1, CONTRACT_DRUG, CONTRACT_MANUFACTURER, &w, day("2024-07-09"));
  EXPECT_EQ(s.code, VBP_FAILED_PRECONDITION);
  EXPECT_STREQ(s.message, "party C2: outside the enterprises' window 2024-07-04..2024-07-08");
}

TEST(ContractRules, ASideWithoutAWindowSignsAnyDay) {
  contract_windows w = fujian();
  w.has_enterprise = false;
  EXPECT_EQ(in_time(1, CONTRACT_DRUG, CONTRACT_MANUFACTURER, w, "2024-07-20"), ok());
  EXPECT_EQ(in_time(1, CONTRACT_DRUG, CONTRACT_DISTRIBUTOR, w, "2024-06-01"), ok());
  EXPECT_EQ(in_time(1, CONTRACT_DRUG, CONTRACT_INSTITUTION, w, "2024-07-20"),
            refused(kInstitutionsWindow));
  w = fujian();
  w.has_institution = false;
  EXPECT_EQ(in_time(1, CONTRACT_DRUG, CONTRACT_INSTITUTION, w, "2024-07-20"), ok());
  EXPECT_EQ(in_time(1, CONTRACT_DRUG, CONTRACT_MANUFACTURER, w, "2024-07-20"),
            refused(kEnterprisesWindow));
  w.has_enterprise = false;
  for (int party : kParties)
    EXPECT_EQ(in_time(1, CONTRACT_DRUG, party, w, "2030-01-01"), ok()) << party;
}

TEST(ContractRules, C4LastDayIsThirtyDaysAfterTheStart) {
  EXPECT_EQ(day_text(contract_c4_last_day(day("2024-07-22"))), "2024-08-21");
  EXPECT_EQ(day_text(contract_c4_last_day(day("2024-12-15"))), "2025-01-14");
  EXPECT_EQ(day_text(contract_c4_last_day(day("2024-02-01"))), "2024-03-02"); /* 29 Feb counted */
  EXPECT_EQ(day_text(contract_c4_last_day(day("2025-02-01"))), "2025-03-03");
}

TEST(ContractRules, FirstYearConsumablesAreSignedByTheC4Day) {
  contract_windows w = fujian();
  w.has_enterprise = w.has_institution = false;
  const Outcome late = refused(
      "C4: consumable contracts of the first year are signed by 2024-08-21 (30 days after the "
      "start)");
  for (int party : kParties) {
    EXPECT_EQ(in_time(1, CONTRACT_CONSUMABLE, party, w, "2024-07-22"), ok()) << party;
    EXPECT_EQ(in_time(1, CONTRACT_CONSUMABLE, party, w, "2024-08-21"), ok()) << party;
    EXPECT_EQ(in_time(1, CONTRACT_CONSUMABLE, party, w, "2024-08-22"), late) << party;
    EXPECT_EQ(in_time(1, CONTRACT_CONSUMABLE, party, w, "2025-01-01"), late) << party;
    /* Drugs have no C4 day. */
    EXPECT_EQ(in_time(1, CONTRACT_DRUG, party, w, "2024-08-22"), ok()) << party;
  }
}

TEST(ContractRules, AMissedWindowIsNamedBeforeTheC4Day) {
  const contract_windows w = fujian();
  EXPECT_EQ(in_time(1, CONTRACT_CONSUMABLE, CONTRACT_INSTITUTION, w, "2024-08-22"),
            refused(kInstitutionsWindow));
  EXPECT_EQ(in_time(1, CONTRACT_CONSUMABLE, CONTRACT_MANUFACTURER, w, "2024-08-22"),
            refused(kEnterprisesWindow));
}

TEST(ContractRules, RenewalsHaveNoWindowAndNoC4Day) {
  const contract_windows w = fujian();
  for (int year : {2, 3, 4})
    for (int kind : {CONTRACT_DRUG, CONTRACT_CONSUMABLE})
      for (int party : kParties)
        for (const char *today : {"2024-07-03", "2024-08-22", "2025-12-20", "2026-01-01"})
          EXPECT_EQ(in_time(year, kind, party, w, today), ok())
              << "year " << year << ", kind " << kind << ", party " << party << ", " << today;
}

TEST(ContractRules, AFirstYearPartyThatIsNoPartyIsAnInvalidArgument) {
  const contract_windows w = fujian();
  const Outcome invalid = {VBP_INVALID_ARGUMENT, "party",
                           "must be MANUFACTURER, DISTRIBUTOR or INSTITUTION", -1};
  EXPECT_EQ(in_time(1, CONTRACT_DRUG, 0, w, "2024-07-04"), invalid);
  EXPECT_EQ(in_time(1, CONTRACT_CONSUMABLE, 4, w, "2024-07-09"), invalid);
}

/* ---------------------------------------------------------------- supervision */

/* "closed_on by_c4", or "open" when the enterprises' side has not closed. */
std::string closed(int year, int kind, const contract_windows &w, const char *today) {
  vbp_date on = 0;
  bool by_c4 = false;
  if (!contract_enterprise_closed(year, kind, &w, day(today), &on, &by_c4)) return "open";
  return day_text(on) + (by_c4 ? " C4" : " C2");
}

TEST(ContractRules, TheEnterprisesSideClosesAfterTheWindowsLastDayOrTheC4Day) {
  const contract_windows w = fujian();
  /* The window's last day is still open; the day after, it has closed on that last day. */
  EXPECT_EQ(closed(1, CONTRACT_DRUG, w, "2024-07-08"), "open");
  EXPECT_EQ(closed(1, CONTRACT_DRUG, w, "2024-07-09"), "2024-07-08 C2");
  EXPECT_EQ(closed(1, CONTRACT_DRUG, w, "2025-03-01"), "2024-07-08 C2");
  /* A consumable with the same window: the window closes first. */
  EXPECT_EQ(closed(1, CONTRACT_CONSUMABLE, w, "2025-03-01"), "2024-07-08 C2");
  /* Without a window: a drug never closes, a consumable after its C4 day. */
  contract_windows none = fujian();
  none.has_enterprise = none.has_institution = false;
  EXPECT_EQ(closed(1, CONTRACT_DRUG, none, "2030-01-01"), "open");
  EXPECT_EQ(closed(1, CONTRACT_CONSUMABLE, none, "2024-08-21"), "open");
  EXPECT_EQ(closed(1, CONTRACT_CONSUMABLE, none, "2024-08-22"), "2024-08-21 C4");
  /* A window that ends after the C4 day: C4 closes first. */
  contract_windows long_window = fujian();
  long_window.enterprise_to = day("2024-09-30");
  EXPECT_EQ(closed(1, CONTRACT_CONSUMABLE, long_window, "2024-10-01"), "2024-08-21 C4");
  EXPECT_EQ(closed(1, CONTRACT_DRUG, long_window, "2024-10-01"), "2024-09-30 C2");
  /* Both on the same day: the window names it. */
  contract_windows same_day = fujian();
  same_day.enterprise_to = day("2024-08-21");
  EXPECT_EQ(closed(1, CONTRACT_CONSUMABLE, same_day, "2024-08-22"), "2024-08-21 C2");
  /* Renewals have neither (C2, C4). */
  EXPECT_EQ(closed(2, CONTRACT_DRUG, w, "2030-01-01"), "open");
  EXPECT_EQ(closed(2, CONTRACT_CONSUMABLE, none, "2030-01-01"), "open");
}

TEST(ContractRules, AContractIsLeftUnsignedByAnEnterpriseThatHadNotSignedWhenItClosed) {
  const vbp_date closed_on = day("2024-07-08");
  for (int state : {CONTRACT_DRAFT, CONTRACT_PARTIALLY_SIGNED}) {
    EXPECT_TRUE(contract_left_unsigned(false, closed_on, state, 0)) << state;
    EXPECT_FALSE(contract_left_unsigned(true, closed_on, state, 0)) << state;
  }
  /* Both enterprises signed in every later state. */
  for (int state :
       {CONTRACT_ENTERPRISE_SIGNED, CONTRACT_EFFECTIVE, CONTRACT_EXPIRED, CONTRACT_RENEWED})
    EXPECT_FALSE(contract_left_unsigned(false, closed_on, state, 0)) << state;
  /* Terminated after its side closed: it was left unsigned; terminated by then (also on the
   * last day itself): nothing was asked of the enterprise any more. */
  EXPECT_TRUE(contract_left_unsigned(false, closed_on, CONTRACT_TERMINATED, day("2024-07-09")));
  EXPECT_TRUE(contract_left_unsigned(false, closed_on, CONTRACT_TERMINATED, day("2025-03-01")));
  EXPECT_FALSE(contract_left_unsigned(false, closed_on, CONTRACT_TERMINATED, day("2024-07-08")));
  EXPECT_FALSE(contract_left_unsigned(false, closed_on, CONTRACT_TERMINATED, day("2024-07-05")));
  EXPECT_FALSE(contract_left_unsigned(false, closed_on, CONTRACT_TERMINATED, 0));
  EXPECT_FALSE(contract_left_unsigned(true, closed_on, CONTRACT_TERMINATED, day("2025-03-01")));
}

/* ---------------------------------------------------------------- C7 */

TEST(ContractRules, RenewalFloorIsTheReferencePerDayRoundedHalfUp) {
  /* Fujian's first year is 2024-07-22..2025-12-31, 528 days; its last 2028-01-01..2028-07-21,
   * 203 days. */
  EXPECT_EQ(day("2025-12-31") - day("2024-07-22") + 1, 528);
  EXPECT_EQ(day("2028-07-21") - day("2028-01-01") + 1, 203);
  struct Case {
    int64_t reference;
    int new_days, reference_days;
    int64_t floor;
  };
  const Case cases[] = {
      {421, 365, 528, 291}, /* Fujian's year 2: 291.03 */
      {421, 366, 528, 292}, /* a leap year: 291.83 */
      {421, 203, 528, 162}, /* Fujian's last year: 161.86 */
      {421, 528, 528, 421}, /* the same length */
      {291, 365, 365, 291}, /* the previous year's, same length (Liaoning) */
      {5, 365, 730, 3},     /* 2.5: the half goes up */
      {1, 1, 2, 1},         /* 0.5 */
      {1, 1, 3, 0},         /* 0.33 */
      {100, 183, 366, 50},  /* exact */
      {0, 365, 528, 0},     /* no reference quantity */
      {421, 365, 0, 0},     /* no reference year */
      {421, 365, -1, 0},
      {INT64_MAX, 2, 2, INT64_MAX},               /* x 2 overflows 64 bits on the way */
      {INT64_MAX, 365, 730, 4611686018427387904}, /* ...903.5 */
  };
  for (const Case &c : cases)
    EXPECT_EQ(contract_renewal_floor(c.reference, c.new_days, c.reference_days), c.floor)
        << c.reference << " x " << c.new_days << " / " << c.reference_days;
}

/* ---------------------------------------------------------------- C8 */

TEST(ContractRules, DistributorCapByKind) {
  EXPECT_EQ(contract_distributor_cap(CONTRACT_DRUG), 5);
  EXPECT_EQ(contract_distributor_cap(CONTRACT_CONSUMABLE), 10);
  EXPECT_EQ(contract_distributor_cap(0), 0);
  EXPECT_EQ(contract_distributor_cap(3), 0);
}

std::string area(const char *region_code) {
  char out[7] = "xxxxxx";
  if (!contract_coordination_area(region_code, out)) {
    EXPECT_STREQ(out, "xxxxxx") << "a code without a level writes nothing";
    return "-";
  }
  return out;
}

TEST(ContractRules, CoordinationAreaIsTheCityOrAProvinceLevelInstitutionsProvince) {
  EXPECT_EQ(area("350102"), "350100"); /* Fuzhou's Gulou district: Fuzhou */
  EXPECT_EQ(area("350128"), "350100");
  EXPECT_EQ(area("350203"), "350200"); /* Xiamen's Siming district: Xiamen */
  EXPECT_EQ(area("350100"), "350100"); /* a city's own institution */
  EXPECT_EQ(area("350000"), "350000"); /* 省直: Fujian itself */
  EXPECT_EQ(area("110101"), "110100"); /* a municipality's district */
}

TEST(ContractRules, CoordinationAreaOfACodeWithoutALevelIsNone) {
  EXPECT_EQ(area("000000"), "-");
  EXPECT_EQ(area("003501"), "-");
  EXPECT_EQ(area("35010"), "-");
  EXPECT_EQ(area("3501020"), "-");
  EXPECT_EQ(area("35a102"), "-");
  EXPECT_EQ(area(""), "-");
  EXPECT_EQ(area(nullptr), "-");
}

/* ---------------------------------------------------------------- states */

TEST(ContractRules, AnEffectiveContractExpiresTheDayAfterItsPeriodEnd) {
  const vbp_date end = day("2025-12-31");
  EXPECT_EQ(contract_state_on(CONTRACT_EFFECTIVE, false, end, day("2024-07-22")),
            CONTRACT_EFFECTIVE);
  EXPECT_EQ(contract_state_on(CONTRACT_EFFECTIVE, false, end, day("2025-12-30")),
            CONTRACT_EFFECTIVE);
  EXPECT_EQ(contract_state_on(CONTRACT_EFFECTIVE, false, end, day("2025-12-31")),
            CONTRACT_EFFECTIVE); /* the last day */
  EXPECT_EQ(contract_state_on(CONTRACT_EFFECTIVE, false, end, day("2026-01-01")),
            CONTRACT_EXPIRED); /* the day after */
  EXPECT_EQ(contract_state_on(CONTRACT_EFFECTIVE, false, end, day("2027-06-01")), CONTRACT_EXPIRED);
}

TEST(ContractRules, ARenewalInForceWinsOverTheDate) {
  const vbp_date end = day("2025-12-31");
  for (const char *today : {"2025-12-30", "2025-12-31", "2026-01-01", "2027-06-01"})
    EXPECT_EQ(contract_state_on(CONTRACT_EFFECTIVE, true, end, day(today)), CONTRACT_RENEWED)
        << today;
}

TEST(ContractRules, OtherStoredStatesStayThemselvesWhateverTheDate) {
  const vbp_date end = day("2025-12-31");
  for (int state : {CONTRACT_DRAFT, CONTRACT_PARTIALLY_SIGNED, CONTRACT_ENTERPRISE_SIGNED,
                    CONTRACT_EXPIRED, CONTRACT_RENEWED, CONTRACT_TERMINATED})
    for (bool next_effective : {false, true})
      for (const char *today : {"2025-12-31", "2026-01-01", "2030-01-01"})
        EXPECT_EQ(contract_state_on(state, next_effective, end, day(today)), state)
            << "state " << state << ", next " << next_effective << ", " << today;
}

TEST(ContractRules, WhichStatesAreLiveRenewableAndTerminable) {
  struct Case {
    int state;
    bool live, renewable, terminable;
  };
  const Case cases[] = {
      {CONTRACT_DRAFT, true, false, true},
      {CONTRACT_PARTIALLY_SIGNED, true, false, true},
      {CONTRACT_ENTERPRISE_SIGNED, true, false, true},
      {CONTRACT_EFFECTIVE, true, true, true},
      {CONTRACT_EXPIRED, false, false, false},
      {CONTRACT_RENEWED, false, false, false},
      {CONTRACT_TERMINATED, false, false, false},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(contract_is_live(c.state), c.live) << c.state;
    EXPECT_EQ(contract_renewable(c.state), c.renewable) << c.state;
    EXPECT_EQ(contract_terminable(c.state), c.terminable) << c.state;
  }
  /* A number that is no state: neither renewed nor terminated, and held live so a distributor
   * is not withdrawn from under it. */
  for (int state : {0, 8}) {
    EXPECT_TRUE(contract_is_live(state)) << state;
    EXPECT_FALSE(contract_renewable(state)) << state;
    EXPECT_FALSE(contract_terminable(state)) << state;
  }
}

}  // namespace

/* The shape of GB/T 2260 region codes, the same in every service: six digits, xx0000 a province,
 * xxxx00 a city, any other a county (vbp.v1.RegionLevel's numbers 1, 2, 3). What a code's shape
 * implies, not whether the region exists. Pure and thread-safe. */
#ifndef VBP_REGIONS_H
#define VBP_REGIONS_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The level code's shape implies; 0 when code is NULL, not six digits, or its province part is
 * 00. */
int vbp_region_level_of(const char *code);

/* The parent a region code implies ("350000" for "350100", "350100" for "350102", "" for a
 * province) into out (7 bytes). code must have a level (above). */
void vbp_region_parent_of(const char *code, char out[7]);

/* The code prefix that selects a region and every region below it ("35" for a province,
 * "3501" for a city, the whole code for a county) into out (7 bytes). */
void vbp_region_prefix(const char *code, char out[7]);

/* The province a code belongs to ("350000" for "350000", "350100" and "350102") into out
 * (7 bytes). Returns false, leaving out alone, when code has no level (above). */
bool vbp_region_province_of(const char *code, char out[7]);

/* Whether region_code lies in (or is) the region `ancestor`, by GB/T 2260 prefixes: a province
 * "35xxxx" contains every "35....", a city "3501xx" every "3501..". */
bool vbp_region_contains(const char *ancestor, const char *region_code);

#ifdef __cplusplus
}
#endif
#endif

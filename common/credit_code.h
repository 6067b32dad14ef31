/* The unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from
 * "0123456789ABCDEFGHJKLMNPQRTUWXY", the last a check character over the first 17 with weights
 * 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28: check = 31 - (sum mod 31), 31 maps to 0.
 * Pure and thread-safe. */
#ifndef VBP_CREDIT_CODE_H
#define VBP_CREDIT_CODE_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Checks code. Returns true if it is valid. On failure, when reason_buf is not NULL, writes a
 * short English phrase saying what is wrong into it (reason_len bytes, NUL-terminated), e.g.
 * "must be 18 characters", "has 'I' at position 7, outside the GB 32100 alphabet",
 * "fails the GB 32100 check (last character should be 'X')". */
bool vbp_credit_code_check(const char *code, char *reason_buf, int reason_len);

/* The check character the first 17 characters call for, or 0 if one of them is outside the
 * alphabet. */
char vbp_credit_code_check_char(const char *first17);

#ifdef __cplusplus
}
#endif
#endif

/*-------------------------------------------------------------------------
 *
 * sensitive.h
 *	  Detectors of sensitive values, run on every text value of a profile
 *	  scan (docs/sensitive-data.md).
 *
 * Each detector is a validator, not only a pattern: a payment card number
 * must pass the Luhn check and an issuer's prefix and length, an IBAN its
 * country's length and mod-97, an address its octet ranges.  The profiler
 * counts, per column, the values each detector accepts as a whole and the
 * values of free text that contain one; the classification into tags
 * (with the column-name evidence) happens in SQL, from those counts.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SENSITIVE_H
#define DQ_SENSITIVE_H

#include "postgres.h"

/* Detectors of a whole value (bit numbers of DqDetectSensitive's result). */
typedef enum DqSensitive
{
	DQ_SENS_EMAIL = 0,			/* e-mail address */
	DQ_SENS_PHONE,				/* phone number: E.164 or a national form */
	DQ_SENS_CARD,				/* payment card number: Luhn, issuer, length */
	DQ_SENS_IBAN,				/* IBAN: country length and mod-97 */
	DQ_SENS_IPV4,				/* IPv4 address */
	DQ_SENS_IPV4_WIDE,			/* ... with an octet of 32 or more */
	DQ_SENS_IPV6,				/* IPv6 address */
	DQ_SENS_SSN,				/* US SSN written AAA-GG-SSSS */
	DQ_SENS_SSN_DIGITS,			/* nine digits that obey the SSN rules */
	DQ_SENS_NAME_LIKE,			/* one to four capitalized words */
	DQ_NUM_SENSITIVE
} DqSensitive;

/* Free text (a value with spaces) that contains one of these. */
typedef enum DqSensitiveInText
{
	DQ_SENS_IN_EMAIL = 0,
	DQ_SENS_IN_PHONE,
	DQ_SENS_IN_CARD,
	DQ_SENS_IN_IBAN,
	DQ_SENS_IN_SSN,
	DQ_NUM_SENSITIVE_IN_TEXT
} DqSensitiveInText;

/* Layout of the detection mask: whole-value bits, then contained ones. */
#define DQ_SENS_IN_SHIFT	DQ_NUM_SENSITIVE
#define DQ_SENS_ANY_IN_TEXT	(1u << (DQ_NUM_SENSITIVE + DQ_NUM_SENSITIVE_IN_TEXT))
#define DQ_SENS_MASK_BITS	(DQ_NUM_SENSITIVE + DQ_NUM_SENSITIVE_IN_TEXT + 1)

extern const char *const DqSensitiveNames[DQ_NUM_SENSITIVE];
extern const char *const DqSensitiveInTextNames[DQ_NUM_SENSITIVE_IN_TEXT];

/*
 * shape is the value's DqClassifyText mask (base/text_patterns.h), used
 * only to skip detectors that cannot accept a value of that shape; 0 (no
 * hint) gives the same result, more slowly.
 */
extern uint32 DqDetectSensitive(const char *s, int len, uint32 shape);

/* Validators, also used by the tests through dq.detect_sensitive(). */
extern bool DqLuhnValid(const char *digits, int n);
extern bool DqCardIssuerValid(const char *digits, int n);
extern bool DqIbanValid(const char *s, int len);

#endif							/* DQ_SENSITIVE_H */

/*
 * vatcat.h - the EN 16931 rules on the VAT categories an invoice uses and what each
 * asks of the parties (BR-x-01..04 of every category, BR-O-11..14, BR-IC-11/12,
 * BR-B-01/02), on the invoice model.
 */
#ifndef CHORUSGW_VATCAT_H
#define CHORUSGW_VATCAT_H

struct invoice;
struct problems;

/* Append to *out an error for each of these rules `inv` breaks. */
void vatcat_check(const struct invoice *inv, struct problems *out);

#endif

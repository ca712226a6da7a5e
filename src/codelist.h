/*
 * codelist.h - the code lists of EN 16931 (ISO 3166, ISO 4217, UNTDID, ISO 6523,
 * UN/ECE Recommendation 20), each held once (codelist.c), for the rules on the
 * invoice model (check.c) and those of the syntax walk (xform-syntax.c).
 */
#ifndef CHORUSGW_CODELIST_H
#define CHORUSGW_CODELIST_H

/* 1 when `code` is in the list named `list` ("ISO4217", "UNCL4461", "ICD", "REC20",
 * ... see codelist.c), else 0 (also for an unknown list or a code with a blank). */
int codelist_ok(const char *list, const char *code);
/* 1 when there is a list of that name. */
int codelist_known(const char *list);
/* 1 when the artefacts compare codes of that list as they are ("MIME"): no blank
 * around them trimmed. */
int codelist_exact(const char *list);
/* 1 when `s` is a substring of the list's codes, written " A B C " (XPath's contains()
 * on the string the UBL artefact's BR-CL-08 holds: "UNCL4451-UBL"). */
int codelist_contains(const char *list, const char *s);
/* The same for ISO 3166-1 alpha-2 (plus EN 16931's 1A and XI) and ISO 4217. */
int iso3166_ok(const char *);
int iso4217_ok(const char *);

#endif

/*
 * incoming.h - the spool's incoming area: the invoices received through a Plateforme
 * Agréée, each as its files and a receipt the ERP reads (chorusgw-incoming(5)), the
 * quarantine for files refused, and the index of the flows fetched, so that no flow is
 * fetched twice, even after the ERP took its files away.
 *
 *   DIR/incoming/NAME.EXT                 the flow's original (docType Original)
 *   DIR/incoming/NAME.readable.pdf        its readable view, when [incoming] asks for it
 *   DIR/incoming/NAME.converted.xml       its converted form, likewise
 *   DIR/incoming/NAME.receipt             written last: the invoice is complete
 *   DIR/quarantine/NAME.EXT, NAME.receipt a flow refused (hostile, malformed), its reason
 *   DIR/.chorusgw/incoming/pending/NAME   a receipt being published (crash recovery)
 *   DIR/.chorusgw/incoming/seen/NAME      the flow was fetched: never fetched again
 *   DIR/.chorusgw/incoming/position       where the search of new flows stands (feed.h)
 *
 * NAME is the flow id when it is a safe file name, else "flow-" and 16 hex digits of its
 * SHA-256. Order of a delivery: the files (durable, never replacing another), the
 * receipt's text in pending/, the receipt, then pending/NAME renamed to seen/NAME. A
 * crash before pending/ leaves files the next fetch finds identical; after it,
 * incoming_open() finishes the publication. Nothing is deleted.
 *
 * The receipt (struct in_receipt) is an ordered list of keys, written like the
 * sending side's receipts (INI, the same escapes, a checksum line).
 *
 * Ownership: structs are released by their *_free(); strings returned are the caller's
 * unless said borrowed. Errors: 0 / -1 with *why (HACKING.md).
 */
#ifndef CHORUSGW_INCOMING_H
#define CHORUSGW_INCOMING_H

#include <stddef.h>
#include <sys/types.h>

#define INCOMING_DIR   "incoming"
#define QUARANTINE_DIR "quarantine"
#define IN_RECEIPT_EXT ".receipt"

/* ---- the receipt ---- */

struct in_receipt {
	char **k, **v;
	size_t n;
};
/* Set `key` (replacing its value, else appended); value NULL removes nothing and adds
 * nothing. */
void inr_set(struct in_receipt *, const char *key, const char *value);
/* Append "PREFIX.N = value" with the next N. */
void inr_add(struct in_receipt *, const char *prefix, const char *value);
/* The value of `key` (borrowed), or NULL. */
const char *inr_get(const struct in_receipt *, const char *key);
/* The text (INI with its checksum line). Caller frees. */
char *inr_format(const struct in_receipt *);
/* Parse inr_format()'s output (a torn or edited file is refused). 0 / -1. */
int inr_parse(const char *text, size_t len, struct in_receipt *out, char **why);
/* Read the receipt at `path` (1 MiB at most, symlinks refused). 0 / -1. */
int inr_read(const char *path, struct in_receipt *out, char **why);
void inr_free(struct in_receipt *);

/* ---- the area ---- */

struct incoming;

/* One file of a flow to deliver. */
struct in_file {
	const char *suffix; /* after NAME: ".xml", ".readable.pdf"... */
	const void *data;
	size_t len;
};

/* Open (creating what is missing) the area under the spool root `root`; visible files
 * get `mode`. Finishes the publications a crash interrupted. NULL with *why. */
struct incoming *incoming_open(const char *root, mode_t mode, char **why);
void incoming_close(struct incoming *);

/* The file name stem (NAME) of a flow id. Caller frees. */
char *incoming_name(const char *flow_id);
/* 1 when the flow was fetched (delivered or quarantined), 0 when not. */
int incoming_fetched(const struct incoming *, const char *flow_id);
/*
 * Deliver the flow `flow_id`: its files into incoming/ (or quarantine/ with
 * `quarantine`), then the receipt `r` (its "file.*" keys are set here), and record it
 * fetched. A file of that name already there with other bytes is never replaced: -1.
 * 0 once all is durable.
 */
int incoming_deliver(struct incoming *, const char *flow_id, int quarantine,
                     const struct in_file *files, size_t nfiles, struct in_receipt *r, char **why);
/* Rewrite the receipt of NAME in incoming/ (statuses sent...). 0 / -1. */
int incoming_save(struct incoming *, const char *receipt_path, const struct in_receipt *,
                  char **why);

/* Paths, for the callers (borrowed): the spool's tmp folder, incoming/, quarantine/,
 * the search position's file. */
const char *incoming_tmp(const struct incoming *);
const char *incoming_dir(const struct incoming *);
const char *incoming_position(const struct incoming *);

#endif

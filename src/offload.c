/*
 * offload.c - the pre-flight of a document in a worker process (offload.h): the
 * request (the time, the route, the file's name, its path and the most bytes to read,
 * where to write the document made), the worker's side (it reads the file, then
 * check_document() with the configuration it was forked with, then writes the document
 * made durably), and the reply, the part of the struct preflight the gateway uses, as
 * bytes: the verdict, the route it was made for and the export's route and billing
 * mode, the size of the document made, the problems (BR-FR's on the PA route), the
 * invoice's numbers, SIRETs, SIRENs, electronic addresses, billing mode, buyer
 * references, IBANs and attachment sizes.
 *
 * Errors: the outcome of check_document() travels as it is; a file the worker cannot
 * read is OFFLOAD_UNREADABLE; a worker that died, or whose reply cannot be decoded, is
 * OFFLOAD_DIED, and a worker that could not be started a PF_SETUP failure: each says
 * how (the document is kept, not judged, but for the unreadable file).
 */
#include "config.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fileio.h"
#include "offload.h"
#include "util.h"
#include "worker.h"

#define PER_BYTE 54            /* peak memory per byte of the file, bench section 5 */
#define BASELINE (32ULL << 20) /* the compiled stylesheets and schemas */
#define STR_NULL 0xffffffffu

uint64_t
offload_memory_estimate(uint64_t size)
{
	return BASELINE + size * PER_BYTE;
}

/* ---- encoding ------------------------------------------------------------------------ */

static void
put_u32(struct buf *b, uint32_t v)
{
	buf_add(b, &v, sizeof(v));
}

static void
put_str(struct buf *b, const char *s, size_t len)
{
	put_u32(b, s ? (uint32_t)len : STR_NULL);
	if (s)
		buf_add(b, s, len);
}

static void
put_s(struct buf *b, const char *s)
{
	put_str(b, s, s ? strlen(s) : 0);
}

struct rd {
	const unsigned char *p, *end;
	int bad;
};

static uint32_t
get_u32(struct rd *r)
{
	uint32_t v = 0;
	if ((size_t)(r->end - r->p) < sizeof(v)) {
		r->bad = 1;
		return 0;
	}
	memcpy(&v, r->p, sizeof(v));
	r->p += sizeof(v);
	return v;
}

/* A malloc'ed, NUL-terminated copy, or NULL; its length in *len when asked. */
static char *
get_str(struct rd *r, size_t *len)
{
	uint32_t n = get_u32(r);
	char *s;
	if (r->bad || n == STR_NULL)
		return NULL;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	s = xstrndup((const char *)r->p, n);
	r->p += n;
	if (len)
		*len = n;
	return s;
}

/* The invoice's values the gateway reads after the pre-flight, in this order: the
 * number and SIRETs; the parties' SIRENs (invoice_party_siren(): the electronic address
 * with its scheme, the legal id) that the PA's Directory is asked about, and the
 * buyer's electronic address it addresses; the billing mode (BT-23) that decides the
 * route; and what preflight_buyer() and the PA's buyer check judge (a problem found
 * names the value's element and line); the supplier's country, which with its first
 * identifier (sent apart: an array) gives a supplier without a SIRET its Chorus Pro
 * type (invoice_supplier_id_type()). */
static struct inv_value *
inv_values(struct invoice *inv, size_t i)
{
	struct inv_value *v[] = {&inv->number,
	                         &inv->supplier.siret,
	                         &inv->buyer.siret,
	                         &inv->supplier.legal_id,
	                         &inv->supplier.endpoint,
	                         &inv->buyer.legal_id,
	                         &inv->buyer.endpoint,
	                         &inv->cadre,
	                         &inv->service_code,
	                         &inv->engagement,
	                         &inv->supplier.country};
	return i < nitems(v) ? v[i] : NULL;
}

void
offload_encode(int r, const struct preflight *pf, const char *why, struct buf *out)
{
	size_t i;
	struct inv_value *v;
	put_u32(out, (uint32_t)r);
	put_s(out, why);
	put_u32(out, (uint32_t)pf->verdict);
	put_u32(out, (uint32_t)pf->x.syntax);
	put_s(out, pf->x.what);
	put_str(out, pf->x.xml, pf->x.len);
	put_u32(out, (uint32_t)pf->x.len); /* without the bytes: written by the worker */
	put_s(out, pf->x.iban_source);
	put_u32(out, pf->x.route); /* routed() compares it with the route decided */
	put_s(out, pf->x.export_route);
	put_s(out, pf->x.export_cadre);
	put_u32(out, pf->inv != NULL);
	for (i = 0; pf->inv && (v = inv_values(pf->inv, i)) != NULL; i++) {
		put_s(out, v->text);
		put_s(out, v->attr);
		put_s(out, v->path);
		put_u32(out, (uint32_t)v->line);
	}
	if (pf->inv) {
		const struct inv_party *s = &pf->inv->supplier;
		put_u32(out, s->nids > 0);
		if (s->nids) {
			put_s(out, s->ids[0].text);
			put_s(out, s->ids[0].attr);
		}
		/* the receipt's iban_source reads the first account; tp_fits() names the
		 * heaviest embedded attachments */
		put_u32(out, (uint32_t)pf->inv->npayments);
		for (i = 0; i < pf->inv->npayments; i++)
			put_s(out, pf->inv->payments[i].iban.text);
		put_u32(out, (uint32_t)pf->inv->nattachments);
		for (i = 0; i < pf->inv->nattachments; i++) {
			const struct inv_attachment *a = &pf->inv->attachments[i];
			put_s(out, a->id.text);
			put_s(out, a->filename.text);
			put_u32(out, (uint32_t)a->content_len);
		}
	}
	put_u32(out, (uint32_t)pf->problems.n);
	for (i = 0; i < pf->problems.n; i++) {
		const struct problem *p = &pf->problems.v[i];
		put_u32(out, (uint32_t)p->sev);
		put_s(out, p->rule);
		put_u32(out, (uint32_t)p->chorus);
		put_s(out, p->path);
		put_u32(out, (uint32_t)p->line);
		put_s(out, p->value);
		put_s(out, p->text);
	}
}

int
offload_decode(const void *data, size_t len, int *r, struct preflight *pf, char **why)
{
	struct rd rd = {data, (const unsigned char *)data + len, 0};
	uint32_t n, i;
	struct inv_value *v;

	memset(pf, 0, sizeof(*pf));
	*r = (int)get_u32(&rd);
	*why = get_str(&rd, NULL);
	pf->verdict = (enum preflight_verdict)get_u32(&rd);
	pf->x.syntax = (int)get_u32(&rd);
	pf->x.what = get_str(&rd, NULL);
	pf->x.xml = get_str(&rd, NULL);
	pf->x.len = get_u32(&rd);
	pf->x.iban_source = get_str(&rd, NULL);
	pf->x.route = get_u32(&rd);
	pf->x.export_route = get_str(&rd, NULL);
	pf->x.export_cadre = get_str(&rd, NULL);
	if (get_u32(&rd)) {
		struct invoice *inv = pf->inv = xcalloc(1, sizeof(*pf->inv));
		for (i = 0; (v = inv_values(inv, i)) != NULL; i++) {
			v->text = get_str(&rd, NULL);
			v->attr = get_str(&rd, NULL);
			v->path = get_str(&rd, NULL);
			v->line = (int)get_u32(&rd);
		}
		inv->syntax = pf->x.syntax;
		if (get_u32(&rd)) {
			inv->supplier.ids = xcalloc(1, sizeof(*inv->supplier.ids));
			inv->supplier.nids = 1;
			inv->supplier.ids[0].text = get_str(&rd, NULL);
			inv->supplier.ids[0].attr = get_str(&rd, NULL);
		}
		/* each entry takes at least 4 bytes: a count beyond what is left is a lie */
		n = get_u32(&rd);
		if (n <= (size_t)(rd.end - rd.p) / 4) {
			inv->payments = xcalloc(n ? n : 1, sizeof(*inv->payments));
			inv->npayments = n;
			for (i = 0; i < n; i++)
				inv->payments[i].iban.text = get_str(&rd, NULL);
		} else
			rd.bad = 1;
		n = get_u32(&rd);
		if (!rd.bad && n <= (size_t)(rd.end - rd.p) / 12) {
			inv->attachments = xcalloc(n ? n : 1, sizeof(*inv->attachments));
			inv->nattachments = n;
			for (i = 0; i < n; i++) {
				inv->attachments[i].id.text = get_str(&rd, NULL);
				inv->attachments[i].filename.text = get_str(&rd, NULL);
				inv->attachments[i].content_len = get_u32(&rd);
			}
		} else
			rd.bad = 1;
	}
	n = get_u32(&rd);
	for (i = 0; i < n && !rd.bad; i++) {
		struct problem *p;
		pf->problems.v = xreallocarray(pf->problems.v, pf->problems.n + 1, sizeof(*p));
		p = &pf->problems.v[pf->problems.n++];
		memset(p, 0, sizeof(*p));
		p->sev = (enum problem_sev)get_u32(&rd);
		p->rule = get_str(&rd, NULL);
		p->chorus = (int)get_u32(&rd);
		p->path = get_str(&rd, NULL);
		p->line = (int)get_u32(&rd);
		p->value = get_str(&rd, NULL);
		p->text = get_str(&rd, NULL);
		if (p->sev == SEV_ERROR)
			pf->problems.nerrors++;
		else
			pf->problems.nwarnings++;
	}
	if (rd.bad || rd.p != rd.end) {
		preflight_free(pf);
		free(*why);
		*why = NULL;
		return -1;
	}
	return 0;
}

/* ---- the worker's side ------------------------------------------------------------------ */

struct offload {
	struct workers *w;
	const struct conf *conf; /* what workers forked from now on use */
};

/* request: int64 now, u32 route, the name, the path (u32 length, bytes each), u32 the
 * most bytes to read: the worker reads the file itself, so that a big one is not read
 * and copied on the daemon's loop; the stage's path and tmpdir, u32 its mode: the
 * worker writes the document made there, so that the loop neither decodes nor writes
 * it (a 16.8 MB UBL: about 0.3 s of the loop's) */
static void
serve(const void *req, size_t len, struct buf *out, void *ctx)
{
	struct offload *o = ctx;
	struct rd rd = {req, (const unsigned char *)req + len, 0};
	struct preflight pf;
	struct buf in;
	int64_t now = 0;
	unsigned route;
	size_t max;
	char *name, *path, *stage, *tmpdir, *why = NULL, *werr = NULL;
	mode_t mode;
	int r;

	if (len >= sizeof(now)) {
		memcpy(&now, req, sizeof(now));
		rd.p += sizeof(now);
	}
	route = get_u32(&rd);
	name = get_str(&rd, NULL);
	path = get_str(&rd, NULL);
	max = get_u32(&rd);
	stage = get_str(&rd, NULL);
	tmpdir = get_str(&rd, NULL);
	mode = (mode_t)get_u32(&rd);
	memset(&pf, 0, sizeof(pf));
	pf.x.syntax = -1;
	buf_init(&in);
	if (name == NULL || path == NULL || stage == NULL || rd.bad || rd.p != rd.end) {
		pf.verdict = PF_SETUP;
		offload_encode(-1, &pf, "the worker got a malformed request", out);
	} else if (read_file(path, max, 1, &in, &why) == -1) {
		pf.verdict = PF_REJECT;
		offload_encode(OFFLOAD_UNREADABLE, &pf, why, out);
	} else {
		r = check_document(in.p, in.len, name, o->conf, route, (time_t)now, &pf, &why);
		if (pf.x.xml &&
		    write_file_atomic(tmpdir, stage, pf.x.xml, pf.x.len, mode, 0, &werr) == -1) {
			/* the disk, not the document: it waits, nothing judged */
			char *msg = xasprintf("the document made could not be written: %s", werr);
			struct preflight none;
			memset(&none, 0, sizeof(none));
			none.x.syntax = -1;
			none.verdict = PF_SETUP;
			offload_encode(-1, &none, msg, out);
			free(msg);
			free(werr);
		} else {
			free(pf.x.xml);
			pf.x.xml = NULL; /* its size only */
			offload_encode(r, &pf, why, out);
		}
		preflight_free(&pf);
	}
	buf_free(&in);
	free(why);
	free(name);
	free(path);
	free(stage);
	free(tmpdir);
	malloc_trim(0); /* a big document's heap goes back to the system, not to idle */
}

/* ---- the daemon's side ------------------------------------------------------------------- */

struct call {
	offload_done_fn *cb;
	void *arg;
};

static void
done(const void *reply, size_t len, int died, const char *err, void *arg)
{
	struct call *c = arg;
	struct preflight pf;
	char *why = NULL, *msg = NULL;
	int r;

	if (reply == NULL || offload_decode(reply, len, &r, &pf, &why) == -1) {
		/* kept, not judged; a worker that died on it may have died of it */
		memset(&pf, 0, sizeof(pf));
		pf.verdict = PF_SETUP;
		pf.x.syntax = -1;
		r = reply == NULL && !died ? -1 : OFFLOAD_DIED;
		msg = xasprintf("the pre-flight did not finish: %s",
		                err ? err : "its worker sent a reply that cannot be read");
	}
	c->cb(r, &pf, msg ? msg : why, c->arg);
	preflight_free(&pf);
	free(why);
	free(msg);
	free(c);
}

struct offload *
offload_new(const struct conf *c, unsigned n)
{
	struct offload *o = xcalloc(1, sizeof(*o));
	o->conf = c;
	o->w = workers_new(n, serve, o);
	workers_on_drop(o->w, free);
	return o;
}

struct worker_job *
offload_check(struct offload *o, const char *path, size_t max, const char *name, unsigned route,
              time_t now, const struct offload_stage *stage, offload_done_fn *cb, void *arg)
{
	struct buf req;
	struct call *c = xmalloc(sizeof(*c));
	struct worker_job *j;
	int64_t t = (int64_t)now;

	c->cb = cb;
	c->arg = arg;
	buf_init(&req);
	buf_add(&req, &t, sizeof(t));
	put_u32(&req, route);
	put_s(&req, name);
	put_s(&req, path);
	put_u32(&req, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max);
	put_s(&req, stage->path);
	put_s(&req, stage->tmpdir);
	put_u32(&req, (uint32_t)stage->mode);
	j = workers_submit(o->w, req.p, req.len, done, c);
	buf_free(&req);
	return j;
}

void
offload_cancel(struct offload *o, struct worker_job *j)
{
	workers_cancel(o->w, j); /* its struct call is dropped (free) */
}

void
offload_renew(struct offload *o, const struct conf *c)
{
	o->conf = c;
	workers_renew(o->w);
}

void
offload_free(struct offload *o)
{
	if (o == NULL)
		return;
	workers_free(o->w);
	free(o);
}

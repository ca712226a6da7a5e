/*
 * Unit tests of http.c against a tiny HTTP/1.1 server run in the same event loop
 * (plain http on 127.0.0.1): keep-alive reuse, fresh connections, the bounded number
 * in flight, captured headers, the answer size cap, and the point of HTTP_FRESH:
 * libcurl silently re-sends a POST whose reused connection closes without an answer,
 * and never does so for an HTTP_FRESH request. A streamed body (a deposit's) is the
 * same bytes as the one the JSON module builds whole, and a file that cannot be read
 * while it goes out fails the request with a reason.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "http.h"
#include "json.h"
#include "tap.h"
#include "util.h"

/* ---- the server ---- */

struct conn {
	int fd;
	struct buf in;
	int held; /* a /hold request waits for release_held() */
};

static int lfd = -1, port;
static int nconn;    /* connections accepted */
static int nreq;     /* requests read */
static int ndrop;    /* POST /drop requests read */
static int nheld;    /* requests held unanswered */
static int max_held; /* most held at once */
static struct conn *conns[64];
static struct buf kept; /* the body of the last POST /keep */

static void
conn_close(struct conn *c)
{
	size_t i;
	ev_fd_del(c->fd);
	close(c->fd);
	for (i = 0; i < nitems(conns); i++)
		if (conns[i] == c)
			conns[i] = NULL;
	buf_free(&c->in);
	free(c);
}

static void
reply(struct conn *c, const char *head, const char *body, size_t blen)
{
	char *h = xasprintf("%sContent-Length: %zu\r\n\r\n", head, blen);
	ssize_t n = write(c->fd, h, strlen(h));
	if (blen)
		n = write(c->fd, body, blen);
	(void)n;
	free(h);
}

/* POST /echo: the request's Content-Type and body back, with a Content-Disposition. */
static void
echo(struct conn *c, const char *req, const char *body, size_t blen)
{
	const char *ct = strcasestr(req, "\r\nContent-Type:");
	struct buf b;
	buf_init(&b);
	if (ct) {
		ct += 15;
		while (*ct == ' ')
			ct++;
		buf_add(&b, ct, strcspn(ct, "\r"));
	}
	buf_addc(&b, '\n');
	buf_add(&b, body, blen);
	reply(c,
	      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
	      "Content-Disposition: attachment;filename=\"CDV_F1_205.xml\"\r\n",
	      b.p, b.len);
	buf_free(&b);
}

static void
handle(struct conn *c, const char *req, const char *body, size_t blen)
{
	nreq++;
	if (strncmp(req, "POST /echo ", 11) == 0)
		echo(c, req, body, blen);
	else if (strncmp(req, "POST /keep ", 11) == 0) {
		buf_free(&kept);
		buf_init(&kept);
		buf_add(&kept, body, blen);
		reply(c, "HTTP/1.1 200 OK\r\n", "ok", 2);
	} else if (strncmp(req, "GET /ok ", 8) == 0 || strncmp(req, "POST /ok ", 9) == 0)
		reply(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n", "ok", 2);
	else if (strncmp(req, "GET /hdr ", 9) == 0)
		reply(c,
		      "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
		      "WWW-Authenticate: Bearer realm=\"A\"\r\nwww-authenticate: Basic\r\n"
		      "Content-Type: application/json;charset=utf-8\r\n",
		      "{}", 2);
	else if (strncmp(req, "GET /big ", 9) == 0) {
		static char big[100000];
		memset(big, 'x', sizeof(big));
		reply(c, "HTTP/1.1 200 OK\r\n", big, sizeof(big));
	} else if (strncmp(req, "POST /drop ", 11) == 0) {
		ndrop++;
		shutdown(c->fd, SHUT_RDWR); /* processed, then the connection closes unanswered */
	} else if (strncmp(req, "GET /hold ", 10) == 0) {
		c->held = 1;
		nheld++;
		if (nheld > max_held)
			max_held = nheld;
	} else
		reply(c, "HTTP/1.1 404 Not Found\r\n", "", 0);
}

static void
on_conn(int fd, unsigned ev, void *arg)
{
	struct conn *c = arg;
	char tmp[4096];
	ssize_t n;
	(void)ev;
	n = read(fd, tmp, sizeof(tmp));
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			if (c->held)
				nheld--;
			conn_close(c);
		}
		return;
	}
	buf_add(&c->in, tmp, (size_t)n);
	for (;;) {
		char *end = c->in.p ? strstr(c->in.p, "\r\n\r\n") : NULL, *cl;
		size_t hlen, blen = 0, total;
		char *req;
		if (end == NULL)
			return;
		hlen = (size_t)(end - c->in.p) + 4;
		cl = strcasestr(c->in.p, "Content-Length:");
		if (cl && cl < end)
			blen = (size_t)strtoul(cl + 15, NULL, 10);
		total = hlen + blen;
		if (c->in.len < total)
			return;
		req = xstrndup(c->in.p, hlen);
		handle(c, req, c->in.p + hlen, blen);
		memmove(c->in.p, c->in.p + total, c->in.len - total + 1);
		c->in.len -= total;
		free(req);
	}
}

static void
on_accept(int fd, unsigned ev, void *arg)
{
	int s;
	size_t i;
	(void)ev;
	(void)arg;
	while ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		struct conn *c = xcalloc(1, sizeof(*c));
		c->fd = s;
		buf_init(&c->in);
		nconn++;
		for (i = 0; i < nitems(conns); i++)
			if (conns[i] == NULL) {
				conns[i] = c;
				break;
			}
		ev_fd_add(s, EV_READ, on_conn, c);
	}
}

static void
release_held(void *arg)
{
	size_t i;
	(void)arg;
	for (i = 0; i < nitems(conns); i++)
		if (conns[i] && conns[i]->held) {
			conns[i]->held = 0;
			nheld--;
			reply(conns[i], "HTTP/1.1 200 OK\r\n", "held", 4);
		}
}

static int
server_start(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(lfd, 16) == -1 || getsockname(lfd, (struct sockaddr *)&a, &len) == -1)
		return -1;
	port = ntohs(a.sin_port);
	return ev_fd_add(lfd, EV_READ, on_accept, NULL);
}

/* ---- the client side ---- */

static char *
url(const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", port, path);
}

static struct http_resp *
fetch(const char *method, const char *path, unsigned flags)
{
	struct http_reqspec s;
	struct http_resp *r;
	char *u = url(path);
	memset(&s, 0, sizeof(s));
	s.method = method;
	s.url = u;
	s.body = strcmp(method, "POST") == 0 ? "{\"a\":1}" : NULL;
	s.body_len = s.body ? 7 : 0;
	s.flags = flags;
	s.what = path;
	r = http_fetch(&s);
	free(u);
	return r;
}

/* A file of `n` bytes, every value of a byte in turn. */
static void
make_file(const char *path, size_t n, unsigned char **data)
{
	size_t i;
	*data = xmalloc(n + 1);
	for (i = 0; i < n; i++)
		(*data)[i] = (unsigned char)(i * 7 + i / 251);
	FILE *f = fopen(path, "wb");
	ok(f && fwrite(*data, 1, n, f) == n && fclose(f) == 0, "file of %zu bytes written", n);
}

static struct http_resp *
post_stream(const char *path, uint64_t size, const char *head, const char *tail)
{
	struct http_reqspec s;
	struct http_stream st;
	struct http_resp *r;
	char *u = url("/keep");
	memset(&s, 0, sizeof(s));
	memset(&st, 0, sizeof(st));
	st.head = head;
	st.path = path;
	st.size = size;
	st.tail = tail;
	s.method = "POST";
	s.url = u;
	s.stream = &st;
	s.flags = HTTP_FRESH;
	s.what = "stream";
	r = http_fetch(&s);
	free(u);
	return r;
}

static int done_count;
static struct http_resp *held_resp[3];

static void
on_held(struct http_resp *r, void *arg)
{
	held_resp[(intptr_t)arg] = r;
	done_count++;
}

int
main(void)
{
	struct http_opts o;
	struct http_resp *r;
	char *why = NULL;
	int c0, i, done = 0;
	char *e;

	/* pure helpers */
	e = http_form_escape("a b&c=d/é~");
	is_str(e, "a+b%26c%3Dd%2F%C3%A9~", "form escape");
	free(e);
	e = http_path_escape("a b/c:d");
	is_str(e, "a%20b%2Fc%3Ad", "path escape: a space and a slash are escaped");
	free(e);
	is_int(http_retry_after_ms("120", 0), 120000, "Retry-After seconds");
	is_int(http_retry_after_ms(" 3 ", 0), 3000, "Retry-After with spaces");
	is_int(http_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), 10000,
	       "Retry-After HTTP-date");
	is_int(http_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0,
	       "Retry-After date in the past: now");
	is_int(http_retry_after_ms("soon", 0), -1, "Retry-After garbage");
	is_int(http_retry_after_ms(NULL, 0), -1, "Retry-After absent");
	is_int(http_retry_after_ms("99999999", 0), 7 * 86400 * 1000LL,
	       "Retry-After capped at 7 days");
	is_str(http_status_text(503), "Service Unavailable", "status text");

	ok(ev_init(&why) == 0, "ev_init");
	ok(server_start() == 0, "test server listening");
	memset(&o, 0, sizeof(o));
	o.connect_timeout_ms = 2000;
	o.timeout_ms = 5000;
	o.max_in_flight = 2;
	o.max_answer = 10000;
	ok(http_init(&o, &why) == 0, "http_init");

	r = fetch("GET", "/ok", 0);
	is_int(r->status, 200, "GET answered");
	is_str(r->body.p, "ok", "body read");
	is_str(r->content_type, "text/plain", "Content-Type captured");
	ok(!r->reused, "first request: new connection");
	http_resp_free(r);
	r = fetch("POST", "/ok", 0);
	is_int(r->status, 200, "POST answered");
	ok(r->reused, "second request reuses the keep-alive connection");
	is_int(nconn, 1, "one connection for both");
	http_resp_free(r);

	c0 = nconn;
	r = fetch("POST", "/ok", HTTP_FRESH);
	is_int(r->status, 200, "fresh POST answered");
	ok(!r->reused, "HTTP_FRESH: not on the kept connection");
	is_int(nconn, c0 + 1, "HTTP_FRESH opened its own connection");
	http_resp_free(r);
	r = fetch("GET", "/ok", 0);
	is_int(nconn, c0 + 1, "the kept connection still serves others");
	http_resp_free(r);
	r = fetch("GET", "/ok", HTTP_FRESH);
	http_resp_free(r);
	r = fetch("GET", "/ok", 0);
	ok(r->reused, "an HTTP_FRESH connection is not put back for reuse (FORBID_REUSE)");
	is_int(nconn, c0 + 2, "only the fresh requests opened connections");
	http_resp_free(r);

	r = fetch("GET", "/hdr", 0);
	is_int(r->status, 429, "429 answered");
	is_str(r->retry_after, "7", "Retry-After captured");
	is_str(r->www_authenticate, "Bearer realm=\"A\", Basic",
	       "WWW-Authenticate captured, repeated ones joined");
	http_resp_free(r);

	r = fetch("GET", "/big", 0);
	is_int(r->fail, HTTP_FAIL_TOO_BIG, "answer over max_answer: TOO_BIG");
	ok(r->body.len <= 10000, "body kept within the cap");
	ok(contains(r->error, "larger than"), "too big: says so (%s)", r->error);
	http_resp_free(r);

	/* multipart/form-data: each part with its name, type and file name, bytes intact */
	{
		static const char bin[] = {'<', 'x', 0, '>', '\n'};
		struct http_part parts[2];
		struct http_reqspec s;
		char *u = url("/echo"), *fn;
		const char *b;
		memset(parts, 0, sizeof(parts));
		parts[0].name = "flowInfo";
		parts[0].content_type = "application/json";
		parts[0].data = "{\"name\":\"a.xml\"}";
		parts[0].len = strlen(parts[0].data);
		parts[1].name = "file";
		parts[1].filename = "a.xml";
		parts[1].content_type = "application/xml";
		parts[1].data = bin;
		parts[1].len = sizeof(bin);
		memset(&s, 0, sizeof(s));
		s.method = "POST";
		s.url = u;
		s.parts = parts;
		s.nparts = 2;
		s.flags = HTTP_FRESH;
		r = http_fetch(&s);
		free(u);
		b = r->body.p ? r->body.p : "";
		is_int(r->status, 200, "multipart POST answered");
		ok(str_has_prefix(b, "multipart/form-data; boundary="),
		   "multipart: Content-Type with its boundary");
		ok(contains(b, "Content-Disposition: form-data; name=\"flowInfo\"\r\n"
		               "Content-Type: application/json\r\n\r\n{\"name\":\"a.xml\"}\r\n"),
		   "multipart: the flowInfo part, typed application/json");
		ok(contains(b,
		            "Content-Disposition: form-data; name=\"file\"; filename=\"a.xml\"\r\n"
		            "Content-Type: application/xml\r\n\r\n<x"),
		   "multipart: the file part, with its name and type");
		ok(r->body.len > 5 && memmem(r->body.p, r->body.len, bin, sizeof(bin)) != NULL,
		   "multipart: the file's bytes intact (a NUL byte included)");
		is_str(r->content_disposition, "attachment;filename=\"CDV_F1_205.xml\"",
		       "Content-Disposition captured");
		fn = http_disposition_filename(r->content_disposition);
		is_str(fn, "CDV_F1_205.xml", "its file name");
		free(fn);
		http_resp_free(r);
		fn = http_disposition_filename("attachment; filename=plain.xml; size=3");
		is_str(fn, "plain.xml", "an unquoted file name");
		free(fn);
		fn = http_disposition_filename("attachment; xfilename=\"no.xml\"");
		ok(fn == NULL, "a parameter that only ends in filename is not it");
		free(fn);
		ok(http_disposition_filename(NULL) == NULL, "no header: no file name");
	}

	/* a streamed body is byte for byte the deposit body json.c built whole before
	 * (base64 lengths 0-3 mod 3, around the 48 KiB chunk, several chunks) */
	{
		static const size_t sizes[] = {
		    0, 1, 2, 3, 4, 5, 49151, 49152, 49153, 98305, 3 * 49152 + 2};
		char dir[] = "/tmp/test_http.XXXXXX", *path;
		size_t k;
		ok(mkdtemp(dir) != NULL, "temp dir");
		path = xasprintf("%s/doc.xml", dir);
		for (k = 0; k < nitems(sizes); k++) {
			unsigned char *data;
			struct json *whole = json_new_object(), *rest = json_new_object();
			char *b64, *old, *tail, *rdump;
			make_file(path, sizes[k], &data);
			/* what chorus_deposit() built before: one JSON object, dumped whole */
			b64 = base64_encode(data, sizes[k]);
			json_set(whole, "fichierFlux", json_new_str(b64));
			json_set_str(whole, "nomFichier", "F-1_q-1.xml");
			json_set_str(whole, "syntaxeFlux", "IN_DP_E1_UBL_INVOICE");
			json_set_bool(whole, "avecSignature", 0);
			old = json_dump(whole, 0);
			/* now: the rest of the object, the file's base64 streamed before it */
			json_set_str(rest, "nomFichier", "F-1_q-1.xml");
			json_set_str(rest, "syntaxeFlux", "IN_DP_E1_UBL_INVOICE");
			json_set_bool(rest, "avecSignature", 0);
			rdump = json_dump(rest, 0);
			tail = xasprintf("\",%s", rdump + 1);
			r = post_stream(path, sizes[k], "{\"fichierFlux\":\"", tail);
			is_int(r->status, 200, "streamed POST of %zu bytes answered", sizes[k]);
			ok(kept.len == strlen(old) && memcmp(kept.p, old, kept.len) == 0,
			   "%zu bytes: the streamed body is the one built whole (%zu / %zu bytes)",
			   sizes[k], kept.len, strlen(old));
			http_resp_free(r);
			json_free(whole);
			json_free(rest);
			free(b64);
			free(old);
			free(rdump);
			free(tail);
			free(data);
		}

		/* the file shorter than said (changed while it goes out): the request fails,
		 * says why, and counts as maybe sent (the deposit's outcome is unknown) */
		{
			unsigned char *data;
			make_file(path, 49152 + 5, &data);
			r = post_stream(path, 3 * 49152, "{\"a\":\"", "\"}");
			ok(r->fail != HTTP_FAIL_NONE,
			   "a file shorter than said: the request fails");
			ok(contains(r->error, "cannot read") && contains(r->error, path) &&
			       contains(r->error, "shorter"),
			   "and says why (%s)", r->error);
			ok(r->maybe_sent, "after sending began: maybe sent");
			http_resp_free(r);
			free(data);
		}
		unlink(path);
		r = post_stream(path, 10, "{\"a\":\"", "\"}");
		ok(r->fail != HTTP_FAIL_NONE && contains(r->error, "No such file"),
		   "a file gone: the request fails and says why (%s)", r->error);
		http_resp_free(r);

		/* a multipart file part read from its path: the same bytes, our file name */
		{
			unsigned char *data;
			struct http_part part;
			struct http_reqspec s;
			char *u = url("/keep");
			make_file(path, 70000, &data);
			memset(&part, 0, sizeof(part));
			part.name = "file";
			part.filename = "a.xml";
			part.content_type = "application/xml";
			part.path = path;
			memset(&s, 0, sizeof(s));
			s.method = "POST";
			s.url = u;
			s.parts = &part;
			s.nparts = 1;
			s.flags = HTTP_FRESH;
			r = http_fetch(&s);
			is_int(r->status, 200, "multipart from a file answered");
			ok(kept.len > 70000 && memmem(kept.p, kept.len, data, 70000) != NULL,
			   "multipart from a file: its bytes intact");
			ok(memmem(kept.p, kept.len, "filename=\"a.xml\"", 16) != NULL,
			   "multipart from a file: our file name, not the path's");
			http_resp_free(r);
			free(data);
			free(u);
		}
		unlink(path);
		rmdir(dir);
		free(path);
		buf_free(&kept);
	}

	/* the silent re-send this module exists to prevent */
	r = fetch("GET", "/ok", 0); /* a keep-alive connection is waiting */
	http_resp_free(r);
	ndrop = 0;
	r = fetch("POST", "/drop", 0);
	is_int(r->fail, HTTP_FAIL_DROPPED, "plain POST: connection lost");
	is_int(ndrop, 2, "plain POST on a reused connection: libcurl sent it twice");
	http_resp_free(r);
	r = fetch("GET", "/ok", 0);
	http_resp_free(r);
	ndrop = 0;
	r = fetch("POST", "/drop", HTTP_FRESH);
	is_int(r->fail, HTTP_FAIL_DROPPED, "HTTP_FRESH POST: connection lost");
	ok(r->maybe_sent, "HTTP_FRESH POST lost after sending: maybe_sent");
	is_int(ndrop, 1, "HTTP_FRESH POST sent exactly once");
	http_resp_free(r);

	/* connection refused: not sent */
	{
		struct http_reqspec s;
		struct sockaddr_in a;
		socklen_t alen = sizeof(a);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char *u;
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		/* a port that was free a moment ago and is closed now */
		bind(fd, (struct sockaddr *)&a, sizeof(a));
		getsockname(fd, (struct sockaddr *)&a, &alen);
		close(fd);
		u = xasprintf("http://127.0.0.1:%d/x", ntohs(a.sin_port));
		memset(&s, 0, sizeof(s));
		s.method = "POST";
		s.url = u;
		s.body = "{}";
		s.body_len = 2;
		s.flags = HTTP_FRESH;
		r = http_fetch(&s);
		is_int(r->fail, HTTP_FAIL_CONNECT, "closed port: CONNECT");
		ok(!r->maybe_sent, "closed port: certainly not sent");
		ok(r->error && *r->error, "closed port: an error message (%s)", r->error);
		http_resp_free(r);
		free(u);
	}

	/* at most max_in_flight at once; the third waits, then runs */
	for (i = 0; i < 3; i++) {
		struct http_reqspec s;
		char *u = url("/hold");
		memset(&s, 0, sizeof(s));
		s.method = "GET";
		s.url = u;
		s.flags = HTTP_FRESH;
		http_request(&s, on_held, (void *)(intptr_t)i);
		free(u);
	}
	is_int(http_in_flight(), 2, "two in flight");
	is_int(http_queued(), 1, "the third queued");
	while (nheld < 2)
		ev_run_once(100, &why);
	ev_timer_add(50, release_held, NULL);
	while (done_count < 2)
		ev_run_once(100, &why);
	while (nheld < 1 && done_count < 3)
		ev_run_once(100, &why);
	ev_timer_add(10, release_held, NULL);
	while (done_count < 3)
		ev_run_once(100, &why);
	is_int(max_held, 2, "the server never saw more than two at once");
	for (i = 0; i < 3; i++) {
		ok(held_resp[i] && held_resp[i]->status == 200, "held request %d answered", i);
		http_resp_free(held_resp[i]);
	}
	is_int(http_in_flight() + http_queued(), 0, "nothing left");

	/* http_run_until returns at once when done is already set */
	done = 1;
	ok(http_run_until(&done, &why) == 0, "run_until with done set");

	/* a second module joins the client (pa.c beside chorus.c) and leaves first */
	ok(http_init(&o, &why) == 0, "a second module joins the client");
	http_fini();
	r = fetch("GET", "/ok", 0);
	is_int(r->status, 200, "the client lives on until the last module leaves");
	http_resp_free(r);
	http_fini();
	for (i = 0; i < (int)nitems(conns); i++)
		if (conns[i])
			conn_close(conns[i]);
	ev_fd_del(lfd);
	close(lfd);
	ev_fini();
	return done_testing();
}

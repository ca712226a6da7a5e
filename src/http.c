/*
 * http.c - libcurl's multi interface over ev.c: curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to wake it up (CURLMOPT_TIMERFUNCTION); ev.c
 * calls curl_multi_socket_action() when a socket is ready or the timer is due. No
 * threads, no polling loop. The only file that includes curl.
 *
 * At most max_in_flight requests run at once; the others wait in a FIFO. Requests
 * share a keep-alive connection cache, except HTTP_FRESH ones (deposits) which get a
 * new connection (CURLOPT_FRESH_CONNECT) that is never put back in the cache
 * (CURLOPT_FORBID_REUSE): libcurl re-sends a request on its own only when it went out
 * on a reused connection that died before any answer byte, so a request that never
 * uses a reused connection is sent exactly once (DESIGN §2.5).
 *
 * Errors: http_init() returns -1 with *why. A request always ends in its callback
 * with a struct http_resp (fail says what went wrong), except when cancelled.
 * Header values are never logged: some carry secrets (Authorization, cpro-account).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ev.h"
#include "http.h"
#include "log.h"
#include "util.h"

#define MAX_HEADER_VALUE 2048
/* file bytes encoded per pull of a streamed body: a multiple of 3 (the chunks' base64
 * joins), small enough that a pull never holds the loop (about 0.1 ms) */
#define STREAM_CHUNK (48 * 1024)

/* A streamed body's state (struct http_stream); owned by its request. */
struct stream {
	char *head, *tail, *path;
	size_t head_len, tail_len;
	uint64_t size;    /* the file's bytes */
	uint64_t b64_len; /* their base64's */
	uint64_t pos;     /* body bytes handed to libcurl */
	int fd;           /* -1 until the body reaches the file */
	uint64_t read;    /* file bytes read */
	char out[STREAM_CHUNK / 3 * 4];
	size_t out_len, out_pos; /* base64 of the last chunk, and how much of it went */
	char *err;               /* why the file could not be read, NULL */
};

struct http_req {
	CURL *easy;
	struct curl_slist *hdrs;
	curl_mime *mime;       /* multipart body, or NULL */
	struct stream *stream; /* streamed body, or NULL */
	char *body;
	size_t body_len;
	char *method;
	char *what;
	unsigned flags;
	int64_t timeout_ms;
	char errbuf[CURL_ERROR_SIZE];
	int too_big;
	struct http_resp *resp;
	http_done_cb *cb;
	void *arg;
	uint64_t t0;
	int running;
	struct http_req *prev, *next;
};

static struct {
	int ready;
	int users; /* http_init() calls not yet matched by http_fini() */
	CURLM *multi;
	struct ev_timer *timer;
	char *ca_file;
	int64_t connect_timeout_ms, timeout_ms;
	int max_in_flight;
	size_t max_answer;
	struct http_req *run_head;        /* running requests (any order) */
	struct http_req *q_head, *q_tail; /* waiting for a slot, oldest first */
	int nrunning, nqueued;
} H;

static void drain(void);

/* ---- lists ---- */

static void
list_unlink(struct http_req **head, struct http_req **tail, struct http_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		*head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else if (tail)
		*tail = r->prev;
	r->prev = r->next = NULL;
}

/* ---- a streamed body ---- */

static void
stream_free(struct stream *st)
{
	if (st == NULL)
		return;
	if (st->fd != -1)
		close(st->fd);
	free(st->head);
	free(st->tail);
	free(st->path);
	free(st->err);
	free(st);
}

static struct stream *
stream_new(const struct http_stream *h)
{
	struct stream *st = xcalloc(1, sizeof(*st));
	st->head = xstrdup(h->head ? h->head : "");
	st->tail = xstrdup(h->tail ? h->tail : "");
	st->path = xstrdup(h->path);
	st->head_len = strlen(st->head);
	st->tail_len = strlen(st->tail);
	st->size = h->size;
	st->b64_len = (h->size + 2) / 3 * 4;
	st->fd = -1;
	return st;
}

static int
stream_fail(struct stream *st, const char *what)
{
	if (st->err == NULL)
		st->err = xasprintf("cannot read %s to send: %s", st->path, what);
	return -1;
}

/* The next chunk of the file, encoded into st->out. 0 / -1 with st->err. */
static int
stream_fill(struct stream *st)
{
	static unsigned char in[STREAM_CHUNK]; /* the loop is single-threaded */
	size_t want = st->size - st->read < STREAM_CHUNK ? (size_t)(st->size - st->read)
	                                                 : STREAM_CHUNK,
	       got = 0;
	ssize_t n;
	if (st->fd == -1) {
		st->fd = open(st->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (st->fd == -1)
			return stream_fail(st, strerror(errno));
	}
	while (got < want) {
		n = read(st->fd, in + got, want - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return stream_fail(st, strerror(errno));
		if (n == 0)
			return stream_fail(st,
			                   "the file is shorter than when the request was made");
		got += (size_t)n;
	}
	st->read += got;
	st->out_len = base64_encode_to(in, got, st->out);
	st->out_pos = 0;
	return 0;
}

static size_t
take(char *dst, size_t room, const char *src, size_t len, uint64_t *pos, uint64_t from)
{
	size_t n = (size_t)(from + len - *pos);
	if (n > room)
		n = room;
	memcpy(dst, src + (*pos - from), n);
	*pos += n;
	return n;
}

/* CURLOPT_READFUNCTION: head, then the file's base64 a chunk at a time, then tail. */
static size_t
stream_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct stream *st = arg;
	size_t room = size * nitems, n = 0;
	uint64_t file_end = st->head_len + st->b64_len;
	if (st->err)
		return CURL_READFUNC_ABORT;
	if (st->pos < st->head_len)
		n += take(buf, room, st->head, st->head_len, &st->pos, 0);
	while (n < room && st->pos < file_end) {
		size_t k;
		if (st->out_pos == st->out_len && stream_fill(st) == -1)
			return CURL_READFUNC_ABORT;
		k = st->out_len - st->out_pos < room - n ? st->out_len - st->out_pos : room - n;
		memcpy(buf + n, st->out + st->out_pos, k);
		st->out_pos += k;
		st->pos += k;
		n += k;
	}
	if (n < room && st->pos >= file_end)
		n += take(buf + n, room - n, st->tail, st->tail_len, &st->pos, file_end);
	return n;
}

/* CURLOPT_SEEKFUNCTION: libcurl rewinds a body it must send again (an auth round
 * trip, a redirect; never a re-send on another connection: HTTP_FRESH sees to it). */
static int
stream_seek(void *arg, curl_off_t offset, int origin)
{
	struct stream *st = arg;
	if (origin != SEEK_SET || offset != 0)
		return CURL_SEEKFUNC_CANTSEEK;
	if (st->fd != -1 && lseek(st->fd, 0, SEEK_SET) == -1)
		return CURL_SEEKFUNC_FAIL;
	st->pos = st->read = 0;
	st->out_len = st->out_pos = 0;
	return CURL_SEEKFUNC_OK;
}

static void
req_free(struct http_req *r)
{
	struct curl_slist *h;
	if (r == NULL)
		return;
	if (r->easy)
		curl_easy_cleanup(r->easy);
	for (h = r->hdrs; h; h = h->next) /* copies of Authorization, cpro-account */
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(r->hdrs);
	curl_mime_free(r->mime);
	stream_free(r->stream);
	if (r->body)
		explicit_bzero(r->body, r->body_len);
	free(r->body);
	free(r->method);
	free(r->what);
	http_resp_free(r->resp);
	free(r);
}

void
http_resp_free(struct http_resp *p)
{
	if (p == NULL)
		return;
	free(p->error);
	buf_free(&p->body);
	free(p->content_type);
	free(p->retry_after);
	free(p->www_authenticate);
	free(p->content_disposition);
	free(p);
}

/* ---- curl <-> ev glue ---- */

static void
on_fd(int fd, unsigned events, void *arg)
{
	int flags = 0, running;
	(void)arg;
	if (events & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & EV_ERROR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(H.multi, fd, flags, &running);
	drain();
}

static int
on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	unsigned ev = 0;
	(void)easy;
	(void)userp;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		ev_fd_del(s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	if (ev_fd_add(s, ev, on_fd, NULL) == -1) {
		/* curl closed the socket and got the same number back before telling us:
		 * epoll forgot the old one, so start over */
		ev_fd_del(s);
		if (ev_fd_add(s, ev, on_fd, NULL) == -1) {
			log_err("http: cannot watch socket %d: %s", (int)s, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void
on_timeout(void *arg)
{
	int running;
	(void)arg;
	H.timer = NULL; /* ev frees it after this call */
	curl_multi_socket_action(H.multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain();
}

static int
on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	(void)userp;
	if (H.timer) {
		ev_timer_del(H.timer);
		H.timer = NULL;
	}
	if (timeout_ms >= 0 && H.ready)
		H.timer = ev_timer_add((uint64_t)timeout_ms, on_timeout, NULL);
	return 0;
}

/* ---- per-request callbacks ---- */

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_req *r = arg;
	size_t len = size * n;
	if (r->resp->body.len + len > H.max_answer) {
		r->too_big = 1;
		return 0; /* CURLE_WRITE_ERROR */
	}
	buf_add(&r->resp->body, p, len);
	return len;
}

static void
keep_header(char **slot, const char *v, size_t n, int join)
{
	if (n > MAX_HEADER_VALUE)
		n = MAX_HEADER_VALUE;
	if (*slot && join) {
		char *j = xasprintf("%s, %.*s", *slot, (int)n, v);
		free(*slot);
		*slot = j;
	} else {
		free(*slot);
		*slot = xstrndup(v, n);
	}
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_req *r = arg;
	struct http_resp *resp = r->resp;
	size_t len = size * n, klen;
	const char *colon, *v, *end = p + len;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new answer (after "100 Continue" for instance): forget the last one's */
		free(resp->content_type);
		free(resp->retry_after);
		free(resp->www_authenticate);
		free(resp->content_disposition);
		resp->content_type = resp->retry_after = resp->www_authenticate = NULL;
		resp->content_disposition = NULL;
		return len;
	}
	colon = memchr(p, ':', len);
	if (colon == NULL)
		return len;
	klen = (size_t)(colon - p);
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (klen == 12 && strncasecmp(p, "Content-Type", klen) == 0)
		keep_header(&resp->content_type, v, (size_t)(end - v), 0);
	else if (klen == 11 && strncasecmp(p, "Retry-After", klen) == 0)
		keep_header(&resp->retry_after, v, (size_t)(end - v), 0);
	else if (klen == 16 && strncasecmp(p, "WWW-Authenticate", klen) == 0)
		keep_header(&resp->www_authenticate, v, (size_t)(end - v), 1);
	else if (klen == 19 && strncasecmp(p, "Content-Disposition", klen) == 0)
		keep_header(&resp->content_disposition, v, (size_t)(end - v), 0);
	return len;
}

static enum http_fail
fail_of(CURLcode c, int too_big)
{
	switch (c) {
	case CURLE_OK:
		return HTTP_FAIL_NONE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_FAIL_RESOLVE;
	case CURLE_COULDNT_CONNECT:
		return HTTP_FAIL_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_FAIL_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return HTTP_FAIL_TLS_VERIFY;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CIPHER:
	case CURLE_USE_SSL_FAILED:
		return HTTP_FAIL_TLS;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return HTTP_FAIL_DROPPED;
	case CURLE_FILESIZE_EXCEEDED:
		return HTTP_FAIL_TOO_BIG;
	case CURLE_WRITE_ERROR:
		return too_big ? HTTP_FAIL_TOO_BIG : HTTP_FAIL_OTHER;
	default:
		return HTTP_FAIL_OTHER;
	}
}

static void start(struct http_req *);

static void
start_queued(void)
{
	while (H.q_head && H.nrunning < H.max_in_flight) {
		struct http_req *r = H.q_head;
		list_unlink(&H.q_head, &H.q_tail, r);
		H.nqueued--;
		start(r);
	}
}

/* A transfer is over: fill in the response, free the slot, tell the caller. */
static void
finish(struct http_req *r, CURLcode code)
{
	struct http_resp *resp = r->resp;
	long status = 0, nconnects = -1;
	curl_off_t pre = 0;
	http_done_cb *cb = r->cb;
	void *arg = r->arg;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(r->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
	curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &nconnects);
	resp->curl_code = (int)code;
	resp->fail = fail_of(code, r->too_big);
	resp->status = resp->fail == HTTP_FAIL_NONE ? status : 0;
	resp->maybe_sent = code == CURLE_OK || pre > 0;
	resp->reused = nconnects == 0;
	resp->elapsed_ms = now_ms() - r->t0;
	if (resp->fail != HTTP_FAIL_NONE) {
		if (r->stream && r->stream->err)
			resp->error = xstrdup(r->stream->err);
		else if (resp->fail == HTTP_FAIL_TOO_BIG)
			resp->error =
			    xasprintf("the answer is larger than %zu bytes", H.max_answer);
		else
			resp->error = xstrdup(r->errbuf[0] ? r->errbuf : curl_easy_strerror(code));
		str_trim(resp->error);
	}
	log_debug("http: %s %s: %s in %llums%s%s", r->method, r->what,
	          resp->fail == HTTP_FAIL_NONE ? "answered" : resp->error,
	          (unsigned long long)resp->elapsed_ms, resp->reused ? " (reused connection)" : "",
	          r->flags & HTTP_FRESH ? " (fresh connection, not reused)" : "");
	if (resp->fail == HTTP_FAIL_NONE)
		log_debug("http: %s %s: HTTP %ld, %zu bytes", r->method, r->what, status,
		          resp->body.len);

	curl_multi_remove_handle(H.multi, r->easy);
	list_unlink(&H.run_head, NULL, r);
	r->running = 0;
	H.nrunning--;
	r->resp = NULL;
	req_free(r);
	start_queued();
	cb(resp, arg);
}

static void
drain(void)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(H.multi, &left)) != NULL) {
		struct http_req *r = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r)
			finish(r, m->data.result);
	}
}

static void
setopt_fail(struct http_req *r, const char *what)
{
	/* an option libcurl refuses is a build or configuration problem: say so once */
	if (r->errbuf[0] == '\0')
		snprintf(r->errbuf, sizeof(r->errbuf), "libcurl refused option %s", what);
}

#define SETOPT(r, opt, val)                                            \
	do {                                                           \
		if (curl_easy_setopt((r)->easy, opt, val) != CURLE_OK) \
			setopt_fail(r, #opt);                          \
	} while (0)

static void
start(struct http_req *r)
{
	CURLMcode mc;
	r->running = 1;
	r->next = H.run_head;
	r->prev = NULL;
	if (H.run_head)
		H.run_head->prev = r;
	H.run_head = r;
	H.nrunning++;
	r->t0 = now_ms();
	mc = curl_multi_add_handle(H.multi, r->easy);
	if (mc != CURLM_OK) {
		/* cannot happen with a valid handle; report it as a failed request */
		snprintf(r->errbuf, sizeof(r->errbuf), "curl_multi_add_handle: %s",
		         curl_multi_strerror(mc));
		list_unlink(&H.run_head, NULL, r);
		H.nrunning--;
		r->running = 0;
		{
			struct http_resp *resp = r->resp;
			http_done_cb *cb = r->cb;
			void *arg = r->arg;
			resp->fail = HTTP_FAIL_OTHER;
			resp->error = xstrdup(r->errbuf);
			r->resp = NULL;
			req_free(r);
			cb(resp, arg);
		}
	}
}

/* ---- public ---- */

int
http_init(const struct http_opts *o, char **why)
{
	if (H.ready) {
		H.users++;
		if (o->max_in_flight > 0)
			H.max_in_flight += o->max_in_flight;
		return 0;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return fail(why, "libcurl cannot start (curl_global_init failed)");
	H.multi = curl_multi_init();
	if (H.multi == NULL) {
		curl_global_cleanup();
		return fail(why, "libcurl cannot start (curl_multi_init failed)");
	}
	curl_multi_setopt(H.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(H.multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
	H.ca_file = o->ca_file ? xstrdup(o->ca_file) : NULL;
	H.connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
	H.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
	H.max_in_flight = o->max_in_flight > 0 ? o->max_in_flight : 4;
	H.max_answer = o->max_answer > 0 ? o->max_answer : 16u * 1024 * 1024;
	H.ready = 1;
	H.users = 1;
	return 0;
}

void
http_fini(void)
{
	struct http_req *r;
	if (!H.ready || --H.users > 0)
		return;
	H.ready = 0;
	if (H.timer) {
		ev_timer_del(H.timer);
		H.timer = NULL;
	}
	while ((r = H.run_head) != NULL) {
		list_unlink(&H.run_head, NULL, r);
		curl_multi_remove_handle(H.multi, r->easy);
		req_free(r);
	}
	while ((r = H.q_head) != NULL) {
		list_unlink(&H.q_head, &H.q_tail, r);
		req_free(r);
	}
	H.nrunning = H.nqueued = 0;
	curl_multi_cleanup(H.multi);
	H.multi = NULL;
	if (H.timer) { /* curl may have armed it while closing connections */
		ev_timer_del(H.timer);
		H.timer = NULL;
	}
	free(H.ca_file);
	H.ca_file = NULL;
	curl_global_cleanup();
}

struct http_req *
http_request(const struct http_reqspec *s, http_done_cb *cb, void *arg)
{
	struct http_req *r = xcalloc(1, sizeof(*r));
	const char *const *h;
	int post = strcmp(s->method, "POST") == 0;

	r->cb = cb;
	r->arg = arg;
	r->flags = s->flags;
	r->method = xstrdup(s->method);
	r->what = xstrdup(s->what ? s->what : "request");
	r->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : H.timeout_ms;
	r->resp = xcalloc(1, sizeof(*r->resp));
	buf_init(&r->resp->body);
	r->easy = curl_easy_init();
	if (r->easy == NULL) {
		fprintf(stderr, "chorusgw: out of memory (curl_easy_init)\n");
		abort();
	}
	for (h = s->headers; h && *h; h++)
		r->hdrs = curl_slist_append(r->hdrs, *h);
	/* no "Expect: 100-continue" round trip before large bodies */
	r->hdrs = curl_slist_append(r->hdrs, "Expect:");
	if (r->hdrs == NULL) {
		fprintf(stderr, "chorusgw: out of memory (curl_slist_append)\n");
		abort();
	}

	SETOPT(r, CURLOPT_PRIVATE, (char *)r);
	SETOPT(r, CURLOPT_URL, s->url);
	SETOPT(r, CURLOPT_ERRORBUFFER, r->errbuf);
	SETOPT(r, CURLOPT_NOSIGNAL, 1L);
	SETOPT(r, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(r, CURLOPT_WRITEDATA, r);
	SETOPT(r, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(r, CURLOPT_HEADERDATA, r);
	SETOPT(r, CURLOPT_HTTPHEADER, r->hdrs);
	SETOPT(r, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	SETOPT(r, CURLOPT_CONNECTTIMEOUT_MS,
	       (long)(s->connect_timeout_ms > 0 ? s->connect_timeout_ms : H.connect_timeout_ms));
	SETOPT(r, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
	/* TLS verification always on */
	SETOPT(r, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(r, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca_file || H.ca_file)
		SETOPT(r, CURLOPT_CAINFO, s->ca_file ? s->ca_file : H.ca_file);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(r, CURLOPT_PROTOCOLS_STR, "https,http");
#else
	SETOPT(r, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP));
#endif
	SETOPT(r, CURLOPT_FOLLOWLOCATION, 0L);
	/* HTTP/1.1 only: no HTTP/2 stream retries either */
	SETOPT(r, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(r, CURLOPT_TCP_KEEPALIVE, 1L);
	if (post && s->stream) {
		r->stream = stream_new(s->stream);
		SETOPT(r, CURLOPT_POST, 1L);
		SETOPT(r, CURLOPT_READFUNCTION, stream_read);
		SETOPT(r, CURLOPT_READDATA, r->stream);
		SETOPT(r, CURLOPT_SEEKFUNCTION, stream_seek);
		SETOPT(r, CURLOPT_SEEKDATA, r->stream);
		SETOPT(
		    r, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(r->stream->head_len + r->stream->b64_len + r->stream->tail_len));
	} else if (post && s->nparts > 0) {
		size_t i;
		r->mime = curl_mime_init(r->easy);
		if (r->mime == NULL) {
			fprintf(stderr, "chorusgw: out of memory (curl_mime_init)\n");
			abort();
		}
		for (i = 0; i < s->nparts; i++) {
			const struct http_part *pt = &s->parts[i];
			curl_mimepart *mp = curl_mime_addpart(r->mime);
			/* a file part is read by libcurl as it sends; its name is ours, not
			 * the file's (curl_mime_filedata() would take the path's) */
			if (mp == NULL || curl_mime_name(mp, pt->name) != CURLE_OK ||
			    (pt->path ? curl_mime_filedata(mp, pt->path)
			              : curl_mime_data(mp, pt->data, pt->len)) != CURLE_OK ||
			    (pt->content_type &&
			     curl_mime_type(mp, pt->content_type) != CURLE_OK) ||
			    curl_mime_filename(mp, pt->filename) != CURLE_OK)
				setopt_fail(r, "a multipart part");
		}
		SETOPT(r, CURLOPT_MIMEPOST, r->mime);
	} else if (post) {
		r->body_len = s->body ? s->body_len : 0;
		r->body = xmalloc(r->body_len + 1);
		if (r->body_len)
			memcpy(r->body, s->body, r->body_len);
		r->body[r->body_len] = '\0';
		SETOPT(r, CURLOPT_POST, 1L);
		SETOPT(r, CURLOPT_POSTFIELDS, r->body);
		SETOPT(r, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	} else {
		SETOPT(r, CURLOPT_HTTPGET, 1L);
	}
	if (s->flags & HTTP_FRESH) {
		SETOPT(r, CURLOPT_FRESH_CONNECT, 1L);
		SETOPT(r, CURLOPT_FORBID_REUSE, 1L);
	}
	if (r->errbuf[0])
		log_err("http: %s", r->errbuf);

	if (H.nrunning < H.max_in_flight) {
		start(r);
	} else {
		r->prev = H.q_tail;
		if (H.q_tail)
			H.q_tail->next = r;
		else
			H.q_head = r;
		H.q_tail = r;
		H.nqueued++;
	}
	return r;
}

void
http_cancel(struct http_req *r)
{
	if (r == NULL)
		return;
	if (r->running) {
		list_unlink(&H.run_head, NULL, r);
		curl_multi_remove_handle(H.multi, r->easy);
		H.nrunning--;
		req_free(r);
		start_queued();
	} else {
		list_unlink(&H.q_head, &H.q_tail, r);
		H.nqueued--;
		req_free(r);
	}
}

int
http_in_flight(void)
{
	return H.nrunning;
}

int
http_queued(void)
{
	return H.nqueued;
}

int
http_run_until(const int *done, char **why)
{
	while (!*done)
		if (ev_run_once(-1, why) == -1)
			return -1;
	return 0;
}

struct fetch_state {
	int done;
	struct http_resp *resp;
};

static void
fetch_done(struct http_resp *resp, void *arg)
{
	struct fetch_state *st = arg;
	st->resp = resp;
	st->done = 1;
}

struct http_resp *
http_fetch(const struct http_reqspec *s)
{
	struct fetch_state st = {0, NULL};
	char *why = NULL;
	http_request(s, fetch_done, &st);
	if (http_run_until(&st.done, &why) == -1) {
		struct http_resp *r = xcalloc(1, sizeof(*r));
		buf_init(&r->body);
		r->fail = HTTP_FAIL_OTHER;
		r->error = why;
		return r;
	}
	return st.resp;
}

/* Percent-encode all but RFC 3986's unreserved characters; `form`: a space is '+'. */
static char *
escape(const char *s, int form)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;
	const unsigned char *p;
	buf_init(&b);
	for (p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			buf_addc(&b, (char)*p);
		else if (*p == ' ' && form)
			buf_addc(&b, '+');
		else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[*p >> 4]);
			buf_addc(&b, hex[*p & 15]);
		}
	}
	if (b.p == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

char *
http_form_escape(const char *s)
{
	return escape(s, 1);
}

char *
http_path_escape(const char *s)
{
	return escape(s, 0);
}

int64_t
http_retry_after_ms(const char *v, time_t now)
{
	struct tm tm;
	const char *end;
	int64_t secs;
	if (v == NULL)
		return -1;
	while (*v == ' ')
		v++;
	if (*v >= '0' && *v <= '9') {
		char *copy = xstrdup(v);
		int r = parse_int64(str_trim(copy), &secs);
		free(copy);
		if (r == -1 || secs < 0)
			return -1;
		if (secs > 7 * 86400)
			secs = 7 * 86400;
		return secs * 1000;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	secs = (int64_t)timegm(&tm) - (int64_t)now;
	if (secs < 0)
		secs = 0;
	if (secs > 7 * 86400)
		secs = 7 * 86400;
	return secs * 1000;
}

char *
http_disposition_filename(const char *v)
{
	const char *p = v;
	while (p && (p = strcasestr(p, "filename")) != NULL) {
		const char *q = p + 8, *e;
		if (p > v && p[-1] != ';' && p[-1] != ' ' && p[-1] != '\t') {
			p = q;
			continue;
		}
		while (*q == ' ')
			q++;
		if (*q != '=') {
			p = q;
			continue;
		}
		q++;
		while (*q == ' ')
			q++;
		if (*q == '"') {
			q++;
			e = strchr(q, '"');
		} else
			e = q + strcspn(q, "; \t");
		if (e == NULL || e == q)
			return NULL;
		return xstrndup(q, (size_t)(e - q));
	}
	return NULL;
}

char *
http_fail_reason(const struct http_resp *h, const char *host, int64_t timeout_ms)
{
	const char *err = h->error ? h->error : "unknown error";
	char tbuf[32];
	switch (h->fail) {
	case HTTP_FAIL_RESOLVE:
		return xasprintf("cannot find %s in the DNS (%s)", host, err);
	case HTTP_FAIL_CONNECT:
		return xasprintf("cannot connect to %s (%s)", host, err);
	case HTTP_FAIL_TLS_VERIFY:
		return xasprintf("the TLS certificate of %s is not trusted (%s)", host, err);
	case HTTP_FAIL_TLS:
		return xasprintf("the TLS handshake with %s failed (%s)", host, err);
	case HTTP_FAIL_TIMEOUT:
		if (!h->maybe_sent)
			return xasprintf("no connection to %s in time (%s)", host, err);
		fmt_duration(tbuf, sizeof(tbuf), timeout_ms);
		return xasprintf("%s did not answer in time (timeout %s)", host, tbuf);
	case HTTP_FAIL_DROPPED:
		return xasprintf("the connection to %s was lost before the answer (%s)", host, err);
	case HTTP_FAIL_TOO_BIG:
		return xasprintf("the answer of %s is too large (%s)", host, err);
	default:
		return xasprintf("request to %s failed (%s)", host, err);
	}
}

const char *
http_status_text(long s)
{
	static const struct {
		long code;
		const char *text;
	} t[] = {{200, "OK"},
	         {202, "Accepted"},
	         {301, "Moved Permanently"},
	         {302, "Found"},
	         {307, "Temporary Redirect"},
	         {308, "Permanent Redirect"},
	         {400, "Bad Request"},
	         {401, "Unauthorized"},
	         {403, "Forbidden"},
	         {404, "Not Found"},
	         {405, "Method Not Allowed"},
	         {408, "Request Timeout"},
	         {413, "Payload Too Large"},
	         {415, "Unsupported Media Type"},
	         {429, "Too Many Requests"},
	         {500, "Internal Server Error"},
	         {501, "Not Implemented"},
	         {502, "Bad Gateway"},
	         {503, "Service Unavailable"},
	         {504, "Gateway Timeout"}};
	size_t i;
	for (i = 0; i < nitems(t); i++)
		if (t[i].code == s)
			return t[i].text;
	return "";
}

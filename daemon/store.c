/* SPDX-License-Identifier: MIT */
/* store.c — etcd v3 through its JSON gateway, on libcurl's multi-socket API
 * and json-c (store.h has the contract).
 *
 * One epoll set of the store's own holds libcurl's sockets and a timerfd for
 * libcurl's timer; its descriptor is what the daemon's loop watches. A
 * request is a curl easy handle with its JSON body; when it ends
 * (curl_multi_info_read), its outcome is classified:
 *
 *   nothing sent (no connection)      -> next endpoint, else UNAVAILABLE
 *   sent, no complete answer          -> read: next endpoint; write: AMBIGUOUS
 *   HTTP 200 with the expected JSON   -> OK
 *   an error reply                    -> read: next endpoint; write: REJECTED
 *                                        when etcd's code says it was not
 *                                        applied, else AMBIGUOUS
 *   an invalid auth token             -> authenticate again, send again (not
 *                                        applied: the server refused it)
 *
 * Each request has one deadline (store_config.timeout_ms) across all its
 * attempts. Base64 is the few lines below: neither libcurl nor json-c
 * exports one, and a library for it alone would be a heavier dependency
 * than the code. */
#include "store.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define STORE_REPLY_MAX (64u << 20) /* bytes of one answer at most */
#define STORE_ENDPOINTS_MAX 16

enum req_kind { REQ_RANGE, REQ_PUT, REQ_DELETE, REQ_TXN, REQ_AUTH, REQ_WATCH, REQ_GRANT, REQ_KEEPALIVE };

struct buf {
	char *p;
	size_t len, cap;
	bool overflow;
};

struct req {
	struct store *st;
	enum req_kind kind;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;
	struct buf resp;
	store_cb cb;
	void *ctx;
	int64_t deadline_ns;
	unsigned tried;	       /* endpoints tried (bit per index) */
	size_t ep;	       /* the endpoint of the current attempt */
	bool auth_retried;     /* sent again once after a new token */
	bool waiting;	       /* on st->waiting: queued behind authentication */
	struct store_watch *w; /* REQ_WATCH: the watch whose stream this is */
	struct req *prev, *next;
};

struct store {
	CURLM *multi;
	int epfd, tfd;
	char *endpoints_text;
	char *ep[STORE_ENDPOINTS_MAX];
	size_t nep, cur;
	bool answered; /* cur answered at least once */
	char *user, *password, *cacert, *cert, *key;
	char *bind;  /* "host!ADDR" for CURLOPT_INTERFACE, or NULL */
	char *token; /* from /v3/auth/authenticate */
	bool authenticating;
	long timeout_ms, connect_timeout_ms;
	struct req *active;  /* in the multi handle */
	struct req *waiting; /* for a token */
	size_t pending;
	int wtfd; /* the watches' reconnection timer */
	struct store_watch *watches;
};

/* --- small parts -------------------------------------------------------- */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fmt(char *out, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *out, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vsnprintf(out, cap, f, ap);
	va_end(ap);
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const void *data, size_t n)
{
	const uint8_t *p = data;
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64chars[v >> 18 & 63];
		*o++ = b64chars[v >> 12 & 63];
		*o++ = i + 1 < n ? b64chars[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64chars[v & 63] : '=';
	}
	*o = 0;
	return out;
}

static int b64_value(char c)
{
	const char *x = c ? strchr(b64chars, c) : NULL;
	return x ? (int)(x - b64chars) : -1;
}

/* Strict decoding (padding required, nothing else). A NUL follows the
 * bytes. NULL on bad input or no memory. */
static uint8_t *b64_decode(const char *s, size_t len, size_t *outlen)
{
	if (len % 4)
		return NULL;
	uint8_t *out = malloc(len / 4 * 3 + 1);
	size_t o = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 4) {
		int a = b64_value(s[i]), b = b64_value(s[i + 1]);
		int c = s[i + 2] == '=' ? -2 : b64_value(s[i + 2]);
		int d = s[i + 3] == '=' ? -2 : b64_value(s[i + 3]);
		bool last = i + 4 == len;
		if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2) ||
		    ((c == -2 || d == -2) && !last)) {
			free(out);
			return NULL;
		}
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)(c < 0 ? 0 : c) << 6 |
			     (uint32_t)(d < 0 ? 0 : d);
		out[o++] = (uint8_t)(v >> 16);
		if (c >= 0)
			out[o++] = (uint8_t)(v >> 8);
		if (d >= 0)
			out[o++] = (uint8_t)v;
	}
	out[o] = 0;
	*outlen = o;
	return out;
}

/* json helpers: add base64 bytes / an int64 as the gateway's string */
static int add_b64(json_object *o, const char *k, const void *p, size_t n)
{
	char *e = b64_encode(p, n);
	if (!e)
		return -ENOMEM;
	json_object *s = json_object_new_string(e);
	free(e);
	if (!s)
		return -ENOMEM;
	json_object_object_add(o, k, s);
	return 0;
}

static int add_i64(json_object *o, const char *k, int64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%lld", (long long)v);
	json_object *s = json_object_new_string(num);
	if (!s)
		return -ENOMEM;
	json_object_object_add(o, k, s);
	return 0;
}

/* An int64 field: the gateway sends a string of digits; absent means 0
 * (proto3). false when present and not a number. */
static bool get_i64(json_object *o, const char *k, int64_t *v)
{
	json_object *x;
	*v = 0;
	if (!json_object_object_get_ex(o, k, &x))
		return true;
	if (json_object_is_type(x, json_type_int)) {
		*v = json_object_get_int64(x);
		return true;
	}
	if (!json_object_is_type(x, json_type_string))
		return false;
	const char *s = json_object_get_string(x);
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return false;
	*v = n;
	return true;
}

static bool get_bytes(json_object *o, const char *k, uint8_t **out, size_t *len)
{
	json_object *x;
	*len = 0;
	if (!json_object_object_get_ex(o, k, &x)) {
		*out = calloc(1, 1);
		return *out != NULL;
	}
	if (!json_object_is_type(x, json_type_string))
		return false;
	*out = b64_decode(json_object_get_string(x), (size_t)json_object_get_string_len(x), len);
	return *out != NULL;
}

static bool get_bool(json_object *o, const char *k)
{
	json_object *x;
	return json_object_object_get_ex(o, k, &x) && json_object_get_boolean(x);
}

/* --- replies ------------------------------------------------------------ */

static void range_free(struct store_range *r)
{
	for (size_t i = 0; i < r->count; i++) {
		free(r->kvs[i].key);
		free(r->kvs[i].value);
	}
	free(r->kvs);
}

static void reply_free(struct store_reply *r)
{
	for (size_t i = 0; i < r->nranges; i++)
		range_free(&r->ranges[i]);
	free(r->ranges);
	r->ranges = NULL;
	r->nranges = 0;
}

static bool parse_range(json_object *o, struct store_range *out)
{
	memset(out, 0, sizeof(*out));
	out->more = get_bool(o, "more");
	json_object *kvs;
	if (!json_object_object_get_ex(o, "kvs", &kvs))
		return true;
	if (!json_object_is_type(kvs, json_type_array))
		return false;
	size_t n = json_object_array_length(kvs);
	out->kvs = calloc(n ? n : 1, sizeof(*out->kvs));
	if (!out->kvs)
		return false;
	for (size_t i = 0; i < n; i++) {
		json_object *kv = json_object_array_get_idx(kvs, i);
		struct store_kv *k = &out->kvs[i];
		out->count = i + 1;
		if (!json_object_is_type(kv, json_type_object) ||
		    !get_bytes(kv, "key", &k->key, &k->key_len) ||
		    !get_bytes(kv, "value", &k->value, &k->value_len) ||
		    !get_i64(kv, "create_revision", &k->create_revision) ||
		    !get_i64(kv, "mod_revision", &k->mod_revision) || !get_i64(kv, "version", &k->version))
			return false;
	}
	return true;
}

static bool add_range(struct store_reply *r, json_object *o)
{
	struct store_range *n = realloc(r->ranges, (r->nranges + 1) * sizeof(*n));
	if (!n)
		return false;
	r->ranges = n;
	bool ok = parse_range(o, &r->ranges[r->nranges]);
	r->nranges++;
	return ok;
}

/* An HTTP 200 answer of kind k into r. false: not what etcd sends. */
static bool parse_ok(enum req_kind k, json_object *o, struct store_reply *r, char **token)
{
	json_object *hdr, *res;
	if (!json_object_is_type(o, json_type_object))
		return false;
	/* a keep-alive is a stream of one answer: {"result": …} */
	if (k == REQ_KEEPALIVE && json_object_object_get_ex(o, "result", &res))
		o = res;
	if (!json_object_is_type(o, json_type_object))
		return false;
	if (json_object_object_get_ex(o, "header", &hdr) && !get_i64(hdr, "revision", &r->revision))
		return false;
	switch (k) {
	case REQ_RANGE:
		return add_range(r, o);
	case REQ_PUT:
	case REQ_DELETE:
		return true;
	case REQ_WATCH: /* never here: a stream's objects are read as they come */
		return false;
	case REQ_GRANT:
	case REQ_KEEPALIVE:
		/* an expired or unknown lease: no TTL (0) */
		return get_i64(o, "ID", &r->lease) && get_i64(o, "TTL", &r->ttl) &&
		       (k == REQ_KEEPALIVE || r->lease != 0);
	case REQ_AUTH: {
		json_object *t;
		if (!json_object_object_get_ex(o, "token", &t) || !json_object_is_type(t, json_type_string))
			return false;
		*token = strdup(json_object_get_string(t));
		return *token != NULL;
	}
	case REQ_TXN: {
		r->succeeded = get_bool(o, "succeeded");
		json_object *resps, *x;
		if (!json_object_object_get_ex(o, "responses", &resps))
			return true;
		if (!json_object_is_type(resps, json_type_array))
			return false;
		for (size_t i = 0; i < json_object_array_length(resps); i++) {
			json_object *e = json_object_array_get_idx(resps, i);
			if (!json_object_is_type(e, json_type_object))
				return false;
			if (json_object_object_get_ex(e, "response_range", &x) && !add_range(r, x))
				return false;
		}
		return true;
	}
	}
	return false;
}

/* --- requests ----------------------------------------------------------- */

static size_t on_data(char *p, size_t size, size_t n, void *userp)
{
	struct buf *b = userp;
	size_t len = size * n;
	if (b->len + len + 1 > STORE_REPLY_MAX) {
		b->overflow = true;
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q)
			return 0;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = 0;
	return len;
}

static void list_add(struct req **head, struct req *r)
{
	r->prev = NULL;
	r->next = *head;
	if (*head)
		(*head)->prev = r;
	*head = r;
}

static void list_del(struct req **head, struct req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		*head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

static const char *kind_path(enum req_kind k)
{
	switch (k) {
	case REQ_RANGE:
		return "/v3/kv/range";
	case REQ_PUT:
		return "/v3/kv/put";
	case REQ_DELETE:
		return "/v3/kv/deleterange";
	case REQ_TXN:
		return "/v3/kv/txn";
	case REQ_AUTH:
		return "/v3/auth/authenticate";
	case REQ_WATCH:
		return "/v3/watch";
	case REQ_GRANT:
		return "/v3/lease/grant";
	case REQ_KEEPALIVE:
		return "/v3/lease/keepalive";
	}
	return "/";
}

static void req_free(struct req *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	free(r->body);
	free(r->resp.p);
	free(r);
}

static void finish(struct req *r, struct store_reply *rep);
static void authenticate(struct store *st);
static void watch_setopt(struct req *r);
static void watch_down(struct req *r, const char *why);
static void watch_retry(struct store *st);
static json_object *key_obj_watch(const struct store_watch *w);
static void watch_deliver(struct store *st);

/* Start (or restart) r on endpoint r->ep. false: could not (it was ended). */
static bool attempt(struct req *r)
{
	struct store *st = r->st;
	int64_t left = (r->deadline_ns - now_ns()) / 1000000;
	struct store_reply rep = {.status = STORE_UNAVAILABLE, .endpoint = st->ep[r->ep]};
	if (left <= 0) {
		fmt(rep.error, sizeof(rep.error), "no answer from the store within %ld ms", st->timeout_ms);
		finish(r, &rep);
		return false;
	}
	if (!r->easy)
		r->easy = curl_easy_init();
	else
		curl_easy_reset(r->easy);
	curl_slist_free_all(r->hdrs);
	r->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	/* etcd's "require leader" (the gateway passes Grpc-Metadata-* on as
	 * gRPC metadata): a member that lost its leader, cut off in a minority,
	 * refuses at once ("etcdserver: no leader") instead of holding the
	 * request until the deadline, and the next endpoint is tried */
	struct curl_slist *lead = r->hdrs ? curl_slist_append(r->hdrs, "Grpc-Metadata-Hasleader: true")
					  : NULL;
	if (lead)
		r->hdrs = lead;
	if (r->hdrs && r->kind != REQ_AUTH && st->token) {
		char h[1024];
		fmt(h, sizeof(h), "Authorization: %s", st->token);
		struct curl_slist *n = curl_slist_append(r->hdrs, h);
		if (n)
			r->hdrs = n;
	}
	char url[1024];
	fmt(url, sizeof(url), "%s%s", st->ep[r->ep], kind_path(r->kind));
	r->resp.len = 0;
	r->resp.overflow = false;
	r->tried |= 1u << r->ep;
	CURL *e = r->easy;
	if (!e || !r->hdrs) {
		rep.status = STORE_UNAVAILABLE;
		fmt(rep.error, sizeof(rep.error), "out of memory");
		finish(r, &rep);
		return false;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->resp);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(left < st->connect_timeout_ms ? left : st->connect_timeout_ms));
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	/* never through a proxy from the environment: the store is addressed
	 * directly */
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	if (st->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, st->cacert);
	if (st->cert)
		curl_easy_setopt(e, CURLOPT_SSLCERT, st->cert);
	if (st->key)
		curl_easy_setopt(e, CURLOPT_SSLKEY, st->key);
	if (st->bind)
		curl_easy_setopt(e, CURLOPT_INTERFACE, st->bind);
	if (r->kind == REQ_WATCH)
		watch_setopt(r);
	if (curl_multi_add_handle(st->multi, e) != CURLM_OK) {
		fmt(rep.error, sizeof(rep.error), "libcurl refused the request");
		finish(r, &rep);
		return false;
	}
	list_add(&st->active, r);
	return true;
}

/* The next endpoint r has not tried, from the one after the current. */
static bool next_endpoint(struct req *r)
{
	struct store *st = r->st;
	for (size_t i = 1; i <= st->nep; i++) {
		size_t k = (r->ep + i) % st->nep;
		if (!(r->tried & (1u << k))) {
			r->ep = k;
			return true;
		}
	}
	return false;
}

/* Queue r: behind authentication when a token is needed, else at once. */
static void submit(struct req *r)
{
	struct store *st = r->st;
	if (r->kind != REQ_AUTH && st->user && !st->token) {
		r->waiting = true;
		list_add(&st->waiting, r);
		if (!st->authenticating)
			authenticate(st);
		return;
	}
	attempt(r);
}

static void finish(struct req *r, struct store_reply *rep)
{
	struct store *st = r->st;
	if (r->kind == REQ_WATCH) {
		watch_down(r, rep->error);
		return;
	}
	if (rep->status == STORE_OK) {
		st->cur = r->ep;
		st->answered = true;
	}
	if (r->cb)
		r->cb(r->ctx, rep);
	reply_free(rep);
	if (r->kind != REQ_AUTH)
		st->pending--;
	req_free(r);
}

/* etcd's error replies carry a gRPC code: those that say the request was
 * refused before it could apply. Anything else on a write (Unavailable,
 * DeadlineExceeded — etcd's "request timed out", "leader changed" —
 * Unknown, Internal) may have been applied. */
static bool code_not_applied(int64_t code)
{
	switch (code) {
	case 3:	 /* InvalidArgument */
	case 5:	 /* NotFound */
	case 6:	 /* AlreadyExists */
	case 7:	 /* PermissionDenied */
	case 8:	 /* ResourceExhausted: quota, too many requests */
	case 9:	 /* FailedPrecondition */
	case 11: /* OutOfRange: a compacted revision */
	case 12: /* Unimplemented */
	case 16: /* Unauthenticated */
		return true;
	default:
		return false;
	}
}

static bool is_write(enum req_kind k)
{
	return k == REQ_PUT || k == REQ_DELETE || k == REQ_TXN;
}

static void ended(struct store *st, struct req *r, CURLcode res)
{
	list_del(&st->active, r);
	curl_multi_remove_handle(st->multi, r->easy);
	if (r->kind == REQ_WATCH) {
		watch_down(r, curl_easy_strerror(res));
		return;
	}
	long http = 0;
	curl_off_t sent = 0;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent);
	struct store_reply rep = {.endpoint = st->ep[r->ep]};
	json_object *o = NULL;

	if (res != CURLE_OK || r->resp.overflow) {
		/* no complete answer */
		bool maybe_sent = sent > 0 || res == CURLE_SEND_ERROR;
		if ((!maybe_sent || !is_write(r->kind)) && next_endpoint(r)) {
			attempt(r);
			return;
		}
		if (maybe_sent && is_write(r->kind)) {
			rep.status = STORE_AMBIGUOUS;
			fmt(rep.error, sizeof(rep.error),
			    "%s: %s: the write may or may not have been applied", st->ep[r->ep],
			    r->resp.overflow ? "answer too large" : curl_easy_strerror(res));
		} else {
			rep.status = STORE_UNAVAILABLE;
			fmt(rep.error, sizeof(rep.error), "no store endpoint answered (last: %s: %s)",
			    st->ep[r->ep], curl_easy_strerror(res));
		}
		finish(r, &rep);
		return;
	}

	struct json_tokener *tok = json_tokener_new();
	if (tok) {
		o = json_tokener_parse_ex(tok, r->resp.p ? r->resp.p : "", (int)r->resp.len);
		if (json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(o);
			o = NULL;
		}
		json_tokener_free(tok);
	}
	if (http == 200) {
		char *token = NULL;
		if (o && parse_ok(r->kind, o, &rep, &token)) {
			rep.status = STORE_OK;
			if (r->kind == REQ_AUTH) {
				free(st->token);
				st->token = token;
				token = NULL;
			}
		} else {
			reply_free(&rep);
			rep.status = STORE_BAD_REPLY;
			fmt(rep.error, sizeof(rep.error),
			    "%s: an answer that is not etcd's (HTTP 200, %zu bytes)", st->ep[r->ep],
			    r->resp.len);
		}
		free(token);
		json_object_put(o);
		finish(r, &rep);
		return;
	}

	/* an error reply: {"error": …, "code": N, "message": …} */
	int64_t code = -1;
	const char *msg = "";
	json_object *m;
	if (o && json_object_is_type(o, json_type_object)) {
		if (!get_i64(o, "code", &code))
			code = -1;
		if (json_object_object_get_ex(o, "message", &m) || json_object_object_get_ex(o, "error", &m))
			msg = json_object_get_string(m);
	}
	if (code == 16 && st->user && r->kind != REQ_AUTH && !r->auth_retried && strstr(msg, "token")) {
		/* the token expired or the store restarted: it refused the
		 * request, so sending it again is safe */
		r->auth_retried = true;
		r->tried &= ~(1u << r->ep);
		free(st->token);
		st->token = NULL;
		json_object_put(o);
		submit(r);
		return;
	}
	bool not_applied = o && code_not_applied(code);
	/* "etcdserver: no leader" (14, UNAVAILABLE) is etcd's require-leader
	 * check refusing before the request is looked at: not applied, a
	 * write included, and the next endpoint may have a leader. (Other 14s,
	 * "request timed out" among them, may have been applied.) */
	bool no_leader = o && code == 14 && strstr(msg, "no leader");
	if (no_leader && next_endpoint(r)) {
		json_object_put(o);
		attempt(r);
		return;
	}
	if (!is_write(r->kind) && r->kind != REQ_AUTH && !not_applied && next_endpoint(r)) {
		json_object_put(o);
		attempt(r);
		return;
	}
	if (r->kind == REQ_AUTH && code == 3)
		rep.status = STORE_AUTH_FAILED;
	else if (no_leader)
		rep.status = STORE_UNAVAILABLE;
	else if (is_write(r->kind) && !not_applied)
		rep.status = o ? STORE_AMBIGUOUS : STORE_BAD_REPLY;
	else
		rep.status = o ? STORE_REJECTED : STORE_BAD_REPLY;
	fmt(rep.error, sizeof(rep.error), "%s: HTTP %ld: %s%s", st->ep[r->ep], http,
	    o ? msg : "not etcd's answer",
	    rep.status == STORE_AMBIGUOUS ? " (the write may or may not have been applied)" : "");
	json_object_put(o);
	finish(r, &rep);
}

static void drain(struct store *st)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(st->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct req *r = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r)
			ended(st, r, m->data.result);
	}
}

/* --- authentication ----------------------------------------------------- */

static void auth_done(void *ctx, const struct store_reply *rep)
{
	struct store *st = ctx;
	st->authenticating = false;
	struct req *w = st->waiting;
	st->waiting = NULL;
	while (w) {
		struct req *next = w->next;
		w->prev = w->next = NULL;
		w->waiting = false;
		if (rep->status == STORE_OK && st->token) {
			attempt(w);
		} else {
			struct store_reply fail = {.status = rep->status == STORE_AUTH_FAILED
								     ? STORE_AUTH_FAILED
								     : STORE_UNAVAILABLE,
						   .endpoint = rep->endpoint};
			fmt(fail.error, sizeof(fail.error), "authenticating as %s: %s", st->user, rep->error);
			finish(w, &fail);
		}
		w = next;
	}
}

static void authenticate(struct store *st)
{
	json_object *o = json_object_new_object();
	struct req *r = calloc(1, sizeof(*r));
	const char *body = NULL;
	if (o) {
		json_object_object_add(o, "name", json_object_new_string(st->user));
		json_object_object_add(o, "password",
				       json_object_new_string(st->password ? st->password : ""));
		body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	}
	if (!r || !body || !(r->body = strdup(body))) {
		free(r);
		json_object_put(o);
		struct store_reply fail = {.status = STORE_UNAVAILABLE};
		fmt(fail.error, sizeof(fail.error), "out of memory");
		auth_done(st, &fail);
		return;
	}
	json_object_put(o);
	r->st = st;
	r->kind = REQ_AUTH;
	r->cb = auth_done;
	r->ctx = st;
	r->ep = st->cur;
	r->deadline_ns = now_ns() + st->timeout_ms * 1000000;
	st->authenticating = true;
	attempt(r);
}

/* --- libcurl's hooks ---------------------------------------------------- */

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)e;
	struct store *st = userp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(st->epfd, EPOLL_CTL_DEL, s, NULL);
		curl_multi_assign(st->multi, s, NULL);
		return 0;
	}
	struct epoll_event ev = {.data.fd = s};
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(st->epfd, socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) < 0 &&
	    epoll_ctl(st->epfd, socketp ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, s, &ev) < 0)
		return -1;
	curl_multi_assign(st->multi, s, (void *)1);
	return 0;
}

static int on_timer(CURLM *m, long ms, void *userp)
{
	(void)m;
	struct store *st = userp;
	struct itimerspec its = {0};
	if (ms == 0)
		its.it_value.tv_nsec = 1; /* at once: the next dispatch */
	else if (ms > 0) {
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000;
	}
	return timerfd_settime(st->tfd, 0, &its, NULL) < 0 ? -1 : 0;
}

/* --- watches ----------------------------------------------------------------
 *
 * A watch is one POST /v3/watch whose answer never ends: a stream of JSON
 * objects {"result": {"header": …, "created": true | "events": […]}}, read
 * object by object as libcurl hands the bytes over. Events are queued while
 * libcurl is in its callback and handed to the caller from store_dispatch
 * (libcurl refuses new requests from inside its callbacks). A stream that
 * ends — the endpoint failed, the store cancelled the watch, an answer that
 * is not etcd's — is opened again from the revision after the last one
 * seen, on the endpoint that answered last (or the next one), soon after a
 * first failure and at most a second apart after several. Every new stream
 * is told to the caller as a resync: it may read what it follows again,
 * since a compacted revision loses events. */

struct store_watch {
	struct store *st;
	struct store_watch *next;
	char *key, *end;
	size_t klen, elen;
	int64_t next_rev; /* where a new stream starts (0: now) */
	store_watch_cb cb;
	void *ctx;
	struct req *r;
	json_tokener *tok;
	bool partial; /* the tokener holds part of an object */
	bool resync;  /* a new stream: to tell the caller */
	unsigned fails;
	int64_t retry_ns; /* waiting to open a stream again (0: not) */
	struct store_event *ev;
	size_t nev, capev;
};

static bool in_list(const struct req *head, const struct req *r)
{
	for (; head; head = head->next)
		if (head == r)
			return true;
	return false;
}

static void events_free(struct store_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ev[i].kv.key);
		free(ev[i].kv.value);
	}
	free(ev);
}

/* One object of the stream. false: end the stream. */
static bool watch_message(struct store_watch *w, json_object *o)
{
	json_object *res, *x;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "result", &res) ||
	    !json_object_is_type(res, json_type_object))
		return false; /* {"error": …}: the stream is over */
	int64_t rev = 0, compact = 0;
	if (json_object_object_get_ex(res, "header", &x) && !get_i64(x, "revision", &rev))
		return false;
	if (get_bool(res, "created")) {
		w->resync = true;
		w->fails = 0;
		if (!w->next_rev && rev)
			w->next_rev = rev + 1;
	}
	if (!get_i64(res, "compact_revision", &compact))
		return false;
	if (compact > 0) {
		/* events up to there are gone: the caller reads again */
		if (compact > w->next_rev)
			w->next_rev = compact;
		w->resync = true;
	}
	if (get_bool(res, "canceled"))
		return false;
	json_object *evs;
	if (!json_object_object_get_ex(res, "events", &evs))
		return true;
	if (!json_object_is_type(evs, json_type_array))
		return false;
	size_t n = json_object_array_length(evs);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(evs, i), *kv, *t;
		if (!json_object_is_type(e, json_type_object) || !json_object_object_get_ex(e, "kv", &kv) ||
		    !json_object_is_type(kv, json_type_object))
			return false;
		if (w->nev == w->capev) {
			size_t cap = w->capev ? w->capev * 2 : 8;
			struct store_event *ne = realloc(w->ev, cap * sizeof(*ne));
			if (!ne)
				return false;
			w->ev = ne;
			w->capev = cap;
		}
		struct store_event *ev = &w->ev[w->nev];
		memset(ev, 0, sizeof(*ev));
		ev->deleted = json_object_object_get_ex(e, "type", &t) &&
			      strcmp(json_object_get_string(t), "DELETE") == 0;
		bool ok = get_bytes(kv, "key", &ev->kv.key, &ev->kv.key_len) &&
			  get_bytes(kv, "value", &ev->kv.value, &ev->kv.value_len) &&
			  get_i64(kv, "create_revision", &ev->kv.create_revision) &&
			  get_i64(kv, "mod_revision", &ev->kv.mod_revision) &&
			  get_i64(kv, "version", &ev->kv.version);
		w->nev++;
		if (!ok)
			return false;
		if (ev->kv.mod_revision >= w->next_rev)
			w->next_rev = ev->kv.mod_revision + 1;
	}
	return true;
}

static size_t on_watch_data(char *p, size_t size, size_t n, void *userp)
{
	struct store_watch *w = userp;
	size_t len = size * n, left = len;
	const char *q = p;
	while (left) {
		if (!w->partial) {
			while (left && (*q == '\n' || *q == '\r' || *q == ' ' || *q == '\t'))
				q++, left--;
			if (!left)
				break;
		}
		json_object *o = json_tokener_parse_ex(w->tok, q, (int)(left > INT32_MAX ? INT32_MAX : left));
		if (!o) {
			if (json_tokener_get_error(w->tok) != json_tokener_continue)
				return 0; /* not etcd's: end the stream */
			w->partial = true;
			break;
		}
		size_t used = json_tokener_get_parse_end(w->tok);
		json_tokener_reset(w->tok);
		w->partial = false;
		q += used;
		left -= used;
		bool ok = watch_message(w, o);
		json_object_put(o);
		if (!ok)
			return 0;
	}
	return len;
}

static void watch_setopt(struct req *r)
{
	/* a stream: no end; a peer gone silent is found by TCP keep-alives
	 * (a store that stopped answering, by the caller's own reads) */
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, 0L);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_watch_data);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r->w);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPINTVL, 1L);
}

static void watch_arm(struct store *st)
{
	int64_t first = 0;
	for (struct store_watch *w = st->watches; w; w = w->next)
		if (w->retry_ns && (!first || w->retry_ns < first))
			first = w->retry_ns;
	struct itimerspec its = {0};
	if (first) {
		int64_t d = first - now_ns();
		if (d < 1)
			d = 1;
		its.it_value.tv_sec = d / 1000000000;
		its.it_value.tv_nsec = d % 1000000000;
	}
	timerfd_settime(st->wtfd, 0, &its, NULL);
}

static void watch_start(struct store_watch *w)
{
	struct req *r = w->r;
	w->retry_ns = 0;
	json_object *o = json_object_new_object(), *c = key_obj_watch(w);
	if (o && c) {
		json_object_object_add(o, "create_request", c);
		c = NULL;
	}
	const char *body = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
	char *b = body ? strdup(body) : NULL;
	json_object_put(o);
	json_object_put(c);
	if (!b) {
		watch_down(r, "out of memory");
		return;
	}
	free(r->body);
	r->body = b;
	r->tried = 0;
	r->auth_retried = false;
	r->deadline_ns = now_ns() + 3600 * (int64_t)1000000000;
	json_tokener_reset(w->tok);
	w->partial = false;
	submit(r);
}

/* The stream ended (r is in no list): open it again soon. */
static void watch_down(struct req *r, const char *why)
{
	(void)why;
	struct store_watch *w = r->w;
	struct store *st = r->st;
	w->fails++;
	if (st->nep > 1)
		r->ep = st->cur != r->ep && st->answered ? st->cur : (r->ep + 1) % st->nep;
	int64_t delay = 10000000; /* 10 ms, then doubling to a second */
	for (unsigned i = 1; i < w->fails && delay < 1000000000; i++)
		delay *= 2;
	w->retry_ns = now_ns() + (delay > 1000000000 ? 1000000000 : delay);
	watch_arm(st);
}

static void watch_retry(struct store *st)
{
	int64_t t = now_ns();
	for (struct store_watch *w = st->watches; w; w = w->next)
		if (w->retry_ns && w->retry_ns <= t)
			watch_start(w);
	watch_arm(st);
}

static void watch_deliver(struct store *st)
{
again:
	for (struct store_watch *w = st->watches; w; w = w->next) {
		if (!w->nev && !w->resync)
			continue;
		struct store_event *ev = w->ev;
		size_t n = w->nev;
		bool resync = w->resync;
		w->ev = NULL;
		w->nev = w->capev = 0;
		w->resync = false;
		w->cb(w->ctx, ev, n, resync); /* may cancel watches: from the top */
		events_free(ev, n);
		goto again;
	}
}

int store_watch(struct store *st, const void *key, size_t key_len, const void *range_end,
		size_t range_end_len, int64_t start_revision, store_watch_cb cb, void *ctx,
		struct store_watch **out)
{
	struct store_watch *w = calloc(1, sizeof(*w));
	struct req *r = calloc(1, sizeof(*r));
	if (w) {
		w->key = malloc(key_len + 1);
		w->end = malloc(range_end_len + 1);
		w->tok = json_tokener_new();
	}
	if (!w || !r || !w->key || !w->end || !w->tok) {
		if (w) {
			free(w->key);
			free(w->end);
			if (w->tok)
				json_tokener_free(w->tok);
		}
		free(w);
		free(r);
		return -ENOMEM;
	}
	memcpy(w->key, key, key_len);
	w->klen = key_len;
	if (range_end)
		memcpy(w->end, range_end, range_end_len);
	w->elen = range_end ? range_end_len : 0;
	w->next_rev = start_revision > 0 ? start_revision : 0;
	w->cb = cb;
	w->ctx = ctx;
	w->st = st;
	w->r = r;
	r->st = st;
	r->kind = REQ_WATCH;
	r->w = w;
	r->ep = st->cur;
	w->next = st->watches;
	st->watches = w;
	watch_start(w);
	if (out)
		*out = w;
	return 0;
}

static void watch_unhook(struct store_watch *w)
{
	struct store *st = w->st;
	struct req *r = w->r;
	if (in_list(st->active, r)) {
		list_del(&st->active, r);
		curl_multi_remove_handle(st->multi, r->easy);
	} else if (in_list(st->waiting, r)) {
		list_del(&st->waiting, r);
		r->waiting = false;
	}
}

void store_watch_restart(struct store_watch *w)
{
	watch_unhook(w);
	w->fails = 0;
	watch_down(w->r, "restarted");
}

int64_t store_watch_revision(const struct store_watch *w)
{
	return w->next_rev > 0 ? w->next_rev - 1 : 0;
}

void store_watch_cancel(struct store_watch *w)
{
	if (!w)
		return;
	struct store *st = w->st;
	watch_unhook(w);
	struct store_watch **pp = &st->watches;
	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
	req_free(w->r);
	events_free(w->ev, w->nev);
	json_tokener_free(w->tok);
	free(w->key);
	free(w->end);
	free(w);
	watch_arm(st);
}

/* --- the interface ------------------------------------------------------ */

static char *dup_opt(const char *s, bool *oom)
{
	if (!s || !*s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

int store_open(const struct store_config *cfg, struct store **out, char *err, size_t errlen)
{
	static bool curl_ready;
	*out = NULL;
	if (!cfg->endpoints || !*cfg->endpoints) {
		fmt(err, errlen, "no store endpoint given");
		return -EINVAL;
	}
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fmt(err, errlen, "libcurl could not be initialised");
			return -ENOMEM;
		}
		curl_ready = true;
	}
	struct store *st = calloc(1, sizeof(*st));
	if (!st) {
		fmt(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->epfd = st->tfd = st->wtfd = -1;
	bool oom = false;
	st->endpoints_text = dup_opt(cfg->endpoints, &oom);
	st->user = dup_opt(cfg->user, &oom);
	st->password = dup_opt(cfg->password, &oom);
	st->cacert = dup_opt(cfg->cacert, &oom);
	st->cert = dup_opt(cfg->cert, &oom);
	st->key = dup_opt(cfg->key, &oom);
	if (cfg->bind && !(st->bind = malloc(strlen(cfg->bind) + 6)))
		oom = true;
	else if (cfg->bind)
		sprintf(st->bind, "host!%s", cfg->bind);
	st->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 2000;
	st->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 500;
	int r = -ENOMEM;
	if (oom) {
		fmt(err, errlen, "out of memory");
		goto fail;
	}
	/* the list: a copy cut at commas, each a URL of http or https */
	char *text = strdup(st->endpoints_text), *save = NULL;
	if (!text) {
		fmt(err, errlen, "out of memory");
		goto fail;
	}
	for (char *t = strtok_r(text, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		size_t n = strlen(t);
		while (n && (t[n - 1] == ' ' || t[n - 1] == '/'))
			t[--n] = 0;
		if (!n)
			continue;
		if (strncmp(t, "http://", 7) != 0 && strncmp(t, "https://", 8) != 0) {
			fmt(err, errlen, "store endpoint '%s': not an http:// or https:// URL", t);
			free(text);
			r = -EINVAL;
			goto fail;
		}
		if (st->nep == STORE_ENDPOINTS_MAX) {
			fmt(err, errlen, "more than %d store endpoints", STORE_ENDPOINTS_MAX);
			free(text);
			r = -EINVAL;
			goto fail;
		}
		if (!(st->ep[st->nep++] = strdup(t))) {
			fmt(err, errlen, "out of memory");
			free(text);
			goto fail;
		}
	}
	free(text);
	if (!st->nep) {
		fmt(err, errlen, "no store endpoint given");
		r = -EINVAL;
		goto fail;
	}
	st->epfd = epoll_create1(EPOLL_CLOEXEC);
	st->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = -1};
	st->wtfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct epoll_event wev = {.events = EPOLLIN, .data.fd = -2};
	if (st->epfd < 0 || st->tfd < 0 || st->wtfd < 0 ||
	    epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->tfd, &ev) < 0 ||
	    epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->wtfd, &wev) < 0) {
		r = -errno;
		fmt(err, errlen, "store event set: %s", strerror(errno));
		goto fail;
	}
	st->multi = curl_multi_init();
	if (!st->multi) {
		fmt(err, errlen, "libcurl could not make a multi handle");
		goto fail;
	}
	curl_multi_setopt(st->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(st->multi, CURLMOPT_SOCKETDATA, st);
	curl_multi_setopt(st->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(st->multi, CURLMOPT_TIMERDATA, st);
	*out = st;
	return 0;
fail:
	store_close(st);
	return r;
}

static void fail_all(struct store *st, struct req **head)
{
	while (*head) {
		struct req *r = *head;
		list_del(head, r);
		if (r->easy && !r->waiting)
			curl_multi_remove_handle(st->multi, r->easy);
		struct store_reply rep = {.status = is_write(r->kind) && !r->waiting ? STORE_AMBIGUOUS
										     : STORE_UNAVAILABLE,
					  .endpoint = st->ep[r->ep]};
		fmt(rep.error, sizeof(rep.error), "the store client was closed");
		finish(r, &rep);
	}
}

void store_close(struct store *st)
{
	if (!st)
		return;
	while (st->watches)
		store_watch_cancel(st->watches);
	if (st->multi) {
		fail_all(st, &st->active);
		fail_all(st, &st->waiting);
		curl_multi_cleanup(st->multi);
	}
	if (st->epfd >= 0)
		close(st->epfd);
	if (st->tfd >= 0)
		close(st->tfd);
	if (st->wtfd >= 0)
		close(st->wtfd);
	for (size_t i = 0; i < st->nep; i++)
		free(st->ep[i]);
	free(st->endpoints_text);
	free(st->user);
	free(st->password);
	free(st->cacert);
	free(st->cert);
	free(st->key);
	free(st->bind);
	free(st->token);
	free(st);
}

int store_fd(const struct store *st)
{
	return st->epfd;
}

void store_dispatch(struct store *st)
{
	struct epoll_event ev[16];
	int running;
	for (int round = 0; round < 64; round++) {
		int n = epoll_wait(st->epfd, ev, 16, 0);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == -2) {
				uint64_t x;
				if (read(st->wtfd, &x, sizeof(x)) == (ssize_t)sizeof(x))
					watch_retry(st);
				continue;
			}
			if (ev[i].data.fd < 0) {
				uint64_t x;
				if (read(st->tfd, &x, sizeof(x)) == (ssize_t)sizeof(x))
					curl_multi_socket_action(st->multi, CURL_SOCKET_TIMEOUT, 0, &running);
				continue;
			}
			int mask = 0;
			if (ev[i].events & EPOLLIN)
				mask |= CURL_CSELECT_IN;
			if (ev[i].events & EPOLLOUT)
				mask |= CURL_CSELECT_OUT;
			if (ev[i].events & (EPOLLERR | EPOLLHUP))
				mask |= CURL_CSELECT_ERR;
			curl_multi_socket_action(st->multi, ev[i].data.fd, mask, &running);
		}
		drain(st);
		watch_deliver(st);
	}
	drain(st);
	watch_deliver(st);
}

size_t store_pending(const struct store *st)
{
	return st->pending;
}

size_t store_wait(struct store *st, long timeout_ms)
{
	int64_t until = now_ns() + (int64_t)timeout_ms * 1000000;
	while (st->pending) {
		int64_t left = (until - now_ns()) / 1000000;
		if (left <= 0)
			break;
		struct pollfd p = {.fd = st->epfd, .events = POLLIN};
		if (poll(&p, 1, (int)(left > 100 ? 100 : left)) > 0)
			store_dispatch(st);
	}
	return st->pending;
}

const char *store_endpoints(const struct store *st)
{
	return st->endpoints_text;
}

const char *store_current(const struct store *st)
{
	return st->answered ? st->ep[st->cur] : NULL;
}

const char *store_status_name(enum store_status s)
{
	switch (s) {
	case STORE_OK:
		return "ok";
	case STORE_UNAVAILABLE:
		return "unavailable";
	case STORE_AMBIGUOUS:
		return "ambiguous";
	case STORE_REJECTED:
		return "rejected";
	case STORE_BAD_REPLY:
		return "bad reply";
	case STORE_AUTH_FAILED:
		return "authentication failed";
	}
	return "?";
}

/* --- request bodies ----------------------------------------------------- */

static int queue(struct store *st, enum req_kind kind, json_object *o, store_cb cb, void *ctx)
{
	const char *body = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
	struct req *r = body ? calloc(1, sizeof(*r)) : NULL;
	if (!r || !(r->body = strdup(body))) {
		free(r);
		json_object_put(o);
		return -ENOMEM;
	}
	json_object_put(o);
	r->st = st;
	r->kind = kind;
	r->cb = cb;
	r->ctx = ctx;
	r->ep = st->cur;
	r->deadline_ns = now_ns() + st->timeout_ms * 1000000;
	st->pending++;
	submit(r);
	return 0;
}

static json_object *key_obj(const void *key, size_t klen, const void *end, size_t elen)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	if (add_b64(o, "key", key, klen) < 0 || (end && add_b64(o, "range_end", end, elen) < 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int store_range(struct store *st, const void *key, size_t key_len, const void *range_end,
		size_t range_end_len, store_cb cb, void *ctx)
{
	json_object *o = key_obj(key, key_len, range_end, range_end_len);
	return o ? queue(st, REQ_RANGE, o, cb, ctx) : -ENOMEM;
}

int store_delete(struct store *st, const void *key, size_t key_len, const void *range_end,
		 size_t range_end_len, store_cb cb, void *ctx)
{
	json_object *o = key_obj(key, key_len, range_end, range_end_len);
	return o ? queue(st, REQ_DELETE, o, cb, ctx) : -ENOMEM;
}

static json_object *key_obj_watch(const struct store_watch *w)
{
	json_object *o = key_obj(w->key, w->klen, w->elen ? w->end : NULL, w->elen);
	if (o && w->next_rev > 0 && add_i64(o, "start_revision", w->next_rev) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *put_obj(const void *key, size_t klen, const void *value, size_t vlen, int64_t lease)
{
	json_object *o = key_obj(key, klen, NULL, 0);
	if (o && (add_b64(o, "value", value, vlen) < 0 || (lease && add_i64(o, "lease", lease) < 0))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int store_put(struct store *st, const void *key, size_t key_len, const void *value, size_t value_len,
	      store_cb cb, void *ctx)
{
	json_object *o = put_obj(key, key_len, value, value_len, 0);
	return o ? queue(st, REQ_PUT, o, cb, ctx) : -ENOMEM;
}

static json_object *ops_array(const struct store_op *ops, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; a && i < n; i++) {
		const struct store_op *op = &ops[i];
		json_object *inner = op->kind == STORE_OP_PUT ? put_obj(op->key, op->key_len, op->value,
									op->value_len, op->lease)
							      : key_obj(op->key, op->key_len, op->range_end,
									op->range_end_len);
		json_object *w = json_object_new_object();
		if (!inner || !w) {
			json_object_put(inner);
			json_object_put(w);
			json_object_put(a);
			return NULL;
		}
		json_object_object_add(w,
				       op->kind == STORE_OP_PUT	    ? "request_put"
				       : op->kind == STORE_OP_RANGE ? "request_range"
								    : "request_delete_range",
				       inner);
		json_object_array_add(a, w);
	}
	return a;
}

/* A lease granted twice (an answer lost, the request sent again) only
 * leaves one unused until its TTL: both are read-like (sent again). */
int store_lease_grant(struct store *st, int64_t ttl_s, store_cb cb, void *ctx)
{
	json_object *o = json_object_new_object();
	if (!o || add_i64(o, "TTL", ttl_s) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	return queue(st, REQ_GRANT, o, cb, ctx);
}

int store_lease_keepalive(struct store *st, int64_t lease, store_cb cb, void *ctx)
{
	json_object *o = json_object_new_object();
	if (!o || add_i64(o, "ID", lease) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	return queue(st, REQ_KEEPALIVE, o, cb, ctx);
}

int store_txn(struct store *st, const struct store_txn *txn, store_cb cb, void *ctx)
{
	static const char *const target[] = {"VERSION", "CREATE", "MOD", "VALUE"};
	static const char *const field[] = {"version", "create_revision", "mod_revision", "value"};
	static const char *const result[] = {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"};
	json_object *o = json_object_new_object(), *cmps = json_object_new_array();
	if (!o || !cmps) {
		json_object_put(o);
		json_object_put(cmps);
		return -ENOMEM;
	}
	json_object_object_add(o, "compare", cmps);
	for (size_t i = 0; i < txn->ncmp; i++) {
		const struct store_cmp *c = &txn->cmp[i];
		if ((unsigned)c->target > STORE_CMP_VALUE || (unsigned)c->result > STORE_NOT_EQUAL) {
			json_object_put(o);
			return -EINVAL;
		}
		json_object *x = key_obj(c->key, c->key_len, NULL, 0);
		if (!x) {
			json_object_put(o);
			return -ENOMEM;
		}
		json_object_array_add(cmps, x);
		json_object_object_add(x, "target", json_object_new_string(target[c->target]));
		json_object_object_add(x, "result", json_object_new_string(result[c->result]));
		int r = c->target == STORE_CMP_VALUE ? add_b64(x, "value", c->value, c->value_len)
						     : add_i64(x, field[c->target], c->number);
		if (r < 0) {
			json_object_put(o);
			return r;
		}
	}
	json_object *s = ops_array(txn->success, txn->nsuccess), *f = ops_array(txn->failure, txn->nfailure);
	if (!s || !f) {
		json_object_put(s);
		json_object_put(f);
		json_object_put(o);
		return -ENOMEM;
	}
	json_object_object_add(o, "success", s);
	json_object_object_add(o, "failure", f);
	return queue(st, REQ_TXN, o, cb, ctx);
}

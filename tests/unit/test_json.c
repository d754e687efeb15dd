/* SPDX-License-Identifier: MIT */
/* test_json.c — the JSON string writer (tools/common/json.c): any byte
 * string, UTF-8 or not, becomes a string a strict parser accepts; well-formed
 * UTF-8 passes through unchanged, each ill-formed byte becomes U+FFFD,
 * control characters are escaped. Checked by a strict decoder here and,
 * where python3 is installed, by its json module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

/* The writer's output for s[0, n), NUL-terminated (to free). */
static char *render(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	json_write_strn(f, s, n);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t put_utf8(unsigned long cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A strict decoder of one JSON string (RFC 8259): the whole of j must be
 * it. Returns the decoded UTF-8 in out (*outlen bytes), or false. */
static bool strict_decode(const char *j, char *out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)j;
	size_t n = strlen(j), i = 1, o = 0;
	if (n < 2 || s[0] != '"')
		return false;
	while (i < n) {
		unsigned char c = s[i];
		if (c == '"')
			break;
		if (c < 0x20)
			return false; /* raw control character */
		if (c == '\\') {
			if (i + 1 >= n)
				return false;
			char e = (char)s[i + 1];
			const char *simple = strchr("\"\\/bfnrt", e);
			if (e && simple) {
				static const char map[] = "\"\\/\b\f\n\r\t";
				out[o++] = map[simple - "\"\\/bfnrt"];
				i += 2;
				continue;
			}
			if (e != 'u' || i + 6 > n)
				return false;
			unsigned long cp = 0;
			for (int k = 0; k < 4; k++) {
				int h = hexval((char)s[i + 2 + k]);
				if (h < 0)
					return false;
				cp = cp * 16 + (unsigned long)h;
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				return false; /* the writer never needs surrogate pairs */
			o += put_utf8(cp, out + o);
			i += 6;
			continue;
		}
		size_t len = utf8_seq_len(s + i, n - i);
		if (!len)
			return false;
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	if (i != n - 1)
		return false; /* no closing quote, or something after it */
	*outlen = o;
	return true;
}

/* Every checked string and what it must decode to, one per line
 * ("json<TAB>hex"), for python3's json module at the end: one run of it. */
static char *batch;
static size_t batch_len;
static FILE *batch_f;
static unsigned batch_n;

static void python_later(const char *json, const char *expected, size_t explen)
{
	if (!batch_f)
		batch_f = open_memstream(&batch, &batch_len);
	assert_non_null(batch_f);
	fprintf(batch_f, "%s\t", json);
	for (size_t i = 0; i < explen; i++)
		fprintf(batch_f, "%02x", (unsigned char)expected[i]);
	fputc('\n', batch_f);
	batch_n++;
}

/* input → exactly expected (what a parser decodes it to) */
static void check(const char *in, size_t n, const char *expected, size_t explen)
{
	char *j = render(in, n);
	char dec[1024];
	size_t declen = 0;
	if (!strict_decode(j, dec, &declen))
		fail_msg("not a strict JSON string: %s", j);
	if (declen != explen || memcmp(dec, expected, declen) != 0)
		fail_msg("%s decodes to %.*s, not %s", j, (int)declen, dec, expected);
	python_later(j, expected, explen);
	free(j);
}

#define CHECK(lit, expected) check(lit, sizeof(lit) - 1, expected, sizeof(expected) - 1)
#define FFFD "\xef\xbf\xbd"

static void test_ascii_and_escapes(void **state)
{
	(void)state;
	CHECK("", "");
	CHECK("plain text", "plain text");
	CHECK("q\"b\\s/", "q\"b\\s/");
	CHECK("\n\r\t\b\f\x01\x1f\x7f", "\n\r\t\b\f\x01\x1f\x7f");
	char *j = render("a\nb\x7f", 4);
	assert_string_equal(j, "\"a\\nb\\u007f\"");
	free(j);
	/* an embedded NUL, with the length given */
	check("a\0b", 3, "a\0b", 3);
	j = render("a\0b", 3);
	assert_string_equal(j, "\"a\\u0000b\"");
	free(j);
}

static void test_utf8_passes_through(void **state)
{
	(void)state;
	CHECK("caf\xc3\xa9", "caf\xc3\xa9");			       /* U+00E9 */
	CHECK("\xe2\x82\xac", "\xe2\x82\xac");			       /* U+20AC */
	CHECK("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");		       /* U+1F600 */
	CHECK("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");		       /* U+10FFFF */
	CHECK("\xed\x9f\xbf\xee\x80\x80", "\xed\x9f\xbf\xee\x80\x80"); /* around the surrogates */
	char *j = render("\xc3\xa9", 2);
	assert_string_equal(j, "\"\xc3\xa9\"");
	free(j);
}

static void test_invalid_bytes_become_fffd(void **state)
{
	(void)state;
	CHECK("\xff", FFFD);
	CHECK("a\xff"
	      "b",
	      "a" FFFD "b");
	CHECK("\xfe\xfe", FFFD FFFD);
	CHECK("\x80", FFFD);				/* stray continuation */
	CHECK("\xc3", FFFD);				/* truncated at the end */
	CHECK("\xc3(", FFFD "(");			/* truncated before ASCII */
	CHECK("\xe2\x82", FFFD FFFD);			/* truncated three-byte */
	CHECK("\xc0\xaf", FFFD FFFD);			/* overlong '/' */
	CHECK("\xc1\xbf", FFFD FFFD);			/* overlong */
	CHECK("\xe0\x80\xaf", FFFD FFFD FFFD);		/* overlong */
	CHECK("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD); /* overlong */
	CHECK("\xed\xa0\x80", FFFD FFFD FFFD);		/* U+D800, a surrogate */
	CHECK("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* above U+10FFFF */
	CHECK("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	CHECK("x\"\xff\\", "x\"" FFFD "\\");
}

/* Every byte string of length 1 and 2, and a pseudo-random sample of
 * longer ones: always a strict JSON string. */
static void test_any_bytes_are_valid_json(void **state)
{
	(void)state;
	char dec[1024];
	size_t declen;
	unsigned char b[8];
	for (unsigned x = 0; x < 65536; x++) {
		b[0] = (unsigned char)x;
		b[1] = (unsigned char)(x >> 8);
		for (size_t n = 1; n <= 2; n++) {
			char *j = render((const char *)b, n);
			if (!strict_decode(j, dec, &declen))
				fail_msg("bytes %02x %02x: %s", b[0], b[1], j);
			free(j);
		}
	}
	uint64_t r = 88172645463325252ull;
	for (int i = 0; i < 50000; i++) {
		for (size_t k = 0; k < sizeof(b); k++) {
			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			b[k] = (unsigned char)r;
		}
		char *j = render((const char *)b, sizeof(b));
		if (!strict_decode(j, dec, &declen))
			fail_msg("not strict JSON: %s", j);
		free(j);
	}
}

/* python3's json module (strict UTF-8) reads every string checked above
 * back to exactly what it should be. */
static void test_python_agrees(void **state)
{
	(void)state;
	if (system("python3 -c '' 2>/dev/null") != 0) {
		printf("# no python3: skipped\n");
		return;
	}
	assert_non_null(batch_f);
	assert_int_equal(fclose(batch_f), 0);
	batch_f = NULL;
	char in[] = "/tmp/shmseq-json-XXXXXX";
	int fd = mkstemp(in);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, batch, batch_len), (ssize_t)batch_len);
	close(fd);
	free(batch);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json, sys\n"
		 "n = 0\n"
		 "for line in open(sys.argv[1], \"rb\").read().split(b\"\\n\")[:-1]:\n"
		 "    j, h = line.split(b\"\\t\")\n"
		 "    s = json.loads(j.decode(\"utf-8\", \"strict\"))\n"
		 "    assert s.encode(\"utf-8\") == bytes.fromhex(h.decode()), (j, h)\n"
		 "    n += 1\n"
		 "print(n)' %s",
		 in);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	unsigned n = 0;
	int got = fscanf(p, "%u", &n);
	int st = pclose(p);
	unlink(in);
	assert_int_equal(st, 0);
	assert_int_equal(got, 1);
	assert_int_equal(n, batch_n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_and_escapes),
		cmocka_unit_test(test_utf8_passes_through),
		cmocka_unit_test(test_invalid_bytes_become_fffd),
		cmocka_unit_test(test_any_bytes_are_valid_json),
		cmocka_unit_test(test_python_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

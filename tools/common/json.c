/* SPDX-License-Identifier: MIT */
/* json.c — see json.h. */
#include "json.h"

#include <string.h>

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0; /* continuation byte, or an overlong two-byte lead */
	if (c < 0xe0) {
		len = 2;
	} else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* UTF-16 surrogates */
	} else if (c < 0xf5) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void json_write_strn(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	putc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fprintf(f, "\\u%04x", c);
			} else if (c < 0x80) {
				putc(c, f);
			} else {
				size_t len = utf8_seq_len(s + i, n - i);
				if (len) {
					fwrite(s + i, 1, len, f);
					i += len;
					continue;
				}
				fputs("\\ufffd", f);
			}
		}
		i++;
	}
	putc('"', f);
}

void json_write_str(FILE *f, const char *s)
{
	json_write_strn(f, s, strlen(s));
}

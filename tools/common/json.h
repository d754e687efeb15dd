/* SPDX-License-Identifier: MIT */
/* json.h — JSON strings that are always valid JSON.
 *
 * Names, comments and values come from users and may hold any byte. The
 * writer escapes '"', '\\' and every control character (U+0000-U+001F and
 * DEL), passes well-formed UTF-8 through, and writes each byte that is not
 * part of a well-formed UTF-8 sequence (a stray continuation byte, a
 * truncated or overlong sequence, a surrogate, anything above U+10FFFF,
 * 0xC0, 0xC1, 0xF5-0xFF) as U+FFFD, the replacement character, so that
 * a strict parser accepts the output whatever the input was. */
#ifndef SHMSEQ_JSON_H
#define SHMSEQ_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Write s[0, n) as a quoted JSON string. */
void json_write_strn(FILE *f, const char *s, size_t n);
/* Write a NUL-terminated string as a quoted JSON string. */
void json_write_str(FILE *f, const char *s);

/* The length of the well-formed UTF-8 sequence at s[0, n): 1 to 4, or 0
 * when s[0] does not start one. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif

/* fuzz_sql.c — libFuzzer target for the statement parser (lib/sql.c).
 *
 * Feeds arbitrary bytes to every entry point of sql.h: sql_parse on the whole
 * input, sql_split and sql_parse on each piece, sql_complete and
 * sql_is_blank. Everything is freed, so LeakSanitizer sees any leak; the
 * invariants checked with __builtin_trap are those sql.h promises.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

static void check_parse(const char *text, size_t len)
{
	struct sql_stmt *st = NULL;
	struct sql_error err;
	int rc = sql_parse(text, len, &st, &err);

	if (rc == 0) {
		if (!st || st->text_len != len)
			__builtin_trap();
		sql_stmt_free(st);
		return;
	}
	if (st)
		__builtin_trap();
	if (rc != -ENOMEM) {
		if (rc != -err.code || err.code < 1000)
			__builtin_trap();
		if (!memchr(err.message, '\0', sizeof(err.message)))
			__builtin_trap();
		if (err.code == 1064 && (err.offset > len || err.line < 1))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct sql_piece *pieces = NULL;
	size_t n = 0, end;

	check_parse(text, size);
	if (sql_split(text, size, &pieces, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (pieces[i].off + pieces[i].len > size || pieces[i].len == 0)
				__builtin_trap();
			check_parse(text + pieces[i].off, pieces[i].len);
		}
		free(pieces);
	}
	if (sql_complete(text, size, &end) && (end == 0 || end > size || text[end - 1] != ';'))
		__builtin_trap();
	(void)sql_is_blank(text, size);
	return 0;
}

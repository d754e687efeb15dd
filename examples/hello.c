/* SPDX-License-Identifier: MIT */
/* hello.c — the README's example as a whole program: create a sequence if
 * it is missing, take a million values through a handle, then one by name,
 * and read LASTVAL.
 *
 *   cc hello.c $(pkg-config --cflags --libs shmseq) -o hello
 *   ./hello            # needs a running shmseqd ($SHMSEQ_INSTANCE or "default")
 */
#include <inttypes.h>
#include <stdio.h>

#include <shmseq.h>

int main(void)
{
	shmseq *db;
	shmseq_seq *orders;
	shmseq_result *res;
	int64_t id = 0, last = 0;
	int rc = shmseq_connect(NULL, &db); /* $SHMSEQ_INSTANCE or "default" */
	if (rc < 0) {
		char why[1024];
		shmseq_connect_explain(NULL, rc, why, sizeof(why));
		fprintf(stderr, "hello: cannot connect: %s\n", why);
		return 1;
	}
	rc = shmseq_exec(db, "CREATE SEQUENCE IF NOT EXISTS orders START WITH 1000 CACHE 1000", &res);
	if (rc == 0)
		rc = shmseq_result_error(res); /* the statement's own error, if any */
	if (rc < 0) {
		fprintf(stderr, "hello: CREATE SEQUENCE: %s\n",
			res && *shmseq_result_message(res) ? shmseq_result_message(res)
							   : shmseq_strerror(rc));
		shmseq_result_free(res);
		goto out;
	}
	shmseq_result_free(res);

	rc = shmseq_seq_open(db, "orders", &orders); /* resolve once for hot loops */
	if (rc < 0) {
		fprintf(stderr, "hello: open orders: %s\n", shmseq_strerror(rc));
		goto out;
	}
	for (int i = 0; i < 1000000; i++) {
		rc = shmseq_seq_nextval(orders, &id); /* -4084: run out, … */
		if (rc < 0) {
			fprintf(stderr, "hello: NEXTVAL(orders): %s\n", shmseq_strerror(rc));
			goto out;
		}
	}
	rc = shmseq_nextval(db, "orders", &id); /* or by name */
	if (rc == 0)
		rc = shmseq_lastval(db, "orders", &last); /* LASTVAL: per connection */
	if (rc < 0) {
		fprintf(stderr, "hello: %s\n", shmseq_strerror(rc));
		goto out;
	}
	printf("NEXTVAL(orders) = %" PRId64 ", LASTVAL(orders) = %" PRId64 "\n", id, last);
	if (last != id) {
		fprintf(stderr, "hello: LASTVAL differs from the last NEXTVAL\n");
		rc = -1;
	}
out:
	shmseq_disconnect(db); /* closes the handle too */
	return rc < 0 ? 1 : 0;
}

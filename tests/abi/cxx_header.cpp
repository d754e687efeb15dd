/* SPDX-License-Identifier: MIT */
// include/shmseq.h as a C++ program sees it (C++98 and C++17): compiled with -Wall -Wextra
// -pedantic -Werror, linked against libshmseq and run.
#include <shmseq.h>

#include <cerrno>
#include <cstdio>
#include <cstddef>
#include <cstring>

static int failures;

static void check(bool ok, const char *what)
{
	if (!ok) {
		std::fprintf(stderr, "FAIL: %s\n", what);
		failures++;
	}
}

int main()
{
	// C linkage: these resolve against the library's unmangled names
	check(std::strcmp(shmseq_strerror(-SHMSEQ_ERR_RUN_OUT), "Sequence has run out") == 0,
	      "shmseq_strerror(-4084)");
	check(shmseq_strerror(-EINVAL) != NULL, "shmseq_strerror(-EINVAL)");

	shmseq *conn = NULL;
	check(shmseq_connect("no/such instance", &conn) == -EINVAL && conn == NULL,
	      "shmseq_connect of a bad name gives -EINVAL");
	shmseq_disconnect(NULL);
	shmseq_seq_close(NULL);
	check(!shmseq_seq_is_unsigned(NULL), "shmseq_seq_is_unsigned(NULL)");

	struct shmseq_def def = {};
	def.set = SHMSEQ_SET_START | SHMSEQ_SET_INCREMENT | SHMSEQ_SET_CYCLE;
	def.start = 1;
	def.increment = 2;
	def.cycle = true;
	check(shmseq_create(NULL, "s", &def, SHMSEQ_OR_REPLACE | SHMSEQ_TEMPORARY) == -EINVAL,
	      "shmseq_create(NULL)");
	struct shmseq_status st = {};
	check(shmseq_status(NULL, &st) == -EINVAL, "shmseq_status(NULL)");

	shmseq_result *res = NULL;
	check(shmseq_exec(NULL, "SELECT 1", &res) < 0, "shmseq_exec(NULL)");
	shmseq_result_free(res);

	char buf[16];
	size_t n = shmseq_connect_explain("no/such instance", -EINVAL, buf, sizeof(buf));
	check(n > 0 && std::strlen(buf) < sizeof(buf), "shmseq_connect_explain truncates");

	if (failures)
		return 1;
	std::printf("shmseq.h compiles and links as C++\n");
	return 0;
}

/* test_wire.c — the protocol's framing checks and validators: nothing the
 * daemon receives is used before these pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static void test_check_frames(void **state)
{
	(void)state;
	char buf[WIRE_MSG_MAX];
	struct wire_hdr h;
	for (uint16_t op = WIRE_HELLO; op < WIRE_OP_MAX; op++) {
		size_t want = wire_payload_size(op, 0);
		assert_true(want != SIZE_MAX);
		wire_hdr_init(&h, op, (uint32_t)want, 1, 0);
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &h, sizeof(h));
		assert_int_equal(wire_check(buf, sizeof(h) + want, 0), 0);
		/* any other length is refused */
		assert_int_equal(wire_check(buf, sizeof(h) + want + 1, 0), -EPROTO);
		if (want)
			assert_int_equal(wire_check(buf, sizeof(h) + want - 1, 0), -EPROTO);
	}
	wire_hdr_init(&h, WIRE_STATUS, 0, 1, 0);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h) - 1, 0), -EPROTO);
	h.magic ^= 1;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 0), -EPROTO);
	wire_hdr_init(&h, WIRE_STATUS, 0, 1, 0);
	h.version = 9;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 0), -EPROTO);
	wire_hdr_init(&h, WIRE_OP_MAX, 0, 1, 0);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 0), -EPROTO);
	wire_hdr_init(&h, 0, 0, 1, 0);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 0), -EPROTO);
	/* an error reply has no payload; a one-way op has no reply */
	wire_hdr_init(&h, WIRE_ROW, 0, 1, -4091);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 1), 0);
	wire_hdr_init(&h, WIRE_NUDGE, 0, 1, 0);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(wire_check(buf, sizeof(h), 1), -EPROTO);
}

static void test_names(void **state)
{
	(void)state;
	struct wire_name n;
	char out[SHMSEQ_NAME_MAX + 1];
	char long_name[SHMSEQ_NAME_MAX + 2];
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	assert_int_equal(wire_name_set(&n, ""), -EINVAL);
	assert_int_equal(wire_name_set(&n, long_name), -EINVAL);
	long_name[SHMSEQ_NAME_MAX] = 0;
	assert_int_equal(wire_name_set(&n, long_name), 0);
	assert_int_equal(wire_name_get(&n, out), 0);
	assert_string_equal(out, long_name);
	assert_int_equal(wire_name_set(&n, "my seq"), 0);
	assert_int_equal(wire_name_get(&n, out), 0);
	assert_string_equal(out, "my seq");
	n.s[2] = 0; /* a NUL inside */
	assert_int_equal(wire_name_get(&n, out), -EINVAL);
	n.len = 0;
	assert_int_equal(wire_name_get(&n, out), -EINVAL);
	n.len = SHMSEQ_NAME_MAX + 1;
	assert_int_equal(wire_name_get(&n, out), -EINVAL);
}

static void test_options_sanitize(void **state)
{
	(void)state;
	struct seq_options *o = calloc(1, sizeof(*o));
	assert_int_equal(wire_options_sanitize(o), 0);
	memset(&o->cycle, 7, 1); /* a bool that is not 0/1, as raw bytes may hold */
	assert_int_equal(wire_options_sanitize(o), -EINVAL);
	memset(o, 0, sizeof(*o));
	o->type = 200;
	assert_int_equal(wire_options_sanitize(o), -EINVAL);
	memset(o, 0, sizeof(*o));
	o->comment_len = SHMSEQ_COMMENT_MAX + 1;
	assert_int_equal(wire_options_sanitize(o), -EINVAL);
	memset(o, 0, sizeof(*o));
	o->given = 1u << 20;
	assert_int_equal(wire_options_sanitize(o), -EINVAL);
	memset(o, 0xff, sizeof(*o)); /* garbage everywhere */
	assert_int_equal(wire_options_sanitize(o), -EINVAL);
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_frames),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_options_sanitize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

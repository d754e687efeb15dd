/* SPDX-License-Identifier: MIT */
/* crc32c.h — CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78),
 * the checksum of the daemon's log and snapshot records.
 *
 * Standard parameters: initial value and final xor 0xFFFFFFFF, handled inside,
 * so the value is chainable: crc32c(crc32c(0, a, n), b, m) == crc32c(0, ab, n+m)
 * and crc32c(0, "123456789", 9) == 0xE3069283. Thread-safe, no allocation.
 */
#ifndef SHMSEQ_CRC32C_H
#define SHMSEQ_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of buf[0..len) continuing from crc (0 to start). Uses the SSE4.2
 * crc32 instruction when the CPU has it, slicing-by-8 tables otherwise. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* The portable table implementation, always available: for tests that
 * compare it with the hardware path. Same contract as crc32c(). */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

#endif

/*
 * sha256.h - SHA-256 (FIPS 180-4), used for the payload hash recorded before a deposit.
 */
#ifndef CHORUSGW_SHA256_H
#define CHORUSGW_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char block[64];
	size_t used;
};

void sha256_init(struct sha256 *);
void sha256_update(struct sha256 *, const void *, size_t);
void sha256_final(struct sha256 *, unsigned char out[32]);
/* sha256_final() written as 64 lowercase hex digits and a NUL. */
void sha256_final_hex(struct sha256 *, char hex[65]);
/* Hash `data` and write 64 lowercase hex digits and a NUL into `hex`. */
void sha256_hex(const void *data, size_t len, char hex[65]);

#endif

#ifndef VIVIDCROWD_VECTOR_KERNELS_H
#define VIVIDCROWD_VECTOR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// out[r] = scales[r] * dot(rows[r * dimension ...], query) for r in 0..<count, with int8 rows and query.
/// Uses AVX2 when the CPU has it (checked at run time), a portable loop otherwise.
void vc_int8_scores(const int8_t *rows, size_t count, size_t dimension, const int8_t *query,
                    const float *scales, float *out);

#endif

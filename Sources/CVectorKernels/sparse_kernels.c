#include "vector_kernels.h"

#include <immintrin.h>

__attribute__((target("avx2")))
static size_t first_at_least_avx2(const float *values, size_t from, size_t count, float floor) {
    const __m256 bound = _mm256_set1_ps(floor);
    size_t i = from;
    for (; i + 16 <= count; i += 16) {
        __m256 low = _mm256_cmp_ps(_mm256_loadu_ps(values + i), bound, _CMP_GE_OQ);
        __m256 high = _mm256_cmp_ps(_mm256_loadu_ps(values + i + 8), bound, _CMP_GE_OQ);
        __m256 either = _mm256_or_ps(low, high);
        if (!_mm256_testz_ps(either, either)) break;
    }
    for (; i < count; i++) {
        if (values[i] >= floor) return i;
    }
    return count;
}

static size_t first_at_least_portable(const float *values, size_t from, size_t count, float floor) {
    for (size_t i = from; i < count; i++) {
        if (values[i] >= floor) return i;
    }
    return count;
}

size_t vc_first_at_least_f32(const float *values, size_t from, size_t count, float floor) {
    if (__builtin_cpu_supports("avx2")) return first_at_least_avx2(values, from, count, floor);
    return first_at_least_portable(values, from, count, floor);
}

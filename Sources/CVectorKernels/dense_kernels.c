#include "vector_kernels.h"
#include <math.h>
#include <string.h>

// ---- Read bandwidth ---------------------------------------------------------------------------------------------

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f")))
static float read_sum_avx512(const float *data, size_t count) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    size_t i = 0;
    for (; i + 128 <= count; i += 128) {
        a0 = _mm512_add_ps(a0, _mm512_loadu_ps(data + i));
        a1 = _mm512_add_ps(a1, _mm512_loadu_ps(data + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_loadu_ps(data + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_loadu_ps(data + i + 48));
        a4 = _mm512_add_ps(a4, _mm512_loadu_ps(data + i + 64));
        a5 = _mm512_add_ps(a5, _mm512_loadu_ps(data + i + 80));
        a6 = _mm512_add_ps(a6, _mm512_loadu_ps(data + i + 96));
        a7 = _mm512_add_ps(a7, _mm512_loadu_ps(data + i + 112));
    }
    __m512 total = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                 _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    float sum = _mm512_reduce_add_ps(total);
    for (; i < count; i++) sum += data[i];
    return sum;
}

__attribute__((target("avx2")))
static float read_sum_avx2(const float *data, size_t count) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    size_t i = 0;
    for (; i + 64 <= count; i += 64) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(data + i));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(data + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(data + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(data + i + 24));
        a4 = _mm256_add_ps(a4, _mm256_loadu_ps(data + i + 32));
        a5 = _mm256_add_ps(a5, _mm256_loadu_ps(data + i + 40));
        a6 = _mm256_add_ps(a6, _mm256_loadu_ps(data + i + 48));
        a7 = _mm256_add_ps(a7, _mm256_loadu_ps(data + i + 56));
    }
    __m256 total = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                                 _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    float lanes[8];
    _mm256_storeu_ps(lanes, total);
    float sum = 0;
    for (int l = 0; l < 8; l++) sum += lanes[l];
    for (; i < count; i++) sum += data[i];
    return sum;
}
#endif

float vc_read_sum_f32(const float *data, size_t count) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) return read_sum_avx512(data, count);
    if (__builtin_cpu_supports("avx2")) return read_sum_avx2(data, count);
#endif
    return vc_read_sum_reference_f32(data, count);
}

float vc_read_sum_reference_f32(const float *data, size_t count) {
    // STREAM's kernels are plain indexed loops left to the compiler; reassociation lets it vectorise this one.
#pragma clang fp reassociate(on)
    float sum = 0;
    for (size_t i = 0; i < count; i++) sum += data[i];
    return sum;
}

// ---- Bounded top-k (ties favour the lower row, as the Swift heap) ------------------------------------------------

typedef struct {
    int64_t *rows;
    float *scores;
    size_t count;
    size_t capacity;
} top_k_heap;

static inline int heap_worse(float score_a, int64_t row_a, float score_b, int64_t row_b) {
    return score_a < score_b || (score_a == score_b && row_a > row_b);
}

static inline float heap_threshold(const top_k_heap *heap) {
    return heap->count < heap->capacity ? -INFINITY : heap->scores[0];
}

static void heap_insert(top_k_heap *heap, int64_t row, float score) {
    if (heap->capacity == 0) return;
    size_t index;
    if (heap->count < heap->capacity) {
        index = heap->count++;
        while (index > 0) {
            size_t parent = (index - 1) / 2;
            if (!heap_worse(score, row, heap->scores[parent], heap->rows[parent])) break;
            heap->scores[index] = heap->scores[parent];
            heap->rows[index] = heap->rows[parent];
            index = parent;
        }
    } else {
        if (!heap_worse(heap->scores[0], heap->rows[0], score, row)) return;
        index = 0;
        for (;;) {
            size_t left = 2 * index + 1, right = left + 1, smallest = index;
            float smallest_score = score;
            int64_t smallest_row = row;
            if (left < heap->count && heap_worse(heap->scores[left], heap->rows[left], smallest_score, smallest_row)) {
                smallest = left;
                smallest_score = heap->scores[left];
                smallest_row = heap->rows[left];
            }
            if (right < heap->count && heap_worse(heap->scores[right], heap->rows[right], smallest_score, smallest_row))
                smallest = right;
            if (smallest == index) break;
            heap->scores[index] = heap->scores[smallest];
            heap->rows[index] = heap->rows[smallest];
            index = smallest;
        }
    }
    heap->scores[index] = score;
    heap->rows[index] = row;
}

/// Sorts the heap's contents best first, in place.
static void heap_sort_best_first(top_k_heap *heap) {
    for (size_t i = 1; i < heap->count; i++) {
        float score = heap->scores[i];
        int64_t row = heap->rows[i];
        size_t j = i;
        while (j > 0 && heap_worse(heap->scores[j - 1], heap->rows[j - 1], score, row)) {
            heap->scores[j] = heap->scores[j - 1];
            heap->rows[j] = heap->rows[j - 1];
            j--;
        }
        heap->scores[j] = score;
        heap->rows[j] = row;
    }
}

// ---- f32 scores with the top-k fused -----------------------------------------------------------------------------

static float dot_portable(const float *row, const float *query, size_t dimension) {
    float sum = 0;
    for (size_t i = 0; i < dimension; i++) sum += row[i] * query[i];
    return sum;
}

#define F32_ROWS_PER_PASS 4

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static size_t f32_top_k_avx512(const float *rows, size_t count, size_t dimension, const float *query, top_k_heap *heap) {
    const size_t full = dimension & ~(size_t)15;
    const __mmask16 tail_mask = (__mmask16)((1u << (dimension - full)) - 1);
    size_t r = 0;
    for (; r + F32_ROWS_PER_PASS <= count; r += F32_ROWS_PER_PASS) {
        const float *row0 = rows + r * dimension, *row1 = row0 + dimension, *row2 = row1 + dimension,
                    *row3 = row2 + dimension;
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        size_t i = 0;
        for (; i < full; i += 16) {
            __m512 q = _mm512_loadu_ps(query + i);
            s0 = _mm512_fmadd_ps(_mm512_loadu_ps(row0 + i), q, s0);
            s1 = _mm512_fmadd_ps(_mm512_loadu_ps(row1 + i), q, s1);
            s2 = _mm512_fmadd_ps(_mm512_loadu_ps(row2 + i), q, s2);
            s3 = _mm512_fmadd_ps(_mm512_loadu_ps(row3 + i), q, s3);
        }
        if (tail_mask) {
            __m512 q = _mm512_maskz_loadu_ps(tail_mask, query + i);
            s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail_mask, row0 + i), q, s0);
            s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail_mask, row1 + i), q, s1);
            s2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail_mask, row2 + i), q, s2);
            s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail_mask, row3 + i), q, s3);
        }
        const float scores[4] = {_mm512_reduce_add_ps(s0), _mm512_reduce_add_ps(s1), _mm512_reduce_add_ps(s2),
                                 _mm512_reduce_add_ps(s3)};
        const float threshold = heap_threshold(heap);
        for (int j = 0; j < 4; j++)
            if (scores[j] >= threshold) heap_insert(heap, (int64_t)(r + j), scores[j]);
    }
    return r;
}

__attribute__((target("avx2,fma")))
static float horizontal_sum_avx2(__m256 v) {
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    return _mm_cvtss_f32(sum);
}

__attribute__((target("avx2,fma")))
static size_t f32_top_k_avx2(const float *rows, size_t count, size_t dimension, const float *query, top_k_heap *heap) {
    const size_t full = dimension & ~(size_t)7;
    size_t r = 0;
    for (; r + F32_ROWS_PER_PASS <= count; r += F32_ROWS_PER_PASS) {
        const float *row0 = rows + r * dimension, *row1 = row0 + dimension, *row2 = row1 + dimension,
                    *row3 = row2 + dimension;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (size_t i = 0; i < full; i += 8) {
            __m256 q = _mm256_loadu_ps(query + i);
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + i), q, s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + i), q, s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + i), q, s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(row3 + i), q, s3);
        }
        float scores[4] = {horizontal_sum_avx2(s0), horizontal_sum_avx2(s1), horizontal_sum_avx2(s2),
                           horizontal_sum_avx2(s3)};
        for (size_t i = full; i < dimension; i++) {
            scores[0] += row0[i] * query[i];
            scores[1] += row1[i] * query[i];
            scores[2] += row2[i] * query[i];
            scores[3] += row3[i] * query[i];
        }
        const float threshold = heap_threshold(heap);
        for (int j = 0; j < 4; j++)
            if (scores[j] >= threshold) heap_insert(heap, (int64_t)(r + j), scores[j]);
    }
    return r;
}
#endif

size_t vc_f32_top_k(const float *rows, size_t count, size_t dimension, const float *query, size_t k,
                    int64_t *out_rows, float *out_scores) {
    top_k_heap heap = {out_rows, out_scores, 0, k};
    size_t r = 0;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) r = f32_top_k_avx512(rows, count, dimension, query, &heap);
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        r = f32_top_k_avx2(rows, count, dimension, query, &heap);
#endif
    for (; r < count; r++) {
        const float score = dot_portable(rows + r * dimension, query, dimension);
        if (score >= heap_threshold(&heap)) heap_insert(&heap, (int64_t)r, score);
    }
    heap_sort_best_first(&heap);
    return heap.count;
}

// ---- int8 scores with the top-k fused ----------------------------------------------------------------------------

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw")))
static size_t int8_top_k_avx512(const int8_t *rows, size_t count, size_t dimension, const int8_t *query,
                                const float *scales, top_k_heap *heap) {
    const size_t full = dimension & ~(size_t)31;
    size_t r = 0;
    for (; r + 4 <= count; r += 4) {
        const int8_t *row0 = rows + r * dimension, *row1 = row0 + dimension, *row2 = row1 + dimension,
                     *row3 = row2 + dimension;
        __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
        size_t i = 0;
        for (; i < full; i += 32) {
            __m512i q = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(query + i)));
            s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(row0 + i))), q));
            s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(row1 + i))), q));
            s2 = _mm512_add_epi32(s2, _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(row2 + i))), q));
            s3 = _mm512_add_epi32(s3, _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(row3 + i))), q));
        }
        int32_t dots[4] = {_mm512_reduce_add_epi32(s0), _mm512_reduce_add_epi32(s1), _mm512_reduce_add_epi32(s2),
                           _mm512_reduce_add_epi32(s3)};
        for (; i < dimension; i++) {
            dots[0] += (int32_t)row0[i] * query[i];
            dots[1] += (int32_t)row1[i] * query[i];
            dots[2] += (int32_t)row2[i] * query[i];
            dots[3] += (int32_t)row3[i] * query[i];
        }
        const float threshold = heap_threshold(heap);
        for (int j = 0; j < 4; j++) {
            const float score = (float)dots[j] * scales[r + j];
            if (score >= threshold) heap_insert(heap, (int64_t)(r + j), score);
        }
    }
    return r;
}
#define INT8_PREFETCH_ROWS 32

/// VNNI multiplies unsigned by signed bytes: rows are read with their sign bit flipped (r + 128, as unsigned), so each
/// dot product carries 128 × Σ query, a per-query constant taken off before scaling.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static size_t int8_top_k_vnni(const int8_t *rows, size_t count, size_t dimension, const int8_t *query,
                              const float *scales, top_k_heap *heap) {
    const size_t full = dimension & ~(size_t)63;
    // A masked load in every step costs twice the time of the whole scan; only the tail is masked.
    const __mmask64 tail_mask = dimension == full ? 0 : (((__mmask64)1 << (dimension - full)) - 1);
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    int32_t query_sum = 0;
    for (size_t i = 0; i < dimension; i++) query_sum += query[i];
    const int32_t bias = 128 * query_sum;
    const __m512i tail_query = _mm512_maskz_loadu_epi8(tail_mask, query + full);
    size_t r = 0;
    for (; r + 4 <= count; r += 4) {
        const int8_t *row0 = rows + r * dimension, *row1 = row0 + dimension, *row2 = row1 + dimension,
                     *row3 = row2 + dimension;
        // Near the end the prefetch re-reads the current rows, so no pointer leaves the matrix.
        const int8_t *ahead = r + INT8_PREFETCH_ROWS + 4 <= count ? row0 + INT8_PREFETCH_ROWS * dimension : row0;
        __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
        for (size_t i = 0; i < full; i += 64) {
            const __m512i q = _mm512_loadu_si512(query + i);
            // The hardware prefetcher alone left this scan at about 1.5× its bound (1.6 ms at 100k × 384 in a C harness here);
            // prefetching 32 rows ahead brought it to 0.9–1.3 ms.
            _mm_prefetch((const char *)(ahead + i), _MM_HINT_T0);
            _mm_prefetch((const char *)(ahead + dimension + i), _MM_HINT_T0);
            _mm_prefetch((const char *)(ahead + 2 * dimension + i), _MM_HINT_T0);
            _mm_prefetch((const char *)(ahead + 3 * dimension + i), _MM_HINT_T0);
            s0 = _mm512_dpbusd_epi32(s0, _mm512_xor_si512(_mm512_loadu_si512(row0 + i), flip), q);
            s1 = _mm512_dpbusd_epi32(s1, _mm512_xor_si512(_mm512_loadu_si512(row1 + i), flip), q);
            s2 = _mm512_dpbusd_epi32(s2, _mm512_xor_si512(_mm512_loadu_si512(row2 + i), flip), q);
            s3 = _mm512_dpbusd_epi32(s3, _mm512_xor_si512(_mm512_loadu_si512(row3 + i), flip), q);
        }
        if (tail_mask) {
            // Masked-off bytes load as zero, flip to 128, and meet a zero query byte: they add nothing.
            s0 = _mm512_dpbusd_epi32(s0, _mm512_xor_si512(_mm512_maskz_loadu_epi8(tail_mask, row0 + full), flip), tail_query);
            s1 = _mm512_dpbusd_epi32(s1, _mm512_xor_si512(_mm512_maskz_loadu_epi8(tail_mask, row1 + full), flip), tail_query);
            s2 = _mm512_dpbusd_epi32(s2, _mm512_xor_si512(_mm512_maskz_loadu_epi8(tail_mask, row2 + full), flip), tail_query);
            s3 = _mm512_dpbusd_epi32(s3, _mm512_xor_si512(_mm512_maskz_loadu_epi8(tail_mask, row3 + full), flip), tail_query);
        }
        const int32_t dots[4] = {_mm512_reduce_add_epi32(s0) - bias, _mm512_reduce_add_epi32(s1) - bias,
                                 _mm512_reduce_add_epi32(s2) - bias, _mm512_reduce_add_epi32(s3) - bias};
        const float threshold = heap_threshold(heap);
        for (int j = 0; j < 4; j++) {
            const float score = (float)dots[j] * scales[r + j];
            if (score >= threshold) heap_insert(heap, (int64_t)(r + j), score);
        }
    }
    return r;
}
#endif

size_t vc_int8_top_k(const int8_t *rows, size_t count, size_t dimension, const int8_t *query, const float *scales,
                     size_t k, int64_t *out_rows, float *out_scores) {
    top_k_heap heap = {out_rows, out_scores, 0, k};
    size_t r = 0;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni"))
        r = int8_top_k_vnni(rows, count, dimension, query, scales, &heap);
    else if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        r = int8_top_k_avx512(rows, count, dimension, query, scales, &heap);
#endif
    float score;
    for (; r < count; r++) {
        vc_int8_scores(rows + r * dimension, 1, dimension, query, scales + r, &score);
        if (score >= heap_threshold(&heap)) heap_insert(&heap, (int64_t)r, score);
    }
    heap_sort_best_first(&heap);
    return heap.count;
}

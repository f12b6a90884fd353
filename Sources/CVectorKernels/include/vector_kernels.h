#ifndef VIVIDCROWD_VECTOR_KERNELS_H
#define VIVIDCROWD_VECTOR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// out[r] = scales[r] * dot(rows[r * dimension ...], query) for r in 0..<count, with int8 rows and query.
/// Uses AVX2 when the CPU has it (checked at run time), a portable loop otherwise.
void vc_int8_scores(const int8_t *rows, size_t count, size_t dimension, const int8_t *query,
                    const float *scales, float *out);

/// The L-BFGS vector steps of the stage detector's fit, in C so that debug builds train as fast as release ones.
/// Sums run in double in index order and products are not fused, so results match the plain loops bit for bit.
double vc_dot_f32(const float *a, const float *b, size_t count);
/// y[i] += alpha * x[i].
void vc_axpy_f32(float *y, float alpha, const float *x, size_t count);
/// x[i] *= alpha.
void vc_scale_f32(float *x, float alpha, size_t count);
/// out[i] = a[i] - b[i].
void vc_subtract_f32(float *out, const float *a, const float *b, size_t count);
/// The largest |x[i]| (0 for an empty array).
double vc_max_abs_f32(const float *x, size_t count);

/// Class-weighted softmax log-loss with an L2 penalty on the weights (not the intercepts) and its gradient, for
/// sparse examples (CSR: example e's features are indices/values[offsets[e] ..< offsets[e + 1]]). Parameters are
/// row-major weights (feature j's at j * classes) then the intercepts; example_weights[e] is the weight of its loss
/// term. Returns the loss; gradient receives dimension * classes + classes values. classes is at most 64.
double vc_softmax_objective(const float *parameters, float *gradient, size_t classes, size_t dimension,
                            size_t examples, const int64_t *offsets, const int32_t *indices, const float *values,
                            const int32_t *labels, const double *example_weights, double penalty);

/// The sum of `count` floats read in order with explicit AVX-512 / AVX2 loads and eight accumulators (checked at run
/// time): timing it over a buffer far beyond the caches gives one thread's sequential read bandwidth.
float vc_read_sum_f32(const float *data, size_t count);
/// The same sum as a plain loop in the style of STREAM's kernels, vectorised by the compiler: the reference that the
/// explicit kernel is checked against in the same run.
float vc_read_sum_reference_f32(const float *data, size_t count);

/// The k rows of `rows` (count × dimension, row-major f32) with the highest dot product with `query`, best first,
/// into out_rows / out_scores (room for k each); ties favour the lower row. Scores several rows per pass with AVX-512
/// or AVX2 + FMA (checked at run time) and keeps the top-k as it goes. Returns min(k, count).
size_t vc_f32_top_k(const float *rows, size_t count, size_t dimension, const float *query, size_t k,
                    int64_t *out_rows, float *out_scores);

/// As vc_f32_top_k for int8 rows with one scale per row (score = scale × integer dot product).
size_t vc_int8_top_k(const int8_t *rows, size_t count, size_t dimension, const int8_t *query, const float *scales,
                     size_t k, int64_t *out_rows, float *out_scores);

/// The first index in from..<count whose value is at least floor (NaN never is), or count: how pruning passes over
/// runs of bounds and scores too low to matter, sixteen at a time with AVX2.
size_t vc_first_at_least_f32(const float *values, size_t from, size_t count, float floor);

#endif

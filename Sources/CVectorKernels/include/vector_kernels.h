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

#endif

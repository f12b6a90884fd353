#include "vector_kernels.h"
#include <math.h>

// Fused multiply-adds would round differently from the Swift loops these replace.
#pragma clang fp contract(off)

double vc_dot_f32(const float *a, const float *b, size_t count) {
    double total = 0;
    for (size_t i = 0; i < count; i++) total += (double)a[i] * (double)b[i];
    return total;
}

void vc_axpy_f32(float *y, float alpha, const float *x, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = y[i] + alpha * x[i];
}

void vc_scale_f32(float *x, float alpha, size_t count) {
    for (size_t i = 0; i < count; i++) x[i] *= alpha;
}

void vc_subtract_f32(float *out, const float *a, const float *b, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = a[i] - b[i];
}

double vc_max_abs_f32(const float *x, size_t count) {
    double top = 0;
    for (size_t i = 0; i < count; i++) {
        double value = fabs((double)x[i]);
        if (value > top) top = value;
    }
    return top;
}

double vc_softmax_objective(const float *parameters, float *gradient, size_t classes, size_t dimension,
                            size_t examples, const int64_t *offsets, const int32_t *indices, const float *values,
                            const int32_t *labels, const double *example_weights, double penalty) {
    if (classes == 0 || classes > 64) return NAN;
    const size_t weight_count = dimension * classes;
    double loss = 0;
    for (size_t i = 0; i < weight_count; i++) {
        double p = (double)parameters[i];
        loss += 0.5 * penalty * p * p;
        gradient[i] = (float)(penalty * p);
    }
    for (size_t k = 0; k < classes; k++) gradient[weight_count + k] = 0;
    double probabilities[64];
    for (size_t e = 0; e < examples; e++) {
        const int64_t start = offsets[e], end = offsets[e + 1];
        for (size_t k = 0; k < classes; k++) probabilities[k] = (double)parameters[weight_count + k];
        for (int64_t f = start; f < end; f++) {
            if (indices[f] < 0 || (size_t)indices[f] >= dimension) continue;
            const float *row = parameters + (size_t)indices[f] * classes;
            for (size_t k = 0; k < classes; k++) probabilities[k] += (double)row[k] * (double)values[f];
        }
        double top = probabilities[0];
        for (size_t k = 1; k < classes; k++) if (probabilities[k] > top) top = probabilities[k];
        double total = 0;
        for (size_t k = 0; k < classes; k++) {
            probabilities[k] = exp(probabilities[k] - top);
            total += probabilities[k];
        }
        for (size_t k = 0; k < classes; k++) probabilities[k] /= total;
        const int32_t label = labels[e];
        const double weight = example_weights[e];
        double chosen = probabilities[label];
        loss -= weight * log(chosen > 1e-300 ? chosen : 1e-300);
        for (size_t k = 0; k < classes; k++) {
            const float residual = (float)(weight * (probabilities[k] - ((int32_t)k == label ? 1.0 : 0.0)));
            gradient[weight_count + k] += residual;
            for (int64_t f = start; f < end; f++) {
                if (indices[f] < 0 || (size_t)indices[f] >= dimension) continue;
                gradient[(size_t)indices[f] * classes + k] += residual * values[f];
            }
        }
    }
    return loss;
}

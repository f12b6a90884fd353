#ifndef VIVIDCROWD_HNSW_SHIM_H
#define VIVIDCROWD_HNSW_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An HNSW graph over inner products (hnswlib, Debian's libhnswlib-dev), behind a C interface: hnswlib reports
/// errors by C++ exceptions, which are caught here and returned as a message.
typedef struct vc_hnsw vc_hnsw;

/// A new empty graph for up to `capacity` vectors; NULL with `error` (room for error_size bytes) filled on failure.
vc_hnsw *vc_hnsw_create(size_t dimension, size_t capacity, size_t m, size_t ef_construction, uint64_t seed,
                        char *error, size_t error_size);
/// Reads a graph saved by vc_hnsw_save; NULL with `error` filled when the file is missing, corrupt or of another
/// dimension.
vc_hnsw *vc_hnsw_load(const char *path, size_t dimension, char *error, size_t error_size);
void vc_hnsw_free(vc_hnsw *index);

/// Adds `count` vectors (row-major, `dimension` floats each) labelled first_label, first_label + 1, …; returns 0,
/// or -1 with `error` filled.
int vc_hnsw_add(vc_hnsw *index, const float *vectors, size_t count, size_t first_label, char *error, size_t error_size);
/// Writes the graph to `path`; returns 0, or -1 with `error` filled.
int vc_hnsw_save(const vc_hnsw *index, const char *path, char *error, size_t error_size);

/// The inner-product kernels the graph's distance can use; the widest the machine runs is chosen at creation.
enum { VC_HNSW_KERNEL_SCALAR = 0, VC_HNSW_KERNEL_AVX2 = 1, VC_HNSW_KERNEL_AVX512 = 2 };
/// The kernel graphs use on this machine.
int vc_hnsw_kernel(void);
/// The inner product of `count` floats by `kernel` into `result`; 0, or -1 when this machine cannot run it.
int vc_hnsw_dot(int kernel, const float *a, const float *b, size_t count, float *result);

/// The size of the candidate list kept while searching (hnswlib's ef); not to be changed while searches run.
void vc_hnsw_set_ef(vc_hnsw *index, size_t ef);
/// The `k` nearest labels to `query` by inner product, best first, with their inner products; returns how many.
size_t vc_hnsw_search(const vc_hnsw *index, const float *query, size_t k, int64_t *labels, float *similarities);
/// Vectors in the graph.
size_t vc_hnsw_count(const vc_hnsw *index);
/// Bytes the graph holds (vectors and links).
size_t vc_hnsw_memory_bytes(const vc_hnsw *index);

#ifdef __cplusplus
}
#endif

#endif

#include "hnsw_shim.h"

#include <hnswlib/hnswlib.h>

#include <immintrin.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <new>

namespace {

float dot_scalar(const float *a, const float *b, size_t count) {
    float sum = 0;
    for (size_t index = 0; index < count; index++) sum += a[index] * b[index];
    return sum;
}

// Four accumulators so that consecutive fused multiply-adds do not wait on each other; hnswlib's own kernels keep
// one (and multiply, then add), and Debian's header enables AVX-512 only when the whole file is built for it.
__attribute__((target("avx2,fma"))) float dot_avx2(const float *a, const float *b, size_t count) {
    __m256 sums[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    size_t index = 0;
    for (; index + 32 <= count; index += 32)
        for (int lane = 0; lane < 4; lane++)
            sums[lane] = _mm256_fmadd_ps(_mm256_loadu_ps(a + index + 8 * lane), _mm256_loadu_ps(b + index + 8 * lane), sums[lane]);
    for (; index + 8 <= count; index += 8)
        sums[0] = _mm256_fmadd_ps(_mm256_loadu_ps(a + index), _mm256_loadu_ps(b + index), sums[0]);
    __m256 total = _mm256_add_ps(_mm256_add_ps(sums[0], sums[1]), _mm256_add_ps(sums[2], sums[3]));
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(total), _mm256_extractf128_ps(total, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    half = _mm_add_ss(half, _mm_movehdup_ps(half));
    return _mm_cvtss_f32(half) + dot_scalar(a + index, b + index, count - index);
}

__attribute__((target("avx512f"))) float dot_avx512(const float *a, const float *b, size_t count) {
    __m512 sums[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    size_t index = 0;
    for (; index + 64 <= count; index += 64)
        for (int lane = 0; lane < 4; lane++)
            sums[lane] = _mm512_fmadd_ps(_mm512_loadu_ps(a + index + 16 * lane), _mm512_loadu_ps(b + index + 16 * lane), sums[lane]);
    for (; index + 16 <= count; index += 16)
        sums[0] = _mm512_fmadd_ps(_mm512_loadu_ps(a + index), _mm512_loadu_ps(b + index), sums[0]);
    if (index < count) {
        const __mmask16 rest = (__mmask16)((1u << (count - index)) - 1);
        sums[1] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(rest, a + index), _mm512_maskz_loadu_ps(rest, b + index), sums[1]);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(sums[0], sums[1]), _mm512_add_ps(sums[2], sums[3])));
}

using Dot = float (*)(const float *, const float *, size_t);

Dot dot_kernel(int kernel) {
    __builtin_cpu_init();
    switch (kernel) {
    case VC_HNSW_KERNEL_AVX512: return __builtin_cpu_supports("avx512f") ? dot_avx512 : nullptr;
    case VC_HNSW_KERNEL_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? dot_avx2 : nullptr;
    case VC_HNSW_KERNEL_SCALAR: return dot_scalar;
    default: return nullptr;
    }
}

int best_kernel() {
    for (int kernel : {VC_HNSW_KERNEL_AVX512, VC_HNSW_KERNEL_AVX2})
        if (dot_kernel(kernel)) return kernel;
    return VC_HNSW_KERNEL_SCALAR;
}

template <Dot dot> float distance(const void *a, const void *b, const void *dimension) {
    return 1.0f - dot((const float *)a, (const float *)b, *(const size_t *)dimension);
}

/// hnswlib's inner-product distance (1 − dot) with the widest kernel this machine runs, chosen once.
class DispatchedInnerProductSpace final : public hnswlib::SpaceInterface<float> {
    size_t dimension;
    hnswlib::DISTFUNC<float> function;

  public:
    explicit DispatchedInnerProductSpace(size_t dimension) : dimension(dimension) {
        switch (best_kernel()) {
        case VC_HNSW_KERNEL_AVX512: function = distance<dot_avx512>; break;
        case VC_HNSW_KERNEL_AVX2: function = distance<dot_avx2>; break;
        default: function = distance<dot_scalar>;
        }
    }
    size_t get_data_size() override { return dimension * sizeof(float); }
    hnswlib::DISTFUNC<float> get_dist_func() override { return function; }
    void *get_dist_func_param() override { return &dimension; }
};

} // namespace

int vc_hnsw_kernel(void) { return best_kernel(); }

int vc_hnsw_dot(int kernel, const float *a, const float *b, size_t count, float *result) {
    Dot dot = dot_kernel(kernel);
    if (!dot) return -1;
    *result = dot(a, b, count);
    return 0;
}

struct vc_hnsw {
    size_t dimension;
    std::unique_ptr<DispatchedInnerProductSpace> space;
    std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
};

static void report(char *error, size_t size, const char *message) {
    if (error && size) std::snprintf(error, size, "%s", message);
}

/// Runs `body`, turning hnswlib's exceptions into a message; false when one was thrown.
template <typename Body> static bool guarded(char *error, size_t size, Body body) {
    try {
        body();
        return true;
    } catch (const std::exception &failure) {
        report(error, size, failure.what());
    } catch (...) {
        report(error, size, "unknown hnswlib error");
    }
    return false;
}

vc_hnsw *vc_hnsw_create(size_t dimension, size_t capacity, size_t m, size_t ef_construction, uint64_t seed,
                        char *error, size_t error_size) {
    std::unique_ptr<vc_hnsw> index;
    bool built = guarded(error, error_size, [&] {
        index = std::make_unique<vc_hnsw>();
        index->dimension = dimension;
        index->space = std::make_unique<DispatchedInnerProductSpace>(dimension);
        index->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(index->space.get(), capacity, m,
                                                                         ef_construction, (size_t)seed);
    });
    return built ? index.release() : nullptr;
}

/// Why a loaded graph cannot be searched safely, or nullptr. hnswlib checks that a file's length matches its
/// header, not what it holds: a damaged header, link or label would send a search outside its arrays.
static const char *damage(const hnswlib::HierarchicalNSW<float> &graph) {
    const size_t count = graph.cur_element_count;
    const size_t links0 = graph.maxM0_ * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint);
    if (graph.offsetLevel0_ != 0 || graph.size_links_level0_ != links0 || graph.offsetData_ != links0 ||
        graph.label_offset_ != links0 + graph.data_size_ ||
        graph.size_data_per_element_ != links0 + graph.data_size_ + sizeof(hnswlib::labeltype))
        return "the saved graph's layout does not match its header";
    if (count > 0 && ((size_t)graph.enterpoint_node_ >= count || graph.maxlevel_ < 0))
        return "the saved graph's entry point is outside it";
    for (size_t node = 0; node < count; node++) {
        if (graph.getExternalLabel((hnswlib::tableint)node) >= count) return "the saved graph has a label outside it";
        const int levels = graph.element_levels_[node];
        if (levels < 0 || levels > graph.maxlevel_) return "the saved graph has a node above its top level";
        for (int level = 0; level <= levels; level++) {
            hnswlib::linklistsizeint *list = graph.get_linklist_at_level((hnswlib::tableint)node, level);
            const size_t size = graph.getListCount(list);
            if (size > (level == 0 ? graph.maxM0_ : graph.maxM_)) return "the saved graph has an overlong link list";
            const hnswlib::tableint *neighbours = (const hnswlib::tableint *)(list + 1);
            for (size_t index = 0; index < size; index++) {
                if (neighbours[index] >= count) return "the saved graph links outside itself";
            }
        }
    }
    return nullptr;
}

vc_hnsw *vc_hnsw_load(const char *path, size_t dimension, char *error, size_t error_size) {
    std::unique_ptr<vc_hnsw> index;
    bool loaded = guarded(error, error_size, [&] {
        index = std::make_unique<vc_hnsw>();
        index->dimension = dimension;
        index->space = std::make_unique<DispatchedInnerProductSpace>(dimension);
        index->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(index->space.get(), std::string(path));
    });
    if (!loaded) return nullptr;
    if (index->graph->data_size_ != dimension * sizeof(float)) {
        report(error, error_size, "the saved graph has another dimension");
        return nullptr;
    }
    if (const char *reason = damage(*index->graph)) {
        report(error, error_size, reason);
        return nullptr;
    }
    return index.release();
}

void vc_hnsw_free(vc_hnsw *index) { delete index; }

int vc_hnsw_add(vc_hnsw *index, const float *vectors, size_t count, size_t first_label, char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        for (size_t row = 0; row < count; row++)
            index->graph->addPoint(vectors + row * index->dimension, first_label + row);
    }) ? 0 : -1;
}

int vc_hnsw_save(const vc_hnsw *index, const char *path, char *error, size_t error_size) {
    return guarded(error, error_size, [&] { index->graph->saveIndex(std::string(path)); }) ? 0 : -1;
}

void vc_hnsw_set_ef(vc_hnsw *index, size_t ef) { index->graph->setEf(ef); }

size_t vc_hnsw_search(const vc_hnsw *index, const float *query, size_t k, int64_t *labels, float *similarities) {
    try {
        auto found = index->graph->searchKnn(query, k);
        // The queue holds the farthest first; hnswlib's inner-product distance is 1 − dot.
        size_t count = found.size();
        for (size_t position = count; position > 0; position--) {
            labels[position - 1] = (int64_t)found.top().second;
            similarities[position - 1] = 1.0f - found.top().first;
            found.pop();
        }
        return count;
    } catch (...) {
        return 0;
    }
}

size_t vc_hnsw_count(const vc_hnsw *index) { return index->graph->cur_element_count; }

size_t vc_hnsw_memory_bytes(const vc_hnsw *index) {
    const auto &graph = *index->graph;
    size_t bytes = graph.max_elements_ * graph.size_data_per_element_;
    for (size_t element = 0; element < graph.cur_element_count; element++)
        if (graph.element_levels_[element] > 0) bytes += graph.size_links_per_element_ * graph.element_levels_[element];
    return bytes + graph.max_elements_ * sizeof(void *);
}

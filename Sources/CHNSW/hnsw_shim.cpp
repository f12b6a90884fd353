#include "hnsw_shim.h"

#include <hnswlib/hnswlib.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <new>

struct vc_hnsw {
    size_t dimension;
    std::unique_ptr<hnswlib::InnerProductSpace> space;
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
        index->space = std::make_unique<hnswlib::InnerProductSpace>(dimension);
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
        index->space = std::make_unique<hnswlib::InnerProductSpace>(dimension);
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

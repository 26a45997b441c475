#ifndef DEFRAGSCOPE_CVULKAN_SHIM_H
#define DEFRAGSCOPE_CVULKAN_SHIM_H
#include <vulkan/vulkan.h>

// VK_MAKE_API_VERSION is a function-like macro, which Swift does not import.
static inline uint32_t defragscope_vk_make_api_version(uint32_t variant, uint32_t major, uint32_t minor, uint32_t patch) {
    return VK_MAKE_API_VERSION(variant, major, minor, patch);
}

#endif

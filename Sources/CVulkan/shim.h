#ifndef DEFRAGSCOPE_CVULKAN_SHIM_H
#define DEFRAGSCOPE_CVULKAN_SHIM_H
#include <vulkan/vulkan.h>
#endif

// The byte loops every allocation's verification runs: filling a pattern, checksumming a range, and both
// at once. They live in C, written over four-word vectors so that they stay fast unoptimised too: verifying
// every live byte after every pass in a debug-built `swift test` (the package sets no optimisation flags).
// And a prefetch hint, which Swift has no spelling for.
#ifndef DEFRAGSCOPE_BYTEKERNELS_H
#define DEFRAGSCOPE_BYTEKERNELS_H
#include <stddef.h>
#include <stdint.h>

/// 64-bit FNV-1a over 8-byte little-endian words, then over the remaining bytes, starting from `seed`.
uint64_t dscope_checksum(const void *bytes, size_t count, uint64_t seed);

/// Fills `count` bytes with the pattern of allocation `id` (SplitMix64 stream per 8-byte word).
void dscope_fill_pattern(void *bytes, size_t count, int64_t id);

/// `dscope_fill_pattern` and then `dscope_checksum` of the bytes written, in one pass over them: the
/// pattern goes straight to its destination and is hashed while still in registers.
uint64_t dscope_fill_pattern_checksum(void *bytes, size_t count, int64_t id, uint64_t seed);

/// Asks the processor to bring the cache line at `address` in before it is written: the pool hints the
/// slots of the moves a pass completes next, which are spread over its table.
static inline void dscope_prefetch_for_write(const void *address) { __builtin_prefetch(address, 1, 3); }

#endif

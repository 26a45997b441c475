// The two byte loops every allocation's verification runs: filling a pattern and checksumming a range.
// They live in C, written over four-word vectors so that they stay fast unoptimised too: verifying every
// live byte after every pass in a debug-built `swift test` (the package sets no optimisation flags).
#ifndef DEFRAGSCOPE_BYTEKERNELS_H
#define DEFRAGSCOPE_BYTEKERNELS_H
#include <stddef.h>
#include <stdint.h>

/// 64-bit FNV-1a over 8-byte little-endian words, then over the remaining bytes, starting from `seed`.
uint64_t dscope_checksum(const void *bytes, size_t count, uint64_t seed);

/// Fills `count` bytes with the pattern of allocation `id` (SplitMix64 stream per 8-byte word).
void dscope_fill_pattern(void *bytes, size_t count, int64_t id);

#endif

#pragma once

// One fuzz harness = one `SOPHIA_FUZZ_TARGET(NAME) { ... }` in its own file.
// With SOPHIA_LIBFUZZER (the clang build of `tools/sophia fuzz`) it is
// libFuzzer's entry point; otherwise it is `sophia_fuzz_NAME`, which
// replay_main.cpp runs over the checked-in corpus and the regression inputs
// in every test run (`fuzz_replay`), so a crash once found stays fixed.
// A harness returns 0; it aborts (or a sanitizer does) on a bug.

#include <cstddef>
#include <cstdint>
#include <cstdio>

#ifdef SOPHIA_LIBFUZZER
#define SOPHIA_FUZZ_TARGET(name)                                               \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#else
#define SOPHIA_FUZZ_TARGET(name)                                               \
  int sophia_fuzz_##name(const uint8_t* data, size_t size)
#endif

/// Fails the run: an invariant a harness checks does not hold.
#define SOPHIA_FUZZ_CHECK(cond)                                                \
  do {                                                                         \
    if (!(cond)) {                                                             \
      __builtin_fprintf(                                                       \
        stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      __builtin_abort();                                                       \
    }                                                                          \
  } while (false)

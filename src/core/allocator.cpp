#include "core/allocator.h"

#include <cstdlib>  // defines __GLIBC__ on glibc
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace relance {

void KeepFreedMemoryForReuse() {
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  constexpr int kMiB = 1024 * 1024;
  mallopt(M_TRIM_THRESHOLD, 128 * kMiB);
  mallopt(M_TOP_PAD, 16 * kMiB);
  mallopt(M_MMAP_THRESHOLD, 32 * kMiB);
#endif
}

}  // namespace relance

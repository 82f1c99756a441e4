// KeepFreedMemoryForReuse (core/allocator.h): a block of a few MiB comes
// from the heap, not a mapping of its own, and freeing it leaves the heap
// its size, ready for the next one, instead of returning it to the kernel.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "core/allocator.h"

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#include <malloc.h>

namespace relance {
namespace {

TEST(Allocator, FreedBlocksStayInTheHeapForTheNextOne) {
  KeepFreedMemoryForReuse();
  constexpr size_t kBlock = 8 * 1024 * 1024;
  const struct mallinfo2 before = mallinfo2();
  void* block = std::malloc(kBlock);
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kBlock);  // used, so the compiler keeps it
  const struct mallinfo2 during = mallinfo2();
  // Not mapped on its own (glibc's default would map a block this size).
  EXPECT_EQ(during.hblkhd, before.hblkhd);
  EXPECT_GE(during.arena, before.arena + kBlock);
  std::free(block);
  const struct mallinfo2 after = mallinfo2();
  // Still the heap's: not trimmed back (the default trims past 128 KiB).
  EXPECT_GE(after.arena, before.arena + kBlock);
  EXPECT_GE(after.fordblks, kBlock);
}

}  // namespace
}  // namespace relance
#else
TEST(Allocator, NotGlibcMalloc) { GTEST_SKIP() << "the allocator is not glibc's here"; }
#endif

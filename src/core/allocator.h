// How the process's allocator (glibc malloc) gives memory back to the
// system. Called once, first thing, by the programs that run the server's
// work (relance, and the benchmarks that time that work in-process).
#pragma once

namespace relance {

// By default glibc returns the top of its heap to the kernel as soon as
// 128 KiB of it are free, and serves every block over a threshold that
// adapts between 128 KiB and 32 MiB with a fresh mmap. A sync page or an
// import batch frees megabytes, then allocates them again a moment later:
// each time the kernel hands out zeroed pages anew, one page fault per 4 KiB.
// A backfill spent about a tenth of its CPU in those faults. Here the heap
// keeps up to 128 MiB of free top, grows 16 MiB at a time, and only blocks
// of 32 MiB or more are mapped on their own. Memory in use is unchanged;
// what a peak used stays mapped for the next one. No-op where the
// allocator is not glibc's (sanitizer builds).
void KeepFreedMemoryForReuse();

}  // namespace relance

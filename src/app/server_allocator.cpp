// jemalloc's options for the programs linked with it
// (relance_use_server_allocator, CMakeLists.txt); jemalloc reads this symbol
// when it starts, before main. Pages freed stay the process's for 30 s
// before they are returned to the kernel (the default is 10 s, then at
// once for the "muzzy" ones): a sync or an import frees and takes again
// megabytes from one page to the next, and each page handed back and asked
// for again was a page fault; memory is still returned once the work stops.
// MALLOC_CONF in the environment adds to these or overrides them.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "dirty_decay_ms:30000,muzzy_decay_ms:30000";
}

// LeakSanitizer suppressions for the test executables that render letters.
// Fontconfig and pango keep process-lifetime caches (the font map, matched
// patterns) that they never free at exit; LSan reports them as leaks in
// every program using pango. Only those libraries' allocations are ignored,
// so a leak in our own code still fails the test.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libfontconfig.so\n"
         "leak:libpangoft2-1.0.so\n"
         "leak:libpangocairo-1.0.so\n";
}

// Without this LSan lists the suppressed caches after every run.
extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }

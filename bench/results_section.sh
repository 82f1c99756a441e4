# shellcheck shell=bash
# Shared by the benchmark scripts (bench/run.sh, bench/import.sh), sourced.
# bench/RESULTS.md holds one section per script, between
# `<!-- begin:NAME -->` and `<!-- end:NAME -->`; each script rewrites only its
# own, so running one benchmark keeps the other's figures and any text
# written by hand outside the sections.

# results_write_section FILE NAME CONTENT: puts the text of the file CONTENT
# between the markers of section NAME in FILE, in place of what was there;
# appends the section when FILE has none, and creates FILE when absent.
results_write_section() {
  local file=$1 name=$2 content=$3
  [ -f "$file" ] || printf '# Benchmark results\n' >"$file"
  if ! awk -v begin="<!-- begin:$name -->" -v end="<!-- end:$name -->" -v content="$content" '
    function emit(line) {
      print begin
      while ((getline line < content) > 0) print line
      close(content)
      print end
      written = 1
    }
    $0 == begin { emit(); inside = 1; next }
    inside { if ($0 == end) inside = 0; next }
    { print }
    END {
      if (inside) exit 3  # no end marker: refuse rather than drop the rest of the file
      if (!written) { print ""; emit() }
    }' "$file" >"$file.new"; then
    rm -f "$file.new"
    echo "results_write_section: $file has <!-- begin:$name --> without <!-- end:$name -->" >&2
    return 1
  fi
  mv "$file.new" "$file"
}

# The machine, for the sections' context line: CPUs, RAM, kernel.
results_machine() {
  local cpu mem
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  echo "$(nproc) CPU ($cpu), $mem RAM, $(uname -sr)"
}

# The commit measured, short, with a mark when the tree has local changes.
results_commit() {
  local root=$1 commit
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")
  if ! git -C "$root" diff --quiet HEAD 2>/dev/null; then commit="$commit (with uncommitted changes)"; fi
  echo "$commit"
}

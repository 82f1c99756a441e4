// A strict reader of mustache tags, used to check a template before mstch
// renders it: mstch itself prints an unclosed tag as text and drops an
// unclosed section silently, which a user editing a template must not get.
// Supports variables {{x}}, {{{x}}}, {{&x}}, sections {{#x}}, {{^x}},
// {{/x}} and comments {{! }}; partials and delimiter changes are refused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace relance::delivery {

struct MustacheTag {
  enum class Kind { kVariable, kSectionOpen, kInvertedOpen, kSectionClose };
  Kind kind;
  std::string name;  // trimmed: "customer.name"
  int line;          // 1-based line of the opening "{{"
};

// All tags but comments, in order. Fails (kInvalidArgument, field `where`)
// on an unclosed tag, an empty name, a partial or delimiter tag, a section
// closed by another name or never closed, a close without an open. `where`
// names the part in messages ("body", "subject").
Result<std::vector<MustacheTag>> ScanMustache(std::string_view text, std::string_view where);

}  // namespace relance::delivery

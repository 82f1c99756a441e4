#include "imports/readers/cell_format.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace relance::imports {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Howard Hinnant's civil_from_days: days since 1970-01-01 -> y/m/d.
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

void Append2(unsigned v, std::string* out) {
  out->push_back(static_cast<char>('0' + (v / 10) % 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

void AppendTime(int64_t seconds, std::string* out) {
  Append2(static_cast<unsigned>(seconds / 3600), out);
  out->push_back(':');
  Append2(static_cast<unsigned>((seconds / 60) % 60), out);
  out->push_back(':');
  Append2(static_cast<unsigned>(seconds % 60), out);
}

bool AppendDate(int64_t serial_days, bool date1904, std::string* out) {
  int64_t y;
  unsigned m, d;
  if (date1904) {
    CivilFromDays(serial_days + (-24107), &y, &m, &d);  // 1904-01-01 is day -24107
  } else {
    if (serial_days < 1) return false;
    if (serial_days == 60) {  // Lotus 1-2-3's 1900-02-29, kept by Excel
      out->append("1900-02-29");
      return true;
    }
    // Day 1 is 1900-01-01; after the fake 29 February, day 61 is 1 March.
    int64_t days = serial_days < 60 ? serial_days - 25568 : serial_days - 25569;
    CivilFromDays(days, &y, &m, &d);
  }
  if (y < 1900 || y > 9999) return false;
  char buf[8];
  auto r = std::to_chars(buf, buf + sizeof buf, y);
  out->append(buf, r.ptr);
  out->push_back('-');
  Append2(m, out);
  out->push_back('-');
  Append2(d, out);
  return true;
}

// Classifies a format code (first section).
NumberFormat ClassifyCode(std::string_view code) {
  NumberFormat f;
  // The first section (positive numbers) decides.
  bool has_y = false, has_d = false, has_m = false, has_h = false, has_s = false;
  bool elapsed = false, digits_only = true;
  int zeros = 0;
  size_t i = 0;
  if (code.size() >= 7) {
    std::string head;
    for (char c : code.substr(0, 7)) head.push_back(Lower(c));
    if (head == "general") return f;
  }
  for (; i < code.size(); ++i) {
    char c = code[i];
    if (c == ';') break;
    if (c == '"') {
      digits_only = false;
      size_t close = code.find('"', i + 1);
      if (close == std::string_view::npos) break;
      i = close;
      continue;
    }
    if (c == '\\' || c == '_' || c == '*') {  // escaped char, padding, fill
      digits_only = false;
      ++i;
      continue;
    }
    if (c == '[') {
      size_t close = code.find(']', i + 1);
      if (close == std::string_view::npos) break;
      std::string_view inside = code.substr(i + 1, close - i - 1);
      if (!inside.empty()) {
        char k = Lower(inside[0]);
        bool all_same = true;
        for (char x : inside) all_same = all_same && Lower(x) == k;
        if (all_same && (k == 'h' || k == 'm' || k == 's')) elapsed = true;
      }
      digits_only = false;
      i = close;
      continue;
    }
    char l = Lower(c);
    if (l == '0') {
      ++zeros;
      continue;
    }
    digits_only = false;
    switch (l) {
      case 'y':
      case 'e':  // era year in some locales ("e" alone never appears in numbers
                 // except as the exponent "E+", which is followed by + or -)
        if (l == 'e' && i + 1 < code.size() && (code[i + 1] == '+' || code[i + 1] == '-')) break;
        has_y = true;
        break;
      case 'd':
        has_d = true;
        break;
      case 'm':
        has_m = true;
        break;
      case 'h':
        has_h = true;
        break;
      case 's':
        has_s = true;
        break;
      default:
        break;
    }
  }
  if (digits_only && zeros >= 2) {
    f.kind = NumberKind::kZeroPadded;
    f.width = zeros;
    return f;
  }
  const bool time = has_h || has_s || elapsed;
  const bool date = has_y || has_d || (has_m && !has_h && !has_s);
  if (elapsed && !date) {
    f.kind = NumberKind::kElapsed;
  } else if (date && time) {
    f.kind = NumberKind::kDateTime;
  } else if (date) {
    f.kind = NumberKind::kDate;
  } else if (time) {
    f.kind = NumberKind::kTime;
  }
  return f;
}

}  // namespace

NumberFormat ClassifyNumberFormat(int id, std::string_view code) {
  if (!code.empty()) return ClassifyCode(code);
  NumberFormat f;
  if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) || (id >= 34 && id <= 36) ||
      (id >= 50 && id <= 58)) {
    f.kind = NumberKind::kDate;
  } else if ((id >= 18 && id <= 21) || id == 32 || id == 33 || id == 45 || id == 47) {
    f.kind = NumberKind::kTime;
  } else if (id == 22) {
    f.kind = NumberKind::kDateTime;
  } else if (id == 46) {
    f.kind = NumberKind::kElapsed;
  }
  return f;
}

void AppendGeneralNumber(double value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("#NUM!");
    return;
  }
  if (value == 0) {
    out->push_back('0');
    return;
  }
  char buf[64];
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(value));
    out->append(buf, r.ptr);
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  size_t epos = s.find('e');
  size_t digits = 0;
  for (size_t i = 0; i < epos; ++i) digits += (s[i] >= '0' && s[i] <= '9');
  if (digits > 15) {  // Excel keeps 15 significant digits
    r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific, 14);
    s = std::string_view(buf, static_cast<size_t>(r.ptr - buf));
    epos = s.find('e');
  }
  bool negative = s[0] == '-';
  std::string mant;
  for (size_t i = negative ? 1 : 0; i < epos; ++i) {
    if (s[i] != '.') mant.push_back(s[i]);
  }
  while (mant.size() > 1 && mant.back() == '0') mant.pop_back();
  int exp = 0;
  std::from_chars(s.data() + epos + 1 + (s[epos + 1] == '+'), s.data() + s.size(), exp);
  if (negative) out->push_back('-');
  if (exp >= -9 && exp < 15) {
    if (exp >= 0) {
      size_t int_digits = static_cast<size_t>(exp) + 1;
      if (mant.size() <= int_digits) {
        out->append(mant);
        out->append(int_digits - mant.size(), '0');
      } else {
        out->append(mant, 0, int_digits);
        out->push_back('.');
        out->append(mant, int_digits, std::string::npos);
      }
    } else {
      out->append("0.");
      out->append(static_cast<size_t>(-exp - 1), '0');
      out->append(mant);
    }
    return;
  }
  out->push_back(mant[0]);
  if (mant.size() > 1) {
    out->push_back('.');
    out->append(mant, 1, std::string::npos);
  }
  out->push_back('E');
  out->push_back(exp < 0 ? '-' : '+');
  int a = exp < 0 ? -exp : exp;
  if (a < 10) out->push_back('0');
  out->append(std::to_string(a));
}

bool IsGeneralText(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  size_t int_start = i;
  while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
  size_t int_digits = i - int_start;
  if (int_digits == 0 || (int_digits > 1 && s[int_start] == '0')) return false;
  size_t digits = int_digits;
  if (i < n) {
    if (s[i] != '.') return false;
    size_t frac_start = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i != n || i == frac_start || s[n - 1] == '0') return false;
    digits += i - frac_start;
    if (int_digits == 1 && s[int_start] == '0') {  // 0.000123: leading zeros do not count
      size_t k = frac_start;
      while (k < n && s[k] == '0') ++k;
      if (k - frac_start > 8) return false;  // General would use an exponent
      digits = n - k;
    }
  }
  if (digits > 15) return false;
  if (s == "-0") return false;
  return true;
}

void AppendNumber(double value, NumberFormat format, bool date1904, std::string* out) {
  switch (format.kind) {
    case NumberKind::kGeneral:
      break;
    case NumberKind::kZeroPadded:
      if (value >= 0 && value < 1e15 && value == std::trunc(value)) {
        std::string digits = std::to_string(static_cast<int64_t>(value));
        if (digits.size() < static_cast<size_t>(format.width)) {
          out->append(static_cast<size_t>(format.width) - digits.size(), '0');
        }
        out->append(digits);
        return;
      }
      break;
    case NumberKind::kDate:
    case NumberKind::kTime:
    case NumberKind::kDateTime:
    case NumberKind::kElapsed: {
      if (!std::isfinite(value) || std::fabs(value) > 2958466.0) break;
      const int64_t total = std::llround(value * 86400.0);
      if (format.kind == NumberKind::kElapsed) {
        int64_t t = total < 0 ? -total : total;
        if (total < 0) out->push_back('-');
        out->append(std::to_string(t / 3600));
        out->push_back(':');
        Append2(static_cast<unsigned>((t / 60) % 60), out);
        out->push_back(':');
        Append2(static_cast<unsigned>(t % 60), out);
        return;
      }
      if (total < 0) break;
      const int64_t days = total / 86400;
      const int64_t secs = total % 86400;
      if (format.kind == NumberKind::kTime) {
        AppendTime(secs, out);
        return;
      }
      if (days == 0 && !date1904) {  // a time stored in a date format
        if (format.kind == NumberKind::kDateTime) {
          AppendTime(secs, out);
          return;
        }
        break;
      }
      size_t mark = out->size();
      if (!AppendDate(days, date1904, out)) {
        out->resize(mark);
        break;
      }
      // A date format showing a value that also has a time of day: keep the
      // time rather than lose it silently.
      if (format.kind == NumberKind::kDateTime || secs != 0) {
        out->push_back('T');
        AppendTime(secs, out);
      }
      return;
    }
  }
  AppendGeneralNumber(value, out);
}

void AppendIsoDateCell(std::string_view text, NumberFormat format, std::string* out) {
  // Drop fractional seconds and a zone designator; keep what is left.
  size_t t = text.find('T');
  std::string_view date = t == std::string_view::npos
                              ? (text.find(':') == std::string_view::npos ? text : "")
                              : text.substr(0, t);
  std::string_view time =
      t == std::string_view::npos ? (date.empty() ? text : "") : text.substr(t + 1);
  size_t cut = time.find_first_of(".Z+");
  if (cut != std::string_view::npos) time = time.substr(0, cut);
  if (!date.empty() && format.kind == NumberKind::kDate) time = "";
  if (!date.empty() && time == "00:00:00" && format.kind != NumberKind::kDateTime) time = "";
  out->append(date);
  if (!date.empty() && !time.empty()) out->push_back('T');
  out->append(time);
}

void UnescapeOoxml(std::string* text) {
  size_t pos = text->find("_x");
  if (pos == std::string::npos) return;
  std::string out;
  out.reserve(text->size());
  size_t i = 0;
  const std::string& s = *text;
  while (i < s.size()) {
    if (s[i] == '_' && i + 6 < s.size() && s[i + 1] == 'x' && s[i + 6] == '_') {
      unsigned cp = 0;
      auto r = std::from_chars(s.data() + i + 2, s.data() + i + 6, cp, 16);
      if (r.ec == std::errc() && r.ptr == s.data() + i + 6) {
        char buf[4];
        size_t n;
        if (cp < 0x80) {
          buf[0] = static_cast<char>(cp);
          n = 1;
        } else if (cp < 0x800) {
          buf[0] = static_cast<char>(0xC0 | (cp >> 6));
          buf[1] = static_cast<char>(0x80 | (cp & 0x3F));
          n = 2;
        } else {
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
          buf[0] = static_cast<char>(0xE0 | (cp >> 12));
          buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
          buf[2] = static_cast<char>(0x80 | (cp & 0x3F));
          n = 3;
        }
        out.append(buf, n);
        i += 7;
        continue;
      }
    }
    out.push_back(s[i++]);
  }
  text->swap(out);
}

double RkToDouble(uint32_t rk) {
  double v;
  if (rk & 2) {
    v = static_cast<double>(static_cast<int32_t>(rk) >> 2);
  } else {
    uint64_t bits = static_cast<uint64_t>(rk & 0xFFFFFFFCu) << 32;
    std::memcpy(&v, &bits, sizeof v);
  }
  if (rk & 1) v /= 100;
  return v;
}

std::string_view BiffErrorText(uint8_t code) {
  switch (code) {
    case 0x00:
      return "#NULL!";
    case 0x07:
      return "#DIV/0!";
    case 0x0F:
      return "#VALUE!";
    case 0x17:
      return "#REF!";
    case 0x1D:
      return "#NAME?";
    case 0x24:
      return "#NUM!";
    case 0x2A:
      return "#N/A";
    case 0x2B:
      return "#GETTING_DATA";
    default:
      return "#ERR";
  }
}

}  // namespace relance::imports

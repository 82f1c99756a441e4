#include "core/date.h"

#include <date/date.h>
#include <date/tz.h>

#include <charconv>
#include <cstdio>

namespace relance {
namespace {

bool ParseDigits(std::string_view s, int& out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{};
}

date::year_month_day Ymd(int32_t days) {
  return date::year_month_day{date::sys_days{date::days{days}}};
}

const date::time_zone* FindZone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

Result<Date> Date::FromYmd(int year, int month, int day) {
  if (year < 1 || year > 9999) return InvalidArgument("year out of range: " + std::to_string(year));
  date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                           date::day{static_cast<unsigned>(day)}};
  if (month < 1 || month > 12 || day < 1 || !ymd.ok()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
    return InvalidArgument(std::string("date does not exist: ") + buf);
  }
  return FromDays(date::sys_days{ymd}.time_since_epoch().count());
}

Result<Date> Date::Parse(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !ParseDigits(text.substr(0, 4), y) ||
      !ParseDigits(text.substr(5, 2), m) || !ParseDigits(text.substr(8, 2), d)) {
    return InvalidArgument("not a date (expected YYYY-MM-DD): \"" + std::string(text) + "\"");
  }
  return FromYmd(y, m, d);
}

int Date::year() const { return static_cast<int>(Ymd(days_).year()); }
int Date::month() const { return static_cast<int>(static_cast<unsigned>(Ymd(days_).month())); }
int Date::day() const { return static_cast<int>(static_cast<unsigned>(Ymd(days_).day())); }

int Date::iso_weekday() const {
  return static_cast<int>(date::weekday{date::sys_days{date::days{days_}}}.iso_encoding()) - 1;
}

// Digits written by hand: every stored date, JSON field and change-log entry
// goes through here, and snprintf's format parsing was most of its cost.
std::string Date::ToString() const {
  const auto ymd = Ymd(days_);
  const int y = static_cast<int>(ymd.year());
  const auto m = static_cast<unsigned>(ymd.month());
  const auto d = static_cast<unsigned>(ymd.day());
  if (y < 0 || y > 9999) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
    return buf;
  }
  const auto digit = [](unsigned v) { return static_cast<char>('0' + v % 10); };
  const auto uy = static_cast<unsigned>(y);
  return std::string{digit(uy / 1000), digit(uy / 100), digit(uy / 10), digit(uy), '-',
                     digit(m / 10),    digit(m),        '-',            digit(d / 10), digit(d)};
}

std::string FormatTimestamp(Timestamp t) {
  auto day = date::floor<date::days>(t);
  date::hh_mm_ss<std::chrono::microseconds> tod{t - day};
  Date d = Date::FromDays(day.time_since_epoch().count());
  char buf[40];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d.%06dZ", d.ToString().c_str(),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()),
                static_cast<int>(tod.subseconds().count()));
  return buf;
}

Result<Timestamp> ParseTimestamp(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("not a timestamp (expected RFC 3339, e.g. 2026-01-31T09:00:00Z): \"" +
                           std::string(text) + "\"");
  };
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) return bad();
  auto day = Date::Parse(text.substr(0, 10));
  if (!day.ok()) return bad();
  int hh = 0, mm = 0, ss = 0;
  if (text[13] != ':' || text[16] != ':' || !ParseDigits(text.substr(11, 2), hh) ||
      !ParseDigits(text.substr(14, 2), mm) || !ParseDigits(text.substr(17, 2), ss) || hh > 23 ||
      mm > 59 || ss > 59) {
    return bad();
  }
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  int64_t offset_minutes = 0;
  if (pos >= text.size()) return bad();
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh = 0, om = 0;
    if (pos + 6 != text.size() || text[pos + 3] != ':' || !ParseDigits(text.substr(pos + 1, 2), oh) ||
        !ParseDigits(text.substr(pos + 4, 2), om) || oh > 23 || om > 59) {
      return bad();
    }
    offset_minutes = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  using namespace std::chrono;
  auto t = sys_days{days{day->days_since_epoch()}} + hours{hh} + minutes{mm} + seconds{ss} +
           microseconds{micros} - minutes{offset_minutes};
  return Timestamp{duration_cast<microseconds>(t.time_since_epoch())};
}

Result<void> ValidateTimeZone(std::string_view tz_name) {
  if (FindZone(tz_name) == nullptr) {
    return InvalidArgument("unknown time zone: \"" + std::string(tz_name) +
                           "\" (expected an IANA name such as Europe/Paris)");
  }
  return Ok();
}

Result<Date> TodayIn(std::string_view tz_name, Timestamp now) {
  const date::time_zone* zone = FindZone(tz_name);
  if (zone == nullptr) return InvalidArgument("unknown time zone: " + std::string(tz_name));
  auto local = zone->to_local(now);
  auto day = date::floor<date::days>(local);
  return Date::FromDays(day.time_since_epoch().count());
}

Result<Timestamp> LocalHourToInstant(std::string_view tz_name, Date day, int hour) {
  const date::time_zone* zone = FindZone(tz_name);
  if (zone == nullptr) return InvalidArgument("unknown time zone: " + std::string(tz_name));
  using namespace std::chrono;
  date::local_time<microseconds> local{
      duration_cast<microseconds>(days{day.days_since_epoch()} + hours{hour})};
  auto info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) {
    // Spring-forward gap: the hour does not exist; take the instant the gap ends.
    return Timestamp{duration_cast<microseconds>(info.second.begin.time_since_epoch())};
  }
  // Unique or ambiguous: the first offset gives the earliest instant.
  return Timestamp{local.time_since_epoch() - duration_cast<microseconds>(info.first.offset)};
}

}  // namespace relance

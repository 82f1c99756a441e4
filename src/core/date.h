// Calendar dates and instants. A Date is a day in the proleptic Gregorian
// calendar with no time zone; a Timestamp is an instant in UTC. "Today" is
// always asked for in an organization's time zone (TodayIn).
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace relance {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

class Date {
 public:
  Date() = default;
  // Rejects days that do not exist (2025-02-29, 2026-13-01).
  static Result<Date> FromYmd(int year, int month, int day);
  // Strict "YYYY-MM-DD".
  static Result<Date> Parse(std::string_view text);
  static Date FromDays(int32_t days_since_epoch) { Date d; d.days_ = days_since_epoch; return d; }

  int32_t days_since_epoch() const { return days_; }
  int year() const;
  int month() const;
  int day() const;
  // 0 = Monday ... 6 = Sunday (ISO order).
  int iso_weekday() const;
  bool IsWeekend() const { return iso_weekday() >= 5; }

  Date AddDays(int64_t n) const { return FromDays(static_cast<int32_t>(days_ + n)); }
  int64_t DaysUntil(Date later) const { return int64_t{later.days_} - days_; }
  std::string ToString() const;

  auto operator<=>(const Date&) const = default;

 private:
  int32_t days_ = 0;
};

// "2026-11-22T13:31:44.123456Z"; fixed width so text order is time order.
std::string FormatTimestamp(Timestamp t);
// Accepts RFC 3339 with 'Z' or an offset, with or without fractional seconds.
Result<Timestamp> ParseTimestamp(std::string_view text);

// Checks an IANA time-zone name ("Europe/Paris").
Result<void> ValidateTimeZone(std::string_view tz_name);
// The calendar date of `now` in the given zone. The zone must be valid.
Result<Date> TodayIn(std::string_view tz_name, Timestamp now);
// The instant at which the local time `hour`:00 on `day` occurs in the zone
// (the earliest one in a DST overlap; the first valid minute in a gap).
Result<Timestamp> LocalHourToInstant(std::string_view tz_name, Date day, int hour);

}  // namespace relance

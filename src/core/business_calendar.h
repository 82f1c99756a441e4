// Business days and send instants (R-SEND-6, R-DUN-4): automatic sends go out
// at the organization's send hour, in its time zone, Monday to Friday, and
// not on the public holidays of its calendar when it has one.
//
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "core/date.h"
#include "core/result.h"

namespace relance {

// `holiday_calendar`: "" (weekends only) or "FR" (the eleven French public
// holidays, Easter Monday, Ascension and Whit Monday computed per year).
bool IsPublicHoliday(Date day, std::string_view holiday_calendar);
bool IsBusinessDay(Date day, std::string_view holiday_calendar);
// `day` itself when it is a business day, else the next one.
Date NextBusinessDay(Date day, std::string_view holiday_calendar);
// Easter Sunday of `year` in the Gregorian calendar (anonymous algorithm).
Date EasterSunday(int year);

struct SendSchedule {
  std::string_view time_zone;  // IANA
  int send_hour = 9;
  std::string_view holiday_calendar;
};

// The first send instant on or after the business day that `day` rolls to:
// `send_hour`:00 local time on NextBusinessDay(day).
Result<Timestamp> SendInstantOn(const SendSchedule& s, Date day);

}  // namespace relance

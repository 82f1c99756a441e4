#include "core/business_calendar.h"

namespace relance {

Date EasterSunday(int year) {
  // Meeus/Jones/Butcher: valid for every Gregorian year.
  const int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
  const int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31, day = ((h + l - 7 * m + 114) % 31) + 1;
  return Date::FromYmd(year, month, day).value();
}

bool IsPublicHoliday(Date day, std::string_view holiday_calendar) {
  if (holiday_calendar != "FR") return false;
  const int m = day.month(), d = day.day();
  // Jour de l'an, fête du Travail, Victoire 1945, fête nationale,
  // Assomption, Toussaint, Armistice, Noël.
  if ((m == 1 && d == 1) || (m == 5 && d == 1) || (m == 5 && d == 8) || (m == 7 && d == 14) ||
      (m == 8 && d == 15) || (m == 11 && d == 1) || (m == 11 && d == 11) || (m == 12 && d == 25)) {
    return true;
  }
  const Date easter = EasterSunday(day.year());
  // Lundi de Pâques, Ascension, lundi de Pentecôte.
  return day == easter.AddDays(1) || day == easter.AddDays(39) || day == easter.AddDays(50);
}

bool IsBusinessDay(Date day, std::string_view holiday_calendar) {
  return !day.IsWeekend() && !IsPublicHoliday(day, holiday_calendar);
}

Date NextBusinessDay(Date day, std::string_view holiday_calendar) {
  // At most a weekend plus a holiday or two in a row: bounded.
  while (!IsBusinessDay(day, holiday_calendar)) day = day.AddDays(1);
  return day;
}

Result<Timestamp> SendInstantOn(const SendSchedule& s, Date day) {
  return LocalHourToInstant(s.time_zone, NextBusinessDay(day, s.holiday_calendar), s.send_hour);
}

}  // namespace relance

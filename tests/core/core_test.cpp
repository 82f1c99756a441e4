// Money, dates and ids: the vocabulary every rule is written in.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <vector>

#include "core/date.h"
#include "core/ids.h"
#include "core/money.h"

namespace relance {
namespace {

Currency Eur() { return *Currency::Parse("EUR"); }

TEST(Money, DecimalStringsConvertExactlyToMinorUnits) {
  EXPECT_EQ(*ParseDecimalToMinor("1234.56", Eur()), 123456);
  EXPECT_EQ(*ParseDecimalToMinor("1234.5", Eur()), 123450);
  EXPECT_EQ(*ParseDecimalToMinor("12.500", Eur()), 1250);  // exact trailing zero
  EXPECT_EQ(*ParseDecimalToMinor("-0.07", Eur()), -7);
  EXPECT_EQ(*ParseDecimalToMinor("42", *Currency::Parse("JPY")), 42);
  EXPECT_EQ(*ParseDecimalToMinor("1.234", *Currency::Parse("TND")), 1234);
}

TEST(Money, NeverRoundsAndRefusesGarbage) {
  EXPECT_FALSE(ParseDecimalToMinor("1.005", Eur()).ok());
  EXPECT_FALSE(ParseDecimalToMinor("1.5", *Currency::Parse("JPY")).ok());
  EXPECT_FALSE(ParseDecimalToMinor("", Eur()).ok());
  EXPECT_FALSE(ParseDecimalToMinor("1,50", Eur()).ok());
  EXPECT_FALSE(ParseDecimalToMinor("1.2.3", Eur()).ok());
  EXPECT_FALSE(ParseDecimalToMinor("99999999999999999999999", Eur()).ok());
}

TEST(Money, CurrenciesAreIso4217) {
  EXPECT_TRUE(Currency::Parse("EUR").ok());
  EXPECT_EQ(Currency::Parse("JPY")->minor_digits(), 0);
  EXPECT_FALSE(Currency::Parse("eur").ok());
  EXPECT_FALSE(Currency::Parse("EURO").ok());
  EXPECT_FALSE(Currency::Parse("XYZ").ok());
  // Found by halves in a table kept in code order: its first and last
  // codes, and the two four-digit ones, are found with their digits.
  EXPECT_EQ(Currency::Parse("AED")->minor_digits(), 2);
  EXPECT_EQ(Currency::Parse("ZWL")->code(), "ZWL");
  EXPECT_EQ(Currency::Parse("CLF")->minor_digits(), 4);
  EXPECT_EQ(Currency::Parse("UYW")->minor_digits(), 4);
  EXPECT_EQ(Currency::Parse("KWD")->minor_digits(), 3);
  EXPECT_FALSE(Currency::Parse("").ok());
  EXPECT_FALSE(Currency::Parse("AAA").ok());
  EXPECT_FALSE(Currency::Parse("ZZZ").ok());
}

TEST(Money, AmountsAreBoundedAndOverflowIsCaught) {
  EXPECT_TRUE(ValidateAmount(0, "amount").ok());
  EXPECT_FALSE(ValidateAmount(-1, "amount").ok());
  EXPECT_FALSE(ValidateAmount(kMaxMinorUnits + 1, "amount").ok());
  EXPECT_FALSE(AddAmounts(INT64_MAX, 1).ok());
  EXPECT_EQ(FormatMinor(123456, Eur()), "1234.56");
  EXPECT_EQ(FormatMinor(-5, Eur()), "-0.05");
  EXPECT_EQ(FormatMinor(7, *Currency::Parse("JPY")), "7");
}

TEST(Dates, DaysThatDoNotExistAreRefused) {
  EXPECT_TRUE(Date::Parse("2024-02-29").ok());
  EXPECT_FALSE(Date::Parse("2025-02-29").ok());
  EXPECT_FALSE(Date::Parse("2026-13-01").ok());
  EXPECT_FALSE(Date::Parse("2026-04-31").ok());
  EXPECT_FALSE(Date::Parse("2026-4-3").ok());
  EXPECT_FALSE(Date::Parse("31/01/2026").ok());
  EXPECT_EQ(Date::Parse("2026-01-31")->AddDays(30).ToString(), "2026-03-02");
}

// ToString writes its digits by hand: every day from 1600 to 2400, and the
// first and last of the years 1 to 9999, read as the year, month and day
// they hold, zero-padded, and parse back to themselves.
TEST(Dates, EveryDayIsWrittenAsItsYearMonthAndDay) {
  std::vector<Date> days;
  for (Date d = *Date::FromYmd(1600, 1, 1); d <= *Date::FromYmd(2400, 12, 31); d = d.AddDays(1)) {
    days.push_back(d);
  }
  for (int y = 1; y <= 9999; ++y) {
    days.push_back(*Date::FromYmd(y, 1, 1));
    days.push_back(*Date::FromYmd(y, 12, 31));
  }
  char expected[16];
  for (const Date d : days) {
    std::snprintf(expected, sizeof expected, "%04d-%02d-%02d", d.year(), d.month(), d.day());
    const std::string text = d.ToString();
    ASSERT_EQ(text, expected);
    ASSERT_EQ(*Date::Parse(text), d) << text;
  }
  EXPECT_EQ(Date::FromDays(0).ToString(), "1970-01-01");
}

TEST(Dates, Weekdays) {
  EXPECT_EQ(Date::Parse("2026-11-22")->iso_weekday(), 6);  // a Sunday
  EXPECT_TRUE(Date::Parse("2026-11-21")->IsWeekend());
  EXPECT_FALSE(Date::Parse("2026-11-23")->IsWeekend());
}

TEST(Dates, TimestampsRoundTripWithOffsets) {
  auto t = ParseTimestamp("2026-03-10T09:30:00+01:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatTimestamp(*t), "2026-03-10T08:30:00.000000Z");
  EXPECT_EQ(FormatTimestamp(*ParseTimestamp("2026-03-10T08:30:00.5Z")),
            "2026-03-10T08:30:00.500000Z");
  EXPECT_FALSE(ParseTimestamp("2026-03-10 25:00:00Z").ok());
  EXPECT_FALSE(ParseTimestamp("2026-03-10T08:30:00").ok());
}

TEST(Dates, RCore7_TodayDependsOnTheTimeZone) {
  Timestamp t = *ParseTimestamp("2026-03-10T23:30:00Z");
  EXPECT_EQ(TodayIn("UTC", t)->ToString(), "2026-03-10");
  EXPECT_EQ(TodayIn("Europe/Paris", t)->ToString(), "2026-03-11");
  EXPECT_EQ(TodayIn("Pacific/Auckland", *ParseTimestamp("2026-03-10T10:00:00Z"))->ToString(),
            "2026-03-10");
  EXPECT_EQ(TodayIn("Pacific/Auckland", *ParseTimestamp("2026-03-10T11:00:00Z"))->ToString(),
            "2026-03-11");
  EXPECT_FALSE(ValidateTimeZone("Europe/Lutece").ok());
}

TEST(Dates, SendHourOnDaylightSavingDays) {
  // Paris moves to summer time on 2026-03-29: 09:00 local is 07:00 UTC.
  EXPECT_EQ(FormatTimestamp(*LocalHourToInstant("Europe/Paris", *Date::Parse("2026-03-29"), 9)),
            "2026-03-29T07:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(*LocalHourToInstant("Europe/Paris", *Date::Parse("2026-03-28"), 9)),
            "2026-03-28T08:00:00.000000Z");
  // 02:00 does not exist that day: the first valid instant after the gap.
  EXPECT_EQ(FormatTimestamp(*LocalHourToInstant("Europe/Paris", *Date::Parse("2026-03-29"), 2)),
            "2026-03-29T01:00:00.000000Z");
}

TEST(Ids, PrefixedUniqueAndSortedByCreation) {
  Timestamp t = *ParseTimestamp("2026-01-01T00:00:00Z");
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 100000; ++i) {
    std::string id = NewId(kCustomerPrefix, t + std::chrono::microseconds(i * 10));
    ASSERT_TRUE(IsValidId(id, kCustomerPrefix)) << id;
    ASSERT_GT(id, previous);
    previous = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100000u);
  EXPECT_FALSE(IsValidId(previous, kInvoicePrefix));
  EXPECT_FALSE(IsValidId("cus_123", kCustomerPrefix));
}

}  // namespace
}  // namespace relance

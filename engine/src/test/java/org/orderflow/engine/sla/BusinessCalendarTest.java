package org.orderflow.engine.sla;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The business calendar (port of test/lib/calendar.test.ts: the same dates and expectations). */
class BusinessCalendarTest {

  static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");
  static final Path PROJECT_CALENDAR = Path.of("..", "processes", "business-calendar.json");

  static BusinessCalendar calendar(ZoneId zone, Clock clock) {
    return new BusinessCalendar(zone, Set.of(1, 2, 3, 4, 5),
        List.of(new BusinessCalendar.Period(8 * 60 + 30, 12 * 60), new BusinessCalendar.Period(13 * 60 + 30, 17 * 60 + 30)),
        Stream.of("2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07").map(LocalDate::parse).collect(java.util.stream.Collectors.toSet()),
        Set.of(LocalDate.parse("2026-10-10")), clock);
  }

  final BusinessCalendar calendar = calendar(SHANGHAI, Clock.systemUTC());

  /** A Shanghai local time as an instant. */
  static Instant at(String local) {
    return LocalDateTime.parse(local).atZone(SHANGHAI).toInstant();
  }

  static String shanghai(Instant instant) {
    return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").format(instant.atZone(SHANGHAI));
  }

  @Test
  void workingHoursInsideOnePeriodAndAcrossLunch() {
    assertThat(shanghai(calendar.addWorkingHours(at("2026-11-24T09:00:00"), 2))).isEqualTo("2026-11-24 11:00");
    assertThat(shanghai(calendar.addWorkingHours(at("2026-11-24T11:00:00"), 2))).isEqualTo("2026-11-24 14:30");
  }

  @Test
  void twoWorkingHoursOnAFridayAt1700EndOnMondayMorning() {
    assertThat(shanghai(calendar.addWorkingHours(at("2026-11-27T17:00:00"), 2))).isEqualTo("2026-11-30 10:00");
  }

  @Test
  void aDurationStartingOutsideWorkingHoursCountsFromTheNextWorkingMoment() {
    assertThat(shanghai(calendar.addWorkingHours(at("2026-11-24T06:15:00"), 1))).isEqualTo("2026-11-24 09:30");
    assertThat(shanghai(calendar.addWorkingHours(at("2026-11-24T12:30:00"), 1))).isEqualTo("2026-11-24 14:30");
    assertThat(shanghai(calendar.addWorkingHours(at("2026-11-28T10:00:00"), 1))).isEqualTo("2026-11-30 09:30");
  }

  @Test
  void crossingMidnightAnEveningStartCountsFromTheNextMorning() {
    assertThat(shanghai(calendar.addWorkingHours(at("2026-11-24T23:30:00"), 4))).isEqualTo("2026-11-25 14:00");
  }

  @Test
  void oneWorkingDayIsTheSameClockTimeOnTheNextWorkingDay() {
    assertThat(shanghai(calendar.addWorkingDays(at("2026-11-24T10:00:00"), 1))).isEqualTo("2026-11-25 10:00");
    assertThat(shanghai(calendar.addWorkingDays(at("2026-11-27T17:00:00"), 1))).isEqualTo("2026-11-30 17:00");
  }

  @Test
  void publicHolidaysAreSkippedAndAMakeUpWorkingDayCounts() {
    assertThat(calendar.isWorkingDayAt(at("2026-10-01T10:00:00"))).isFalse();
    assertThat(calendar.isWorkingDayAt(at("2026-10-10T10:00:00"))).as("Saturday make-up day").isTrue();
    // From Wednesday 30 September: 1–2 October are holidays, 3–4 a weekend, 5–7 holidays again.
    assertThat(shanghai(calendar.addWorkingDays(at("2026-09-30T15:00:00"), 1))).isEqualTo("2026-10-08 15:00");
    assertThat(shanghai(calendar.addWorkingDays(at("2026-10-09T15:00:00"), 1))).isEqualTo("2026-10-10 15:00");
  }

  @Test
  void nWorkingDaysBeforeADateAndNCalendarDaysBefore() {
    assertThat(shanghai(calendar.workingDaysBefore(at("2026-10-12T00:00:00"), 5))).isEqualTo("2026-09-29 08:30");
    assertThat(shanghai(calendar.daysBefore(at("2026-12-10T15:00:00"), 1))).isEqualTo("2026-12-09 00:00");
  }

  @Test
  void monthEndIsTheCloseOfTheLastWorkingDayOfTheMonth() {
    assertThat(shanghai(calendar.lastWorkingMomentOfMonth(at("2026-10-15T10:00:00")))).isEqualTo("2026-10-30 17:30");
    assertThat(shanghai(calendar.lastWorkingMomentOfMonth(at("2026-11-02T10:00:00")))).isEqualTo("2026-11-30 17:30");
  }

  @Test
  void timeZoneTheSameInstantIsJudgedByShanghaiWorkingHours() {
    // 01:00 UTC is 09:00 in Shanghai: working time there.
    assertThat(calendar.isWorkingTime(Instant.parse("2026-11-24T01:00:00Z"))).isTrue();
    assertThat(calendar(ZoneOffset.UTC, Clock.systemUTC()).isWorkingTime(Instant.parse("2026-11-24T01:00:00Z"))).isFalse();
  }

  @Test
  void aMakeUpSaturdayCountsHourByHourTheSundayAfterItDoesNot() {
    assertThat(shanghai(calendar.addWorkingHours(at("2026-10-09T17:00:00"), 2))).isEqualTo("2026-10-10 10:00");
    assertThat(shanghai(calendar.addWorkingHours(at("2026-10-10T17:00:00"), 1))).isEqualTo("2026-10-12 09:00");
    assertThat(calendar.isWorkingTime(at("2026-10-10T09:00:00"))).isTrue();
    assertThat(calendar.isWorkingTime(at("2026-10-11T09:00:00"))).isFalse();
  }

  @Test
  void todayIsJudgedInTheCalendarsTimeZone() {
    // Friday 2026-10-09 23:30 UTC is Saturday 10 October 07:30 in Shanghai: a make-up working day.
    BusinessCalendar friday = calendar(SHANGHAI, Clock.fixed(Instant.parse("2026-10-09T23:30:00Z"), ZoneOffset.UTC));
    assertThat(friday.isWorkingDay()).isTrue();
    assertThat(friday.today()).isEqualTo("2026-10-10");
    assertThat(friday.previousWorkingDay()).isEqualTo("2026-10-09");
    // Thursday 8 October: the working day before is 30 September (1–7 October off).
    BusinessCalendar thursday = calendar(SHANGHAI, Clock.fixed(at("2026-10-08T10:00:00"), ZoneOffset.UTC));
    assertThat(thursday.previousWorkingDay()).isEqualTo("2026-09-30");
    assertThat(calendar(SHANGHAI, Clock.fixed(at("2026-10-11T10:00:00"), ZoneOffset.UTC)).isWorkingDay()).isFalse();
  }

  @Test
  void theProjectCalendar2026PublicHolidaysOfChinaAndTheirMakeUpWorkingDays() {
    BusinessCalendar project = BusinessCalendar.load(PROJECT_CALENDAR, Clock.systemUTC());
    // 春节: off 15–23 February, Saturdays 14 and 28 February worked.
    assertThat(Stream.of("2026-02-13", "2026-02-14", "2026-02-16", "2026-02-23", "2026-02-24", "2026-02-28").map(d -> project.isWorkingDate(LocalDate.parse(d))))
        .containsExactly(true, true, false, false, true, true);
    // 元旦 1–3 January with Sunday 4 January worked; 国庆 1–7 October with 20 September and 10 October worked.
    assertThat(Stream.of("2026-01-02", "2026-01-04", "2026-09-20", "2026-10-05", "2026-10-08", "2026-10-10").map(d -> project.isWorkingDate(LocalDate.parse(d))))
        .containsExactly(false, true, true, false, true, true);
    // 清明 4–6 April, 劳动节 1–5 May (9 May worked), 端午 19 June, 中秋 25 September.
    assertThat(Stream.of("2026-04-06", "2026-05-05", "2026-05-09", "2026-06-19", "2026-09-25").map(d -> project.isWorkingDate(LocalDate.parse(d))))
        .containsExactly(false, false, true, false, false);
    assertThat(project.hasHolidaysIn(2026)).isTrue();
    assertThat(project.hasHolidaysIn(2031)).as("no year far ahead is filled in").isFalse();
    assertThat(project.zone()).isEqualTo(SHANGHAI);
  }

  @Test
  void aBrokenCalendarFileIsNamedWithItsField(@TempDir Path dir) throws Exception {
    String good = Files.readString(PROJECT_CALENDAR);
    Path file = dir.resolve("business-calendar.json");
    Files.writeString(file, good.replace("\"08:30\"", "\"8:30\""));
    assertThatThrownBy(() -> BusinessCalendar.load(file, Clock.systemUTC()))
        .hasMessageContaining("business-calendar.json").hasMessageContaining("/workingHours/0/from must be a local time HH:MM");
    Files.writeString(file, good.replace("Asia/Shanghai", "Mars/Olympus"));
    assertThatThrownBy(() -> BusinessCalendar.load(file, Clock.systemUTC())).hasMessageContaining("unknown time zone \"Mars/Olympus\"");
    Files.writeString(file, good.replace("\"2026-01-01\"", "\"2026-13-01\""));
    assertThatThrownBy(() -> BusinessCalendar.load(file, Clock.systemUTC())).hasMessageContaining("/holidays/0 must be a date YYYY-MM-DD");
    Files.writeString(file, good.replace("\"12:00\"", "\"14:00\""));
    assertThatThrownBy(() -> BusinessCalendar.load(file, Clock.systemUTC())).hasMessageContaining("/workingHours must be increasing, non-overlapping periods");
  }
}

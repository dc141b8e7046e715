package org.orderflow.engine.sla;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An ISO 8601 duration as its parts (P1Y2M3W4DT5H6M7S). java.time.Duration knows no years,
 * months or weeks and Period no hours, while the service levels use both; the parts are kept so
 * that a day can mean a working day in working time and a calendar day elsewhere.
 */
record IsoDuration(int years, int months, int weeks, int days, int hours, int minutes, double seconds) {

  static final String PATTERN = "^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(?:\\.\\d+)?S)?)?$";
  private static final Pattern ISO = Pattern.compile(PATTERN);

  static boolean isValid(String text) {
    return text != null && ISO.matcher(text).matches();
  }

  static IsoDuration parse(String text) {
    Matcher m = text == null ? null : ISO.matcher(text);
    if (m == null || !m.matches()) throw new IllegalArgumentException("not an ISO 8601 duration: \"" + text + "\"");
    return new IsoDuration(part(m.group(1)), part(m.group(2)), part(m.group(3)), part(m.group(4)), part(m.group(6)), part(m.group(7)),
        m.group(8) == null ? 0 : Double.parseDouble(m.group(8).substring(0, m.group(8).length() - 1)));
  }

  private static int part(String group) {
    return group == null ? 0 : Integer.parseInt(group.substring(0, group.length() - 1));
  }

  /** Minutes, a day counting `minutesPerDay` (a year 365 days, a month 30). */
  double minutes(double minutesPerDay) {
    return (years * 365.0 + months * 30.0 + weeks * 7.0 + days) * minutesPerDay + hours * 60.0 + minutes + seconds / 60.0;
  }

  /** Whole days, a year 365 and a month 30 days, hours and smaller as fractions of 24 h. */
  double asDays() {
    return minutes(24 * 60) / (24 * 60);
  }

  /** `at` plus this duration: years, months, weeks and days on the calendar, the rest in real time. */
  java.time.ZonedDateTime addTo(java.time.ZonedDateTime at) {
    return at.plusYears(years).plusMonths(months).plusWeeks(weeks).plusDays(days)
        .plusNanos(Math.round((hours * 3600.0 + minutes * 60.0 + seconds) * 1e9));
  }

  /** `at` minus this duration, the way {@link #addTo} adds it. */
  java.time.ZonedDateTime subtractFrom(java.time.ZonedDateTime at) {
    return at.minusYears(years).minusMonths(months).minusWeeks(weeks).minusDays(days)
        .minusNanos(Math.round((hours * 3600.0 + minutes * 60.0 + seconds) * 1e9));
  }
}

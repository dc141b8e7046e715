package org.orderflow.engine.sla;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The business calendar: working days and hours in a time zone, public holidays and make-up
 * working days (调休), read from {@code processes/business-calendar.json}, which process owners
 * edit. Engine timers know no calendar, so service levels in working time become due instants
 * here. Diagrams reach it as the bean {@code businessCalendar}, e.g.
 * {@code ${businessCalendar.isWorkingDay()}} for the daily report's "working days only".
 */
public class BusinessCalendar {

  private static final Pattern TIME = Pattern.compile("^([01][0-9]|2[0-3]):[0-5][0-9]$");
  private static final Pattern DATE = Pattern.compile("^[0-9]{4}-[0-9]{2}-[0-9]{2}$");

  /** A working period of a day, in minutes after local midnight. */
  record Period(int from, int to) {}

  private final ZoneId zone;
  private final Set<Integer> workingWeekdays;
  private final List<Period> periods;
  private final Set<LocalDate> holidays;
  private final Set<LocalDate> makeUpWorkingDays;
  private final int minutesPerDay;
  private final Clock clock;

  public BusinessCalendar(ZoneId zone, Set<Integer> workingWeekdays, List<Period> periods, Set<LocalDate> holidays,
      Set<LocalDate> makeUpWorkingDays, Clock clock) {
    for (int i = 0; i < periods.size(); i++) {
      Period p = periods.get(i);
      if (p.to() <= p.from() || (i > 0 && p.from() < periods.get(i - 1).to())) {
        throw new IllegalArgumentException("working hours must be increasing, non-overlapping periods");
      }
    }
    this.zone = zone;
    this.workingWeekdays = Set.copyOf(workingWeekdays);
    this.periods = List.copyOf(periods);
    this.holidays = Set.copyOf(holidays);
    this.makeUpWorkingDays = Set.copyOf(makeUpWorkingDays);
    this.minutesPerDay = periods.stream().mapToInt(p -> p.to() - p.from()).sum();
    this.clock = clock;
  }

  /**
   * Reads and checks a calendar file; a mistake is named with the file and the field, e.g.
   * {@code business-calendar.json: /workingHours/0/from must be a local time HH:MM}.
   */
  public static BusinessCalendar load(Path file, Clock clock) {
    String where = file.getFileName().toString();
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalStateException(file + ": cannot be read as JSON: " + e.getMessage(), e);
    }
    List<String> problems = new ArrayList<>();
    if (root == null || !root.isObject()) throw new IllegalStateException(file + ": / must be an object");
    Set<String> known = Set.of("$comment", "notes", "timeZone", "workingWeekdays", "workingHours", "holidays", "makeUpWorkingDays");
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) problems.add("/" + name + " is not a field of the calendar");
    }
    ZoneId zone = null;
    JsonNode tz = root.path("timeZone");
    if (!tz.isTextual() || tz.asText().isEmpty()) problems.add("/timeZone must be an IANA time zone such as Asia/Shanghai");
    else {
      try {
        zone = ZoneId.of(tz.asText());
      } catch (DateTimeException e) {
        problems.add("/timeZone: unknown time zone \"" + tz.asText() + "\"");
      }
    }
    Set<Integer> weekdays = new LinkedHashSet<>();
    JsonNode wd = root.path("workingWeekdays");
    if (!wd.isArray() || wd.isEmpty()) problems.add("/workingWeekdays must be a non-empty array of ISO weekdays 1-7");
    else {
      for (int i = 0; i < wd.size(); i++) {
        JsonNode d = wd.get(i);
        if (!d.isInt() || d.asInt() < 1 || d.asInt() > 7) problems.add("/workingWeekdays/" + i + " must be an integer 1 (Monday) to 7 (Sunday)");
        else if (!weekdays.add(d.asInt())) problems.add("/workingWeekdays/" + i + " is listed twice");
      }
    }
    List<Period> periods = new ArrayList<>();
    JsonNode wh = root.path("workingHours");
    if (!wh.isArray() || wh.isEmpty()) problems.add("/workingHours must be a non-empty array of {from, to}");
    else {
      for (int i = 0; i < wh.size(); i++) {
        JsonNode p = wh.get(i);
        String from = p.path("from").asText(""), to = p.path("to").asText("");
        boolean ok = true;
        if (!p.path("from").isTextual() || !TIME.matcher(from).matches()) {
          problems.add("/workingHours/" + i + "/from must be a local time HH:MM");
          ok = false;
        }
        if (!p.path("to").isTextual() || !TIME.matcher(to).matches()) {
          problems.add("/workingHours/" + i + "/to must be a local time HH:MM");
          ok = false;
        }
        if (ok) periods.add(new Period(minutesOf(from), minutesOf(to)));
      }
      for (int i = 0; i < periods.size(); i++) {
        Period p = periods.get(i);
        if (p.to() <= p.from() || (i > 0 && p.from() < periods.get(i - 1).to())) {
          problems.add("/workingHours must be increasing, non-overlapping periods");
          break;
        }
      }
    }
    Set<LocalDate> holidays = dates(root, "holidays", problems);
    Set<LocalDate> makeUp = dates(root, "makeUpWorkingDays", problems);
    if (!problems.isEmpty()) throw new IllegalStateException(where + " (" + file + "): " + String.join("; ", problems));
    return new BusinessCalendar(zone, weekdays, periods, holidays, makeUp, clock);
  }

  private static Set<LocalDate> dates(JsonNode root, String field, List<String> problems) {
    Set<LocalDate> dates = new HashSet<>();
    JsonNode list = root.path(field);
    if (!list.isArray()) {
      problems.add("/" + field + " must be an array of dates YYYY-MM-DD");
      return dates;
    }
    for (int i = 0; i < list.size(); i++) {
      String text = list.get(i).asText("");
      try {
        if (!list.get(i).isTextual() || !DATE.matcher(text).matches()) throw new DateTimeParseException("pattern", text, 0);
        dates.add(LocalDate.parse(text));
      } catch (DateTimeParseException e) {
        problems.add("/" + field + "/" + i + " must be a date YYYY-MM-DD");
      }
    }
    return dates;
  }

  private static int minutesOf(String hhmm) {
    return Integer.parseInt(hhmm.substring(0, 2)) * 60 + Integer.parseInt(hhmm.substring(3, 5));
  }

  public ZoneId zone() {
    return zone;
  }

  /** Working minutes in one working day. */
  public int minutesPerDay() {
    return minutesPerDay;
  }

  /** Start of the first working period, minutes after local midnight. */
  int firstPeriodStart() {
    return periods.get(0).from();
  }

  /** End of the last working period, minutes after local midnight. */
  int lastPeriodEnd() {
    return periods.get(periods.size() - 1).to();
  }

  /** True when the calendar lists a public holiday in `year` (a calendar nobody extended has none). */
  public boolean hasHolidaysIn(int year) {
    return holidays.stream().anyMatch(d -> d.getYear() == year);
  }

  /** True when the local date is a working day: a make-up day, or a working weekday that is no holiday. */
  public boolean isWorkingDate(LocalDate day) {
    if (makeUpWorkingDays.contains(day)) return true;
    if (holidays.contains(day)) return false;
    return workingWeekdays.contains(day.getDayOfWeek().getValue());
  }

  /** True when the local date of `at` is a working day. */
  public boolean isWorkingDayAt(Instant at) {
    return isWorkingDate(at.atZone(zone).toLocalDate());
  }

  /** True when today, in the calendar's time zone, is a working day (diagrams: {@code ${businessCalendar.isWorkingDay()}}). */
  public boolean isWorkingDay() {
    return isWorkingDayAt(clock.instant());
  }

  /** Today in the calendar's time zone, YYYY-MM-DD. */
  public String today() {
    return LocalDate.now(clock.withZone(zone)).toString();
  }

  /** The working day before today in the calendar's time zone, YYYY-MM-DD. */
  public String previousWorkingDay() {
    LocalDate day = LocalDate.now(clock.withZone(zone)).minusDays(1);
    for (int i = 0; i < 3700 && !isWorkingDate(day); i++) day = day.minusDays(1);
    return day.toString();
  }

  /** True when `at` falls inside working hours of a working day. */
  public boolean isWorkingTime(Instant at) {
    ZonedDateTime local = at.atZone(zone);
    return nextWorkingMoment(local).toInstant().equals(at);
  }

  private ZonedDateTime startOfDay(ZonedDateTime t) {
    return t.toLocalDate().atStartOfDay(zone);
  }

  /** The start of the working period in progress at `t`, or of the next one. */
  private ZonedDateTime nextWorkingMoment(ZonedDateTime t) {
    ZonedDateTime day = startOfDay(t);
    for (int guard = 0; guard < 3700; guard++) {
      if (isWorkingDate(day.toLocalDate())) {
        for (Period p : periods) {
          ZonedDateTime start = day.plusMinutes(p.from());
          ZonedDateTime end = day.plusMinutes(p.to());
          if (t.isBefore(end)) return t.isAfter(start) ? t : start;
        }
      }
      day = day.toLocalDate().plusDays(1).atStartOfDay(zone);
    }
    throw new IllegalStateException("business calendar has no working time in the next ten years");
  }

  /** `at` plus `minutes` of working time (counted from the next working moment when outside working hours). */
  public Instant addWorkingMinutes(Instant at, double minutes) {
    ZonedDateTime t = nextWorkingMoment(at.atZone(zone));
    double left = minutes;
    for (int guard = 0; guard < 100000; guard++) {
      ZonedDateTime day = startOfDay(t);
      double minuteOfDay = ChronoUnit.NANOS.between(day, t) / 60e9;
      Period period = periods.stream().filter(p -> minuteOfDay >= p.from() && minuteOfDay < p.to()).findFirst().orElseThrow();
      double available = period.to() - minuteOfDay;
      if (left <= available) return t.plusNanos(Math.round(left * 60e9)).toInstant();
      left -= available;
      t = nextWorkingMoment(day.plusMinutes(period.to()));
    }
    throw new IllegalStateException("business calendar: duration too long");
  }

  /** `at` plus `hours` working hours. */
  public Instant addWorkingHours(Instant at, double hours) {
    return addWorkingMinutes(at, Math.round(hours * 60));
  }

  /** `at` plus `days` working days, a working day being the calendar's working minutes per day. */
  public Instant addWorkingDays(Instant at, double days) {
    return addWorkingMinutes(at, days * minutesPerDay);
  }

  /**
   * The start of working hours on the `days`-th working day before the local date of `at`
   * ("contact the supplier 5 working days before the planned arrival").
   */
  public Instant workingDaysBefore(Instant at, double days) {
    LocalDate day = at.atZone(zone).toLocalDate();
    for (int counted = 0; counted < days; ) {
      day = day.minusDays(1);
      if (isWorkingDate(day)) counted++;
    }
    return day.atStartOfDay(zone).plusMinutes(firstPeriodStart()).toInstant();
  }

  /** The start of the local day `days` calendar days before `at` ("1 day before dispatch"). */
  public Instant daysBefore(Instant at, int days) {
    return at.atZone(zone).toLocalDate().minusDays(days).atStartOfDay(zone).toInstant();
  }

  /** The end of working hours on the last working day of the month of `at` ("before month end"). */
  public Instant lastWorkingMomentOfMonth(Instant at) {
    LocalDate day = at.atZone(zone).toLocalDate().with(TemporalAdjusters.lastDayOfMonth());
    while (!isWorkingDate(day)) day = day.minusDays(1);
    return day.atStartOfDay(zone).plusMinutes(lastPeriodEnd()).toInstant();
  }

  /** A local date at a local time of day (minutes after midnight) as an instant. */
  Instant at(LocalDate day, int minuteOfDay) {
    return ZonedDateTime.of(day, LocalTime.MIDNIGHT, zone).plusMinutes(minuteOfDay).toInstant();
  }
}

package org.orderflow.engine.sla;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.Date;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.operaton.bpm.engine.delegate.DelegateExecution;
import org.operaton.spin.Spin;
import org.operaton.spin.json.SpinJsonNode;
import org.orderflow.engine.sla.ServiceLevelTable.Level;

/**
 * The service levels as diagrams use them (the bean {@code serviceLevels}): a guarded step's
 * boundary timer waits for {@code ${serviceLevels.due(execution, 'gmApproval')}} and its user
 * task shows the same instant as due date, with {@code ${serviceLevels.followUp(execution,
 * 'gmApproval')}} as follow-up date. The instant is computed once per guarded activity instance
 * and kept in the process variable {@code sla} (Json, {@code sla.<id>}), so the timer and the task
 * agree even when the expressions are evaluated a moment apart, and a loop that enters the step
 * again gets a new one. The urgent policy (D7 4) shortens duration levels in one place.
 */
public class ServiceLevels {

  /** The process variable holding the deadlines of the instance, by level id. */
  public static final String VARIABLE = "sla";
  /** Optional variable {now: ISO date-time}: the moment levels count from instead of the clock (orders entered after the fact, tests). */
  public static final String CLOCK_VARIABLE = "slaClock";

  /** Dates nested in a Java map become ISO instants, not epoch numbers. */
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .setTimeZone(java.util.TimeZone.getTimeZone("UTC"));
  private static final Pattern DATE_ONLY = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}$");

  private final ServiceLevelTable table;
  private final BusinessCalendar calendar;
  private final Clock clock;

  public ServiceLevels(ServiceLevelTable table, BusinessCalendar calendar, Clock clock) {
    this.table = table;
    this.calendar = calendar;
    this.clock = clock;
  }

  public ServiceLevelTable table() {
    return table;
  }

  /** The due instant of level `slaId` for the activity instance `execution` is in (timer timeDate, task dueDate). */
  public Date due(DelegateExecution execution, String slaId) {
    return Date.from(deadline(execution, slaId).due());
  }

  /** The follow-up instant of level `slaId` for the activity instance `execution` is in (task followUpDate). */
  public Date followUp(DelegateExecution execution, String slaId) {
    return Date.from(deadline(execution, slaId).followUp());
  }

  /** The deadline recorded for this activity instance, or a new one, recorded in `sla.<id>`. */
  public Deadline deadline(DelegateExecution execution, String slaId) {
    Level level = table.level(slaId).orElseThrow(() -> new IllegalArgumentException(
        execution.getCurrentActivityId() + " asks for service level \"" + slaId + "\", which processes/service-levels.json does not define"));
    String activityInstanceId = execution.getActivityInstanceId();
    ObjectNode sla = asObject(plain(execution.getVariable(VARIABLE)));
    JsonNode recorded = sla.get(slaId);
    if (recorded != null && activityInstanceId != null && activityInstanceId.equals(recorded.path("activityInstanceId").asText(null))) {
      return Deadline.fromJson(recorded);
    }
    Deadline deadline = deadlineOf(level, startOf(execution), execution::getVariable).in(activityInstanceId);
    sla.set(slaId, deadline.toJson());
    execution.setVariable(VARIABLE, Spin.JSON(sla.toString()));
    return deadline;
  }

  private Instant startOf(DelegateExecution execution) {
    JsonNode now = plain(execution.getVariable(CLOCK_VARIABLE)).path("now");
    if (!now.isTextual() || now.asText().isEmpty()) return clock.instant();
    try {
      return OffsetDateTime.parse(now.asText()).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("slaClock.now \"" + now.asText() + "\" is not an ISO 8601 date-time with offset");
    }
  }

  /** The limit of a level for these variables, after limitWhen and the urgent policy. */
  record Limit(String limit, boolean urgent, double factor) {}

  Limit effectiveLimit(Level level, Function<String, Object> variables) {
    String limit = level.limit();
    if (level.limitWhen() != null && same(valueAt(variables, level.limitWhen().variable()), level.limitWhen().equals())) {
      limit = level.limitWhen().limit();
    }
    ServiceLevelTable.UrgentPolicy policy = table.urgentPolicy();
    boolean urgent = same(valueAt(variables, policy.variable()), policy.equals());
    boolean scalable = level.kind().equals("duration") || level.kind().equals("working-duration");
    if (!urgent || limit == null || !scalable) return new Limit(limit, urgent, 1);
    if (level.urgentLimit() != null) return new Limit(level.urgentLimit(), true, 1);
    return new Limit(limit, true, policy.factor());
  }

  /**
   * The deadline of `level` for a step that starts at `start`. A date-only reference counts from
   * the start of working hours of the day before which (or after whose close) the level falls; a
   * date-time reference is used as it is. Without the reference date the limit runs as a plain
   * duration from the start.
   */
  public Deadline deadlineOf(Level level, Instant start, Function<String, Object> variables) {
    Limit applied = effectiveLimit(level, variables);
    double factor = applied.factor();
    double minimum = IsoDuration.parse(table.urgentPolicy().minimum()).minutes(24 * 60);
    Function<Double, Double> scaled = minutes -> factor == 1 ? minutes : Math.max(minutes * factor, minimum);
    Instant due = switch (level.kind()) {
      case "duration" -> start.plusMillis(Math.round(scaled.apply(IsoDuration.parse(applied.limit()).minutes(24 * 60)) * 60000));
      case "working-duration" -> calendar.addWorkingMinutes(start, scaled.apply(IsoDuration.parse(applied.limit()).minutes(calendar.minutesPerDay())));
      case "before-date", "after-date" -> dated(level, applied.limit(), start, variables);
      case "month-end" -> calendar.lastWorkingMomentOfMonth(start);
      default -> throw new IllegalArgumentException("service level " + level.id() + " (" + level.clause() + ") is a daily timer start event, not a step deadline");
    };
    Instant followUp = !due.isAfter(start) ? due : start.plusMillis((due.toEpochMilli() - start.toEpochMilli()) / 2);
    String limit = applied.limit() == null ? null
        : factor == 1 ? applied.limit() : applied.limit() + " × " + BigDecimal.valueOf(factor).stripTrailingZeros().toPlainString();
    return new Deadline(level.id(), level.clause(), level.kind(), limit, applied.urgent(), start, due, followUp,
        String.join(",", level.escalateTo()), level.interrupting(), null);
  }

  private Instant dated(Level level, String limit, Instant start, Function<String, Object> variables) {
    IsoDuration duration = IsoDuration.parse(limit);
    JsonNode value = valueAt(variables, level.reference());
    if (value == null || value.isNull() || value.isMissingNode() || (value.isTextual() && value.asText().isEmpty())) {
      return start.plusMillis(Math.round(duration.minutes(24 * 60) * 60000));
    }
    String where = "service level " + level.id() + " (" + level.clause() + "): " + level.reference() + " = ";
    if (!value.isTextual()) throw new IllegalArgumentException(where + value + " is not a date");
    String text = value.asText();
    boolean dateOnly = DATE_ONLY.matcher(text).matches();
    ZonedDateTime at;
    try {
      at = dateOnly ? LocalDate.parse(text).atStartOfDay(calendar.zone()) : zonedDateTime(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(where + "\"" + text + "\" is not a date (YYYY-MM-DD) nor an ISO date-time");
    }
    if (level.kind().equals("before-date")) {
      if (level.workingDays()) return calendar.workingDaysBefore(at.toInstant(), duration.asDays());
      if (dateOnly) return calendar.at(duration.subtractFrom(at).toLocalDate(), calendar.firstPeriodStart());
      return duration.subtractFrom(at).toInstant();
    }
    ZonedDateTime from = dateOnly ? calendar.at(at.toLocalDate(), calendar.lastPeriodEnd()).atZone(calendar.zone()) : at;
    return duration.addTo(from).toInstant();
  }

  /** An ISO date-time; without an offset it is local time of the calendar's zone. */
  private ZonedDateTime zonedDateTime(String text) {
    TemporalAccessor parsed = java.time.format.DateTimeFormatter.ISO_DATE_TIME.parseBest(text, ZonedDateTime::from, java.time.LocalDateTime::from);
    if (parsed instanceof ZonedDateTime zoned) return zoned.withZoneSameInstant(calendar.zone());
    return ((java.time.LocalDateTime) parsed).atZone(calendar.zone());
  }

  /** A table value (string, number, boolean) equal to a variable's value; numbers by value. */
  private static boolean same(JsonNode actual, JsonNode expected) {
    if (actual == null || expected == null) return false;
    if (actual.isNumber() && expected.isNumber()) return actual.decimalValue().compareTo(expected.decimalValue()) == 0;
    return actual.equals(expected);
  }

  /** The value at a dotted path of the variables; null when a step is missing. */
  static JsonNode valueAt(Function<String, Object> variables, String dotted) {
    String[] keys = dotted.split("\\.");
    JsonNode value = plain(variables.apply(keys[0]));
    for (int i = 1; i < keys.length && value != null; i++) {
      value = value.isObject() ? value.get(keys[i]) : null;
    }
    return value == null || value.isMissingNode() ? null : value;
  }

  /**
   * A variable as plain JSON: Spin Json objects (what workers and the REST API store), Java maps
   * and lists, dates (as ISO instants) and strings (a JSON object kept as text is read as one).
   */
  static JsonNode plain(Object value) {
    if (value == null) return JsonNodeFactory.instance.missingNode();
    try {
      if (value instanceof SpinJsonNode spin) return MAPPER.readTree(spin.toString());
      if (value instanceof JsonNode node) return node;
      if (value instanceof Date date) return TextNode.valueOf(Deadline.ISO.format(date.toInstant()));
      if (value instanceof String text) {
        String trimmed = text.trim();
        if (trimmed.startsWith("{") && trimmed.endsWith("}")) {
          try {
            return MAPPER.readTree(trimmed);
          } catch (JsonProcessingException notJson) {
            return TextNode.valueOf(text);
          }
        }
        return TextNode.valueOf(text);
      }
      return MAPPER.valueToTree(value);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new IllegalArgumentException("a variable the service levels read is not JSON: " + e.getMessage(), e);
    }
  }

  private static ObjectNode asObject(JsonNode node) {
    return node != null && node.isObject() ? ((ObjectNode) node).deepCopy() : JsonNodeFactory.instance.objectNode();
  }
}

package org.orderflow.engine.sla;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The service levels of the procedures, read from {@code processes/service-levels.json}: one row
 * per guarded step and the urgent policy (D7 4). The checks are those of the TypeScript schema in
 * lib/service-levels.ts (which the model tests use); a mistake is named with the file and the field.
 */
public record ServiceLevelTable(UrgentPolicy urgentPolicy, List<Level> levels) {

  /** D7 4: an urgent order's duration levels are multiplied by `factor`, never below `minimum`. */
  public record UrgentPolicy(String variable, JsonNode equals, double factor, String minimum) {}

  /** A different limit when a variable has a value (complete sets get 24 h, D2 二.一.1). */
  public record LimitWhen(String variable, JsonNode equals, String limit) {}

  /** One row of the table. */
  public record Level(String id, String clause, String what, String process, String element, String kind, String limit,
      LimitWhen limitWhen, String reference, boolean workingDays, String urgentLimit, List<String> escalateTo, boolean interrupting) {}

  static final Set<String> KINDS = Set.of("duration", "working-duration", "before-date", "after-date", "month-end", "daily-at");
  private static final Pattern VARIABLE_PATH = Pattern.compile("^[a-zA-Z][a-zA-Z0-9]*(\\.[a-zA-Z][a-zA-Z0-9]*)*$");
  private static final Pattern ID = Pattern.compile("^[a-z][a-zA-Z0-9]*$");
  private static final Pattern CLAUSE = Pattern.compile("^D(10|[1-9]) \\S.*$");
  private static final Pattern PROCESS = Pattern.compile("^[a-z][a-z0-9-]*$");
  private static final Pattern ELEMENT = Pattern.compile("^[A-Z][A-Z0-9_]*$");
  private static final Pattern ROLE = Pattern.compile("^[a-z][a-z-]*$");
  private static final Pattern TIME = Pattern.compile("^([01][0-9]|2[0-3]):[0-5][0-9]$");

  public Optional<Level> level(String id) {
    return levels.stream().filter(l -> l.id().equals(id)).findFirst();
  }

  /** Reads and checks the table; nothing of a broken table is used. */
  public static ServiceLevelTable load(Path file) {
    String where = file.getFileName() + " (" + file + ")";
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalStateException(where + ": cannot be read as JSON: " + e.getMessage(), e);
    }
    List<String> problems = new ArrayList<>();
    if (root == null || !root.isObject()) throw new IllegalStateException(where + ": / must be an object");
    onlyFields(root, "", problems, "$comment", "urgentPolicy", "levels");
    JsonNode up = root.path("urgentPolicy");
    UrgentPolicy policy = null;
    if (!up.isObject()) problems.add("/urgentPolicy must be an object {variable, equals, factor, minimum}");
    else {
      onlyFields(up, "/urgentPolicy", problems, "$comment", "variable", "equals", "factor", "minimum");
      String variable = text(up, "variable", "/urgentPolicy", VARIABLE_PATH, "a variable path such as order.priority", problems);
      if (!up.path("equals").isTextual()) problems.add("/urgentPolicy/equals must be a string");
      JsonNode factor = up.path("factor");
      if (!factor.isNumber() || factor.asDouble() <= 0 || factor.asDouble() > 1) problems.add("/urgentPolicy/factor must be a number above 0, at most 1");
      String minimum = text(up, "minimum", "/urgentPolicy", null, "an ISO 8601 duration", problems);
      if (minimum != null && !IsoDuration.isValid(minimum)) problems.add("/urgentPolicy/minimum must be an ISO 8601 duration such as PT15M");
      policy = new UrgentPolicy(variable, up.path("equals"), factor.asDouble(), minimum);
    }
    List<Level> levels = new ArrayList<>();
    JsonNode rows = root.path("levels");
    if (!rows.isArray() || rows.isEmpty()) problems.add("/levels must be a non-empty array");
    else {
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < rows.size(); i++) {
        Level level = level(rows.get(i), "/levels/" + i, problems);
        if (level == null) continue;
        String at = "/levels/" + i + " (" + level.id() + ")";
        if (!ids.add(level.id())) problems.add(at + " id is used twice");
        semantic(level, at, problems);
        levels.add(level);
      }
    }
    if (!problems.isEmpty()) throw new IllegalStateException(where + ": " + String.join("; ", problems));
    return new ServiceLevelTable(policy, List.copyOf(levels));
  }

  private static Level level(JsonNode row, String at, List<String> problems) {
    if (!row.isObject()) {
      problems.add(at + " must be an object");
      return null;
    }
    int before = problems.size();
    onlyFields(row, at, problems, "id", "clause", "what", "process", "element", "kind", "limit", "limitWhen", "reference",
        "workingDays", "urgentLimit", "escalateTo", "interrupting");
    String id = text(row, "id", at, ID, "a camelCase id", problems);
    String clause = text(row, "clause", at, CLAUSE, "a clause such as D10 2C", problems);
    String what = text(row, "what", at, null, "a description", problems);
    String process = text(row, "process", at, PROCESS, "a process id", problems);
    String element = text(row, "element", at, ELEMENT, "an element id such as GM_APPROVAL", problems);
    String kind = text(row, "kind", at, null, "a kind", problems);
    if (kind != null && !KINDS.contains(kind)) problems.add(at + "/kind must be one of " + String.join(", ", KINDS.stream().sorted().toList()));
    String limit = optionalText(row, "limit", at, problems);
    LimitWhen limitWhen = null;
    if (row.has("limitWhen")) {
      JsonNode lw = row.get("limitWhen");
      String lwAt = at + "/limitWhen";
      if (!lw.isObject()) problems.add(lwAt + " must be an object {variable, equals, limit}");
      else {
        onlyFields(lw, lwAt, problems, "variable", "equals", "limit");
        String variable = text(lw, "variable", lwAt, VARIABLE_PATH, "a variable path", problems);
        JsonNode equals = lw.path("equals");
        if (!equals.isTextual() && !equals.isNumber() && !equals.isBoolean()) problems.add(lwAt + "/equals must be a string, number or boolean");
        String lwLimit = text(lw, "limit", lwAt, null, "an ISO 8601 duration", problems);
        if (lwLimit != null && !IsoDuration.isValid(lwLimit)) problems.add(lwAt + "/limit must be an ISO 8601 duration such as PT4H");
        limitWhen = new LimitWhen(variable, equals, lwLimit);
      }
    }
    String reference = optionalText(row, "reference", at, problems);
    if (reference != null && !VARIABLE_PATH.matcher(reference).matches()) problems.add(at + "/reference must be a variable path such as shipment.deliveryDate");
    JsonNode wd = row.path("workingDays");
    if (!wd.isMissingNode() && !wd.isBoolean()) problems.add(at + "/workingDays must be a boolean");
    String urgentLimit = optionalText(row, "urgentLimit", at, problems);
    if (urgentLimit != null && !IsoDuration.isValid(urgentLimit)) problems.add(at + "/urgentLimit must be an ISO 8601 duration");
    List<String> escalateTo = new ArrayList<>();
    JsonNode et = row.path("escalateTo");
    if (!et.isArray() || et.isEmpty()) problems.add(at + "/escalateTo must be a non-empty array of roles");
    else {
      for (int i = 0; i < et.size(); i++) {
        String role = et.get(i).asText("");
        if (!et.get(i).isTextual() || !ROLE.matcher(role).matches()) problems.add(at + "/escalateTo/" + i + " must be a role such as sales-manager");
        else if (escalateTo.contains(role)) problems.add(at + "/escalateTo/" + i + " is listed twice");
        else escalateTo.add(role);
      }
    }
    JsonNode interrupting = row.path("interrupting");
    if (!interrupting.isBoolean()) problems.add(at + "/interrupting must be a boolean");
    if (problems.size() > before) return null;
    return new Level(id, clause, what, process, element, kind, limit, limitWhen, reference, wd.asBoolean(false), urgentLimit,
        List.copyOf(escalateTo), interrupting.asBoolean());
  }

  /** The problems of rows that field checks cannot see (kind-specific fields). */
  private static void semantic(Level level, String at, List<String> problems) {
    String kind = level.kind();
    boolean timed = !kind.equals("month-end") && !kind.equals("daily-at");
    if (timed && !IsoDuration.isValid(level.limit())) problems.add(at + " limit must be an ISO 8601 duration such as PT4H or P1D");
    if (kind.equals("daily-at") && (level.limit() == null || !TIME.matcher(level.limit()).matches())) problems.add(at + " limit must be a local time HH:MM");
    if (kind.equals("month-end") && level.limit() != null) problems.add(at + " month-end takes no limit");
    boolean dated = kind.equals("before-date") || kind.equals("after-date");
    if (dated != (level.reference() != null)) problems.add(at + " " + (dated ? "needs" : "takes no") + " reference (the variable holding the date)");
    if (level.workingDays() && !kind.equals("before-date")) problems.add(at + " workingDays applies to before-date only");
    if (level.interrupting() && !timed) problems.add(at + " only a duration level can hand the work up");
  }

  private static void onlyFields(JsonNode node, String at, List<String> problems, String... allowed) {
    Set<String> known = Set.of(allowed);
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) problems.add(at + "/" + name + " is not a known field");
    }
  }

  private static String text(JsonNode node, String field, String at, Pattern pattern, String expected, List<String> problems) {
    JsonNode value = node.path(field);
    if (!value.isTextual() || value.asText().isEmpty()) {
      problems.add(at + "/" + field + " is required: " + expected);
      return null;
    }
    if (pattern != null && !pattern.matcher(value.asText()).matches()) {
      problems.add(at + "/" + field + " must be " + expected + " (is \"" + value.asText() + "\")");
      return null;
    }
    return value.asText();
  }

  private static String optionalText(JsonNode node, String field, String at, List<String> problems) {
    JsonNode value = node.path(field);
    if (value.isMissingNode() || value.isNull()) return null;
    if (!value.isTextual() || value.asText().isEmpty()) {
      problems.add(at + "/" + field + " must be a non-empty string");
      return null;
    }
    return value.asText();
  }
}

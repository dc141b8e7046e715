package org.orderflow.engine.sla;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The due instant of one service level for one guarded activity instance: what the process
 * variable {@code sla.<id>} holds, read by the timer, the user task's due and follow-up dates and
 * the escalation-notify worker.
 *
 * @param limit              the limit applied (after limitWhen and the urgent policy), e.g. "PT3H × 0.5"; null for month end
 * @param followUp           halfway to the due instant (the due instant itself when that has passed)
 * @param escalateTo         roles told when it is missed, comma-separated
 * @param activityInstanceId the guarded activity instance the instant belongs to
 */
public record Deadline(String id, String clause, String kind, String limit, boolean urgent, Instant startedAt, Instant due,
    Instant followUp, String escalateTo, boolean interrupting, String activityInstanceId) {

  /** ISO 8601 in UTC with milliseconds, the way the TypeScript side writes instants. */
  static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  Deadline in(String activityInstanceId) {
    return new Deadline(id, clause, kind, limit, urgent, startedAt, due, followUp, escalateTo, interrupting, activityInstanceId);
  }

  ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("id", id).put("clause", clause).put("kind", kind).put("limit", limit).put("urgent", urgent)
        .put("startedAt", ISO.format(startedAt)).put("due", ISO.format(due)).put("followUp", ISO.format(followUp))
        .put("escalateTo", escalateTo).put("interrupting", interrupting).put("activityInstanceId", activityInstanceId);
    return node;
  }

  static Deadline fromJson(JsonNode node) {
    return new Deadline(node.path("id").asText(), node.path("clause").asText(), node.path("kind").asText(),
        node.path("limit").isTextual() ? node.path("limit").asText() : null, node.path("urgent").asBoolean(),
        Instant.parse(node.path("startedAt").asText()), Instant.parse(node.path("due").asText()),
        Instant.parse(node.path("followUp").asText()), node.path("escalateTo").asText(), node.path("interrupting").asBoolean(),
        node.path("activityInstanceId").isTextual() ? node.path("activityInstanceId").asText() : null);
  }
}

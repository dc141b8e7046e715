package org.orderflow.engine.sla;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.orderflow.engine.sla.BusinessCalendarTest.at;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.operaton.bpm.engine.delegate.DelegateExecution;
import org.operaton.spin.Spin;
import org.operaton.spin.json.SpinJsonNode;

/** Deadlines of the service levels (port of test/lib/service-levels.test.ts: the same dates and expectations). */
class ServiceLevelsTest {

  static final Path PROJECT_TABLE = Path.of("..", "processes", "service-levels.json");

  final ServiceLevelTable table = ServiceLevelTable.load(PROJECT_TABLE);
  final BusinessCalendar calendar = BusinessCalendarTest.calendar(BusinessCalendarTest.SHANGHAI, Clock.systemUTC());

  static String shanghai(Instant instant) {
    return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").format(instant.atZone(BusinessCalendarTest.SHANGHAI));
  }

  Deadline deadline(ServiceLevelTable t, String id, String start, Map<String, Object> variables) {
    return new ServiceLevels(t, calendar, Clock.systemUTC()).deadlineOf(t.level(id).orElseThrow(), at(start), variables::get);
  }

  String due(String id, String start, Map<String, Object> variables) {
    return shanghai(deadline(table, id, start, variables).due());
  }

  String due(String id, String start) {
    return due(id, start, Map.of());
  }

  @Test
  void theProjectTableIsValidAndNamesALevelForEveryRowOfTheCatalogue() {
    assertThat(table.levels()).hasSizeGreaterThanOrEqualTo(24);
    assertThat(table.urgentPolicy().variable()).isEqualTo("order.priority");
  }

  @Test
  void aBrokenTableIsNamedWithTheFileAndTheField(@TempDir Path dir) throws Exception {
    String good = Files.readString(PROJECT_TABLE);
    Path file = dir.resolve("service-levels.json");
    Files.writeString(file, good.replace("\"limit\": \"PT2H\"", "\"limit\": \"2 hours\""));
    assertThatThrownBy(() -> ServiceLevelTable.load(file))
        .hasMessageContaining("service-levels.json").hasMessageContaining("(gmApproval) limit must be an ISO 8601 duration");
    Files.writeString(file, good.replace("\"id\": \"requirementTalk\"", "\"id\": \"operatorResponse\""));
    assertThatThrownBy(() -> ServiceLevelTable.load(file)).hasMessageContaining("(operatorResponse) id is used twice");
    Files.writeString(file, good.replace("\"reference\": \"shipment.deliveryDate\", ", ""));
    assertThatThrownBy(() -> ServiceLevelTable.load(file)).hasMessageContaining("(shippingInstruction) needs reference");
    Files.writeString(file, good.replace("\"kind\": \"month-end\"", "\"kind\": \"month-ending\""));
    assertThatThrownBy(() -> ServiceLevelTable.load(file)).hasMessageContaining("/kind must be one of");
    Files.writeString(file, good.replace("\"factor\": 0.5", "\"factor\": 2"));
    assertThatThrownBy(() -> ServiceLevelTable.load(file)).hasMessageContaining("/urgentPolicy/factor must be a number above 0, at most 1");
  }

  @Test
  void durationRealTimeNightsAndWeekendsIncluded() {
    assertThat(due("operatorResponse", "2026-11-27T17:00:00")).isEqualTo("2026-11-27 20:00");
    assertThat(due("changeReaction", "2026-11-28T23:50:00")).isEqualTo("2026-11-29 00:20");
  }

  @Test
  void workingDurationTwoWorkingHoursFromFriday1700EndMonday1000() {
    assertThat(due("gmApproval", "2026-11-27T17:00:00")).isEqualTo("2026-11-30 10:00");
    assertThat(due("gmApproval", "2026-11-24T07:00:00")).as("counted from the start of working hours").isEqualTo("2026-11-24 10:30");
  }

  @Test
  void workingDaysAcrossAPublicHolidayAndAMakeUpWorkingDay() {
    // 30 Sep counts; 1–7 Oct are holidays or weekend; Saturday 10 Oct is worked; Sunday 11 Oct is not.
    assertThat(due("paymentOverdue", "2026-09-29T10:00:00")).isEqualTo("2026-10-12 10:00");
  }

  @Test
  void beforeADate() {
    assertThat(due("shippingInstruction", "2026-11-24T10:00:00", Map.of("shipment", Map.of("deliveryDate", "2026-12-10T15:20:00+08:00"))))
        .isEqualTo("2026-12-09 15:20");
    assertThat(due("shippingInstruction", "2026-11-24T10:00:00", Map.of("shipment", Map.of("deliveryDate", "2026-12-10")))).isEqualTo("2026-12-09 08:30");
    assertThat(due("supplierContact", "2026-11-24T10:00:00", Map.of("purchaseRequest", Map.of("plannedArrival", "2026-10-12")))).isEqualTo("2026-09-29 08:30");
    assertThat(due("lateSupplier", "2026-11-24T10:00:00", Map.of("purchaseRequest", Map.of("plannedArrival", "2026-12-01")))).isEqualTo("2026-12-01 18:00");
    // No date to count back from: the limit runs from the start of the step.
    assertThat(due("shippingInstruction", "2026-11-24T10:00:00", Map.of("shipment", Map.of()))).isEqualTo("2026-11-25 10:00");
    assertThatThrownBy(() -> due("shippingInstruction", "2026-11-24T10:00:00", Map.of("shipment", Map.of("deliveryDate", "soon"))))
        .hasMessageContaining("shipment.deliveryDate = \"soon\" is not a date");
  }

  @Test
  void monthEndTheCloseOfTheLastWorkingDayOfTheMonthTheStepStartsIn() {
    assertThat(due("monthEndReconciliation", "2026-10-15T10:00:00")).isEqualTo("2026-10-30 17:30");
    assertThat(due("monthEndReconciliation", "2026-11-02T10:00:00")).isEqualTo("2026-11-30 17:30");
  }

  @Test
  void limitWhenCompleteSetsGet24HForTheProductionPlan() {
    assertThat(due("productionPlan", "2026-11-24T10:00:00", Map.of("order", Map.of("completeSet", true)))).isEqualTo("2026-11-25 10:00");
    assertThat(due("productionPlan", "2026-11-24T10:00:00", Map.of("order", Map.of()))).isEqualTo("2026-11-24 14:00");
    assertThat(due("packagingNotice", "2026-11-24T10:00:00", Map.of("productionPlan", Map.of("packingDate", "2026-12-10", "completeSet", true))))
        .isEqualTo("2026-12-07 08:30");
  }

  @Test
  void theUrgentPolicyShortensDurationAndWorkingDurationLevelsFromOnePlace() {
    Map<String, Object> urgent = Map.of("order", Map.of("priority", "urgent"));
    assertThat(due("operatorResponse", "2026-11-24T10:00:00", urgent)).isEqualTo("2026-11-24 11:30");
    assertThat(due("gmApproval", "2026-11-27T17:00:00", urgent)).as("1 working hour: 30 min on Friday, 30 min on Monday").isEqualTo("2026-11-30 09:00");
    assertThat(due("paymentOverdue", "2026-11-23T10:00:00", urgent)).as("5 working days × 0.5 = 2.5 working days of 7.5 h").isEqualTo("2026-11-25 15:15");
    assertThat(due("changeReaction", "2026-11-24T10:00:00", urgent)).as("never below the policy minimum").isEqualTo("2026-11-24 10:15");
    assertThat(due("shippingInstruction", "2026-11-24T10:00:00", Map.of("order", Map.of("priority", "urgent"), "shipment", Map.of("deliveryDate", "2026-12-10"))))
        .as("dates the plan fixes stay").isEqualTo("2026-12-09 08:30");
    ServiceLevelTable edited = new ServiceLevelTable(new ServiceLevelTable.UrgentPolicy("order.priority",
        table.urgentPolicy().equals(), 0.25, table.urgentPolicy().minimum()), table.levels());
    assertThat(shanghai(deadline(edited, "operatorResponse", "2026-11-24T10:00:00", urgent).due())).isEqualTo("2026-11-24 10:45");
    Deadline d = deadline(table, "operatorResponse", "2026-11-24T10:00:00", urgent);
    assertThat(List.of(d.urgent(), d.limit(), shanghai(d.followUp()))).containsExactly(true, "PT3H × 0.5", "2026-11-24 10:45");
  }

  @Test
  void variablesAreReadAsSpinJsonJsonTextOrPlainValues() {
    Map<String, Object> spin = Map.of("order", Spin.JSON("{\"priority\":\"urgent\",\"completeSet\":true}"));
    assertThat(due("operatorResponse", "2026-11-24T10:00:00", spin)).isEqualTo("2026-11-24 11:30");
    assertThat(due("productionPlan", "2026-11-24T10:00:00", spin)).as("24 h × 0.5").isEqualTo("2026-11-24 22:00");
    Map<String, Object> text = Map.of("order", "{\"priority\":\"urgent\"}");
    assertThat(due("operatorResponse", "2026-11-24T10:00:00", text)).isEqualTo("2026-11-24 11:30");
    Map<String, Object> date = Map.of("shipment", Map.of("deliveryDate", java.util.Date.from(at("2026-12-10T15:20:00"))));
    assertThat(due("shippingInstruction", "2026-11-24T10:00:00", date)).isEqualTo("2026-12-09 15:20");
  }

  /** An execution whose variables live in a map, in activity instance `activityInstance`. */
  static DelegateExecution execution(Map<String, Object> variables, AtomicReference<String> activityInstance) {
    DelegateExecution execution = mock(DelegateExecution.class);
    when(execution.getActivityInstanceId()).thenAnswer(i -> activityInstance.get());
    when(execution.getCurrentActivityId()).thenReturn("GM_APPROVAL");
    when(execution.getVariable(anyString())).thenAnswer(i -> variables.get(i.<String>getArgument(0)));
    org.mockito.Mockito.doAnswer(i -> variables.put(i.getArgument(0), i.getArgument(1))).when(execution).setVariable(anyString(), any());
    return execution;
  }

  @Test
  void theTimerAndTheTaskOfOneActivityInstanceGetTheSameInstantAndALoopANewOne() throws Exception {
    AtomicReference<Instant> now = new AtomicReference<>(at("2026-11-24T10:00:00"));
    Clock clock = new Clock() {
      public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
      public Clock withZone(java.time.ZoneId zone) { return this; }
      public Instant instant() { return now.get(); }
    };
    ServiceLevels levels = new ServiceLevels(table, calendar, clock);
    Map<String, Object> variables = new HashMap<>(Map.of("order", Spin.JSON("{\"priority\":\"normal\"}")));
    AtomicReference<String> activityInstance = new AtomicReference<>("GM_APPROVAL:1");
    DelegateExecution execution = execution(variables, activityInstance);

    java.util.Date timer = levels.due(execution, "operatorResponse");
    now.set(now.get().plusMillis(7));
    assertThat(levels.due(execution, "operatorResponse")).as("the task, evaluated a moment later").isEqualTo(timer);
    assertThat(levels.followUp(execution, "operatorResponse").toInstant()).isEqualTo(at("2026-11-24T11:30:00"));
    assertThat(shanghai(timer.toInstant())).isEqualTo("2026-11-24 13:00");

    JsonNode sla = new ObjectMapper().readTree(((SpinJsonNode) variables.get("sla")).toString());
    assertThat(sla.path("operatorResponse").path("activityInstanceId").asText()).isEqualTo("GM_APPROVAL:1");
    assertThat(sla.path("operatorResponse").path("due").asText()).isEqualTo("2026-11-24T05:00:00.000Z");
    assertThat(sla.path("operatorResponse").path("escalateTo").asText()).isEqualTo("sales-manager");

    activityInstance.set("GM_APPROVAL:2");
    now.set(at("2026-11-24T15:00:00"));
    assertThat(shanghai(levels.due(execution, "operatorResponse").toInstant())).as("the step entered again").isEqualTo("2026-11-24 18:00");
    assertThatThrownBy(() -> levels.due(execution, "noSuchLevel")).hasMessageContaining("\"noSuchLevel\", which processes/service-levels.json does not define");
  }

  @Test
  void slaClockNowSetsTheStartOfTheSteps() {
    ServiceLevels levels = new ServiceLevels(table, calendar, Clock.systemUTC());
    Map<String, Object> variables = new HashMap<>(Map.of("slaClock", Spin.JSON("{\"now\":\"2026-11-27T17:00:00+08:00\"}")));
    DelegateExecution execution = execution(variables, new AtomicReference<>("GM_APPROVAL:9"));
    assertThat(shanghai(levels.due(execution, "gmApproval").toInstant())).isEqualTo("2026-11-30 10:00");
  }
}

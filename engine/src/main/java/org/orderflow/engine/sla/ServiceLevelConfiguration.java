package org.orderflow.engine.sla;

import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The beans diagrams call in expressions: {@code businessCalendar} and {@code serviceLevels},
 * read at start from {@code business-calendar.json} and {@code service-levels.json} in the folder
 * {@code orderflow.processes-dir} (env ORDER_FLOW_PROCESSES_DIR, default ../processes from engine/).
 * A broken file stops the start, naming the file and the field.
 */
@Configuration
public class ServiceLevelConfiguration {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceLevelConfiguration.class);

  @Bean
  public BusinessCalendar businessCalendar(@Value("${orderflow.processes-dir:${ORDER_FLOW_PROCESSES_DIR:../processes}}") String dir) {
    Path file = Path.of(dir).toAbsolutePath().normalize().resolve("business-calendar.json");
    BusinessCalendar calendar = BusinessCalendar.load(file, Clock.systemUTC());
    int year = LocalDate.now(calendar.zone()).getYear();
    if (!calendar.hasHolidaysIn(year)) {
      LOG.warn("{} lists no public holidays for {}: only weekends count as days off; add this year's dates (State Council notice)", file, year);
    }
    LOG.info("business calendar {} loaded ({}, {} working minutes a day)", file, calendar.zone(), calendar.minutesPerDay());
    return calendar;
  }

  @Bean
  public ServiceLevels serviceLevels(@Value("${orderflow.processes-dir:${ORDER_FLOW_PROCESSES_DIR:../processes}}") String dir,
      BusinessCalendar businessCalendar) {
    Path file = Path.of(dir).toAbsolutePath().normalize().resolve("service-levels.json");
    ServiceLevelTable table = ServiceLevelTable.load(file);
    LOG.info("service levels {} loaded ({} levels)", file, table.levels().size());
    return new ServiceLevels(table, businessCalendar, Clock.systemUTC());
  }
}

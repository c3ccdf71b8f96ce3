import { Duration, aws_events as events } from 'aws-cdk-lib';

/**
 * When the reporter publishes its registry summary, and the period each one covers.
 *
 * Built like `events.Schedule`, with static factories. The summary reads the whole ledger once
 * (a parallel Scan) and publishes one message to the topic, with the message attribute `kind`
 * `summary` ("The registry summary" in docs/how-it-works.md).
 */
export class SummarySchedule {
  /**
   * A summary every Monday at 08:00 UTC, of the week before.
   */
  public static weekly(): SummarySchedule {
    return new SummarySchedule(events.Schedule.cron({ weekDay: 'MON', hour: '8', minute: '0' }), Duration.days(7));
  }

  /**
   * A summary on `schedule`, each of the `period` before it.
   *
   * @param schedule When to publish, for example `events.Schedule.cron({ hour: '7', minute: '0' })`.
   * @param period What each summary's "in the period" figures cover, 1 hour to 366 days, usually the time between two runs.
   */
  public static every(schedule: events.Schedule, period: Duration): SummarySchedule {
    return new SummarySchedule(schedule, period);
  }

  /**
   * No summary: no summary function is created.
   */
  public static off(): SummarySchedule {
    return new SummarySchedule(undefined, undefined);
  }

  /**
   * When summaries are published, undefined for `off()`.
   */
  public readonly schedule?: events.Schedule;

  /**
   * The period each summary covers, undefined for `off()`.
   */
  public readonly period?: Duration;

  private constructor(schedule: events.Schedule | undefined, period: Duration | undefined) {
    this.schedule = schedule;
    this.period = period;
  }
}

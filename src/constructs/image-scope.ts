import { Duration } from 'aws-cdk-lib';

/**
 * Which images a part of the reporter spends its work on: `rescanScope` (scans) and `reportScope` (reports).
 *
 * Built like `events.Schedule`, with static factories. An image whose use cannot be told (no
 * in-use discovery recent enough, the ledger unreadable) counts as in use, so a failure costs
 * scans and reports, never a missed one. The README's "Images that matter" has the whole rule.
 */
export class ImageScope {
  /**
   * Every image of the selected repositories, whether it runs or not.
   */
  public static all(): ImageScope {
    return new ImageScope('all');
  }

  /**
   * Images that run: seen by the last in-use discovery in an ECS task or service, or a Lambda
   * function of package type Image, or counted in use by Amazon Inspector.
   */
  public static inUse(): ImageScope {
    return new ImageScope('in-use');
  }

  /**
   * Images that ECR last recorded pulling within `duration` (a push counts as a pull), at least 1 day.
   *
   * ECR refreshes `lastRecordedPullTime` about once a day and ignores Amazon Inspector's pulls.
   * @param duration how recent the last pull must be, in whole days, for example `Duration.days(90)`
   */
  public static pulledWithin(duration: Duration): ImageScope {
    return new ImageScope('pulled-within', duration);
  }

  /**
   * Images that run, or that ECR last recorded pulling within `duration` (a push counts as a pull).
   * @param duration how recent the last pull must be, in whole days, for example `Duration.days(30)`
   */
  public static inUseOrPulledWithin(duration: Duration): ImageScope {
    return new ImageScope('in-use-or-pulled-within', duration);
  }

  /**
   * The scope's kind: `all`, `in-use`, `pulled-within` or `in-use-or-pulled-within`.
   */
  public readonly kind: string;

  /**
   * How recent a pull must be, for the pull-based kinds.
   */
  public readonly pulledWithinDuration?: Duration;

  private constructor(kind: string, pulledWithinDuration?: Duration) {
    this.kind = kind;
    this.pulledWithinDuration = pulledWithinDuration;
  }
}

import { Duration } from 'aws-cdk-lib';

/**
 * Which images a part of the reporter spends its work on: `rescanScope` (scans) and `reportScope` (reports).
 *
 * Built like `events.Schedule`, with static factories. An image whose use cannot be told (no
 * in-use discovery recent enough, the ledger unreadable) counts as in use, so a failure costs
 * scans and reports, never a missed one. "Scopes" in docs/what-matters.md has the whole rule.
 */
export class ImageScope {
  /**
   * A scope of every image of the selected repositories, whether it runs or not.
   */
  public static all(): ImageScope {
    return new ImageScope('all');
  }

  /**
   * A scope of the images that run, as the last in-use discovery or Amazon Inspector saw them.
   *
   * An image runs when the discovery saw it in an ECS task or service, or a Lambda function of
   * package type Image, or when Amazon Inspector counts it in use. Needs `inUseDiscovery`.
   */
  public static inUse(): ImageScope {
    return new ImageScope('in-use');
  }

  /**
   * A scope of the images that ECR last recorded pulling within `duration`, at least 1 day.
   *
   * A push counts as a pull. ECR refreshes `lastRecordedPullTime` about once a day and ignores
   * Amazon Inspector's pulls.
   * @param duration How recent the last pull must be, in whole days, for example `Duration.days(90)`.
   */
  public static pulledWithin(duration: Duration): ImageScope {
    return new ImageScope('pulled-within', duration);
  }

  /**
   * A scope of the images that run, or that ECR last recorded pulling within `duration`.
   *
   * What runs is as in `inUse()`, and the pulls as in `pulledWithin()`: a push counts as a pull.
   * @param duration How recent the last pull must be, in whole days, for example `Duration.days(30)`.
   */
  public static inUseOrPulledWithin(duration: Duration): ImageScope {
    return new ImageScope('in-use-or-pulled-within', duration);
  }

  /**
   * The scope's kind: `all`, `in-use`, `pulled-within` or `in-use-or-pulled-within`.
   */
  public readonly kind: string;

  /**
   * How recent a pull must be, for the pull-based kinds (undefined for the others).
   */
  public readonly pulledWithinDuration?: Duration;

  private constructor(kind: string, pulledWithinDuration?: Duration) {
    this.kind = kind;
    this.pulledWithinDuration = pulledWithinDuration;
  }
}

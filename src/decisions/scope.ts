/**
 * Which images matter: the rule behind the construct's `ImageScope` (`rescanScope`, which
 * images get scans, and `reportScope`, which images get reports). Plain module, no AWS client.
 *
 * | scope | an image is in scope when |
 * |---|---|
 * | `all` | always (the default, the behaviour before scopes) |
 * | `in-use` | the last in-use discovery saw it running (ECS, Lambda) or Amazon Inspector counts it in use; or nothing can tell (no discovery recent enough, the ledger unreadable) |
 * | `pulled-within:<days>` | ECR's `lastRecordedPullTime`, or the push when it was never pulled, is at most that many days old |
 * | `in-use-or-pulled-within:<days>` | either of the two rows above |
 *
 * "Nothing can tell" counts as in scope: a lost ledger or a failed discovery costs scans and
 * reports, never a missed one. A push counts as a pull for `pulled-within`, so a new image is in
 * scope before its first deployment pulls it.
 */
import type { InUseStatus } from './in-use';

export type ScopeKind = 'all' | 'in-use' | 'pulled-within' | 'in-use-or-pulled-within';

export interface ImageScopeConfig {
  readonly kind: ScopeKind;
  /** For the pull-based kinds: how recent the last pull (or the push) must be. */
  readonly pulledWithinDays?: number;
}

export const ALL_IMAGES: ImageScopeConfig = { kind: 'all' };
/** `lastRecordedPullTime` is refreshed about once a day: a shorter window would drop images pulled today. */
export const MIN_PULLED_WITHIN_DAYS = 1;
export const MAX_PULLED_WITHIN_DAYS = 3650;

/** The form the functions' environment carries: `all`, `in-use`, `pulled-within:90`, `in-use-or-pulled-within:90`. */
export function scopeToString(scope: ImageScopeConfig): string {
  return scope.pulledWithinDays === undefined ? scope.kind : `${scope.kind}:${scope.pulledWithinDays}`;
}

export function parseScope(value: string | undefined): ImageScopeConfig {
  if (value === undefined || value === '' || value === 'all') return ALL_IMAGES;
  if (value === 'in-use') return { kind: 'in-use' };
  const match = /^(pulled-within|in-use-or-pulled-within):(\d+)$/.exec(value);
  const days = match ? Number(match[2]) : NaN;
  if (!match || days < MIN_PULLED_WITHIN_DAYS || days > MAX_PULLED_WITHIN_DAYS) {
    throw new Error(
      `an image scope must be all, in-use, pulled-within:DAYS or in-use-or-pulled-within:DAYS with DAYS from ${MIN_PULLED_WITHIN_DAYS} to ${MAX_PULLED_WITHIN_DAYS}; got ${JSON.stringify(value)}`,
    );
  }
  return { kind: match[1] as ScopeKind, pulledWithinDays: days };
}

/** Whether the scope asks where images run (and so needs the in-use discovery). */
export function scopeNeedsInUse(scope: ImageScopeConfig): boolean {
  return scope.kind === 'in-use' || scope.kind === 'in-use-or-pulled-within';
}

export interface ScopeInput {
  readonly now: Date;
  readonly inUse: InUseStatus;
  /** ECR's `lastRecordedPullTime`. */
  readonly lastPulledAt?: Date;
  /** ECR's `imagePushedAt`. */
  readonly pushedAt?: Date;
}

export type ScopeReason = 'all-images' | 'in-use' | 'in-use-unknown' | 'pulled-recently' | 'pull-time-unknown' | 'not-in-use' | 'not-pulled-recently' | 'neither';

export interface ScopeVerdict {
  readonly inScope: boolean;
  readonly reason: ScopeReason;
}

function pulledRecently(scope: ImageScopeConfig, input: ScopeInput): boolean | undefined {
  const last = [input.lastPulledAt, input.pushedAt].filter((d): d is Date => d !== undefined && !Number.isNaN(d.getTime()));
  if (last.length === 0) return undefined;
  const latest = Math.max(...last.map((d) => d.getTime()));
  return input.now.getTime() - latest <= (scope.pulledWithinDays ?? 0) * 86_400_000;
}

export function decideScope(scope: ImageScopeConfig, input: ScopeInput): ScopeVerdict {
  const inScope = (reason: ScopeReason): ScopeVerdict => ({ inScope: true, reason });
  const out = (reason: ScopeReason): ScopeVerdict => ({ inScope: false, reason });
  switch (scope.kind) {
    case 'all':
      return inScope('all-images');
    case 'in-use':
      return input.inUse === 'running' ? inScope('in-use') : input.inUse === 'unknown' ? inScope('in-use-unknown') : out('not-in-use');
    case 'pulled-within': {
      const recent = pulledRecently(scope, input);
      return recent === undefined ? inScope('pull-time-unknown') : recent ? inScope('pulled-recently') : out('not-pulled-recently');
    }
    case 'in-use-or-pulled-within': {
      if (input.inUse === 'running') return inScope('in-use');
      const recent = pulledRecently(scope, input);
      if (recent) return inScope('pulled-recently');
      if (input.inUse === 'unknown') return inScope('in-use-unknown');
      return recent === undefined ? inScope('pull-time-unknown') : out('neither');
    }
  }
}

/**
 * The construct's in-use settings in the form the functions read: a scope's environment
 * variable, and how long a completed discovery's view holds for a schedule. Internal: not part
 * of the jsii API.
 */
import { aws_events as events } from 'aws-cdk-lib';
import type { ImageScope } from './image-scope';
import { ImageScopeConfig, scopeToString } from '../decisions/scope';
import { DEFAULTS } from '../decisions/settings';

/** The environment variable of a scope, left out for the default (every image). */
export function scopeEnvironment(name: string, scope: ImageScope | undefined): Record<string, string> {
  const config = imageScopeConfig(scope);
  return config.kind === 'all' ? {} : { [name]: scopeToString(config) };
}

/** The plain form of an `ImageScope` (validated by props-validation.ts). */
export function imageScopeConfig(scope: ImageScope | undefined): ImageScopeConfig {
  if (!scope) return { kind: 'all' };
  const days = scope.pulledWithinDuration?.toDays({ integral: false });
  return { kind: scope.kind as ImageScopeConfig['kind'], ...(days !== undefined ? { pulledWithinDays: days } : {}) };
}

/**
 * How long a completed discovery's view holds: two cycles and an hour, so one failed discovery
 * does not make running images look unused. The cycle is the schedule's rate, or a day for the
 * default and for cron expressions that run daily or more often; a week for other cron expressions.
 */
export function inUseHoldSeconds(schedule: events.Schedule | undefined): number {
  const hour = 3600;
  if (!schedule) return DEFAULTS.inUseHoldSeconds;
  const expression = schedule.expressionString;
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const unit = rate[2].startsWith('minute') ? 60 : rate[2].startsWith('hour') ? hour : 86_400;
    return Math.max(DEFAULTS.inUseHoldSeconds, 2 * Number(rate[1]) * unit + hour);
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+))?\)$/.exec(expression);
  const daily = cron !== null && ['*', '?'].includes(cron[3]) && ['*', '?'].includes(cron[5]) && ['*', '?'].includes(cron[4]);
  return daily ? DEFAULTS.inUseHoldSeconds : 2 * 7 * 86_400 + hour;
}

/**
 * Where an image runs: the places the in-use discovery saw it (ECS services and tasks, Lambda
 * functions of package type Image), as the ledger keeps them, and the sentence a report says
 * about them. Plain module, no AWS client.
 *
 * - Each discovery writes, on the image digest's ledger item, an `inUse` map of places, each with
 *   the time it was seen (`seenAt`). When a discovery completes, it writes a marker item
 *   (`discovery` / `in-use`) with the time it started and ended.
 * - A digest is `running` when one of its places was seen by the last completed discovery or
 *   the one under way (seen at or after the last completed one started); `not-running` when none
 *   was; `unknown` when no discovery completed within the hold (two cycles and an hour), or the
 *   discovery is off. Places older than the last completed discovery are dropped at the next write.
 * - Amazon Inspector's `inUseCount` (enhanced scanning) counts too: more than 0 is `running`.
 */

export type InUseStatus = 'running' | 'not-running' | 'unknown';
export type PlaceKind = 'ecs-service' | 'ecs-task' | 'lambda' | 'inspector';

/** One place a digest runs, as a discovery saw it. */
export interface InUsePlace {
  readonly kind: PlaceKind;
  /** The ECS service, the task definition family (tasks outside a service), the Lambda function, or "Amazon Inspector". */
  readonly name: string;
  readonly cluster?: string;
  /** Running tasks (ECS), or Inspector's in-use count. */
  readonly count?: number;
  readonly seenAt: Date;
}

/** The marker of the last completed discovery. */
export interface DiscoveryMarker {
  readonly startedAt: Date;
  readonly completedAt: Date;
}

/** Places kept per digest: the most recently seen first. */
export const MAX_PLACES_KEPT = 50;
/** Places a report names; the rest are counted. */
export const MAX_PLACES_LISTED = 20;

export function placeKey(place: Pick<InUsePlace, 'kind' | 'name' | 'cluster'>): string {
  return `${place.kind}:${place.cluster ? `${place.cluster}/` : ''}${place.name}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const KINDS: readonly PlaceKind[] = ['ecs-service', 'ecs-task', 'lambda', 'inspector'];

function parseDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * The places of a ledger item's `inUse` attribute (as the document client returns it). A place
 * that does not parse is left out: the worst it costs is an image read as not running, which
 * the next discovery corrects.
 */
export function parseInUse(value: unknown): InUsePlace[] {
  if (!isObject(value) || !isObject(value.places)) return [];
  const places: InUsePlace[] = [];
  for (const raw of Object.values(value.places)) {
    if (!isObject(raw)) continue;
    const seenAt = parseDate(raw.seenAt);
    if (!seenAt || !KINDS.includes(raw.kind as PlaceKind) || typeof raw.name !== 'string' || raw.name === '') continue;
    places.push({
      kind: raw.kind as PlaceKind,
      name: raw.name,
      ...(typeof raw.cluster === 'string' && raw.cluster !== '' ? { cluster: raw.cluster } : {}),
      ...(typeof raw.count === 'number' && Number.isInteger(raw.count) && raw.count >= 0 ? { count: raw.count } : {}),
      seenAt,
    });
  }
  return places;
}

export function parseDiscoveryMarker(item: unknown): DiscoveryMarker | undefined {
  if (!isObject(item)) return undefined;
  const startedAt = parseDate(item.startedAt);
  const completedAt = parseDate(item.completedAt);
  return startedAt && completedAt && startedAt.getTime() <= completedAt.getTime() ? { startedAt, completedAt } : undefined;
}

/**
 * The places to store after a discovery saw `seen` (all at the same `seenAt`): those seen now,
 * and those already stored that are not older than the last completed discovery's start, the
 * most recent first, at most `MAX_PLACES_KEPT`.
 */
export function mergePlaces(stored: readonly InUsePlace[], seen: readonly InUsePlace[], marker: DiscoveryMarker | undefined): InUsePlace[] {
  const byKey = new Map<string, InUsePlace>();
  const keepFrom = marker?.startedAt.getTime() ?? -Infinity;
  for (const place of stored) if (place.seenAt.getTime() >= keepFrom) byKey.set(placeKey(place), place);
  for (const place of seen) {
    const key = placeKey(place);
    const known = byKey.get(key);
    // Two invocations of one discovery see the same place once each; the later count wins.
    if (!known || known.seenAt.getTime() <= place.seenAt.getTime()) byKey.set(key, place);
  }
  const latestFirst = (a: InUsePlace, b: InUsePlace) => b.seenAt.getTime() - a.seenAt.getTime() || placeKey(a).localeCompare(placeKey(b));
  return [...byKey.values()].sort(latestFirst).slice(0, MAX_PLACES_KEPT);
}

/** The places as the ledger stores them: a map by place key, dates as ISO-8601. */
export function storedInUse(places: readonly InUsePlace[]): { places: Record<string, Record<string, unknown>> } {
  return {
    places: Object.fromEntries(
      places.map((p) => [
        placeKey(p),
        {
          kind: p.kind,
          name: p.name,
          ...(p.cluster ? { cluster: p.cluster } : {}),
          ...(p.count !== undefined ? { count: p.count } : {}),
          seenAt: p.seenAt.toISOString(),
        },
      ]),
    ),
  };
}

export interface InUseInput {
  readonly now: Date;
  /** Whether the in-use discovery is on; off: the status is `unknown`. */
  readonly discoveryOn: boolean;
  /** How long a completed discovery's view holds. */
  readonly holdMs: number;
  readonly marker?: DiscoveryMarker;
  /** The digest's stored places; undefined when the ledger could not be read. */
  readonly places?: readonly InUsePlace[];
  /** Amazon Inspector's in-use data, from enhanced findings. */
  readonly inspector?: { readonly inUseCount?: number; readonly lastInUseAt?: Date };
}

export interface InUseView {
  readonly status: InUseStatus;
  /** The places current now, most tasks first. */
  readonly places: readonly InUsePlace[];
  /** Why the status is unknown, for the report's sentence. */
  readonly unknownBecause?: 'discovery-off' | 'no-recent-discovery' | 'ledger-unreadable';
}

/** The digest's in-use status from what the ledger holds (see the module's comment). */
export function inUseView(input: InUseInput): InUseView {
  const inspector: InUsePlace[] =
    input.inspector?.inUseCount !== undefined && input.inspector.inUseCount > 0
      ? [{ kind: 'inspector', name: 'Amazon Inspector', count: input.inspector.inUseCount, seenAt: input.inspector.lastInUseAt ?? input.now }]
      : [];
  const sorted = (places: InUsePlace[]) => places.sort((a, b) => (b.count ?? 0) - (a.count ?? 0) || placeKey(a).localeCompare(placeKey(b)));
  if (!input.discoveryOn) {
    return inspector.length > 0 ? { status: 'running', places: inspector } : { status: 'unknown', places: [], unknownBecause: 'discovery-off' };
  }
  if (input.places === undefined) {
    return inspector.length > 0 ? { status: 'running', places: inspector } : { status: 'unknown', places: [], unknownBecause: 'ledger-unreadable' };
  }
  // Current: seen by the last completed discovery (or the one under way), and within the hold, so a discovery
  // that stopped completing turns "running" into "unknown" rather than repeating an old view.
  const from = input.marker?.startedAt.getTime() ?? -Infinity;
  const current = input.places.filter((p) => p.seenAt.getTime() >= from && input.now.getTime() - p.seenAt.getTime() <= input.holdMs);
  const places = sorted([...current, ...inspector]);
  if (places.length > 0) return { status: 'running', places };
  const recent = input.marker !== undefined && input.now.getTime() - input.marker.completedAt.getTime() <= input.holdMs;
  return recent ? { status: 'not-running', places: [] } : { status: 'unknown', places: [], unknownBecause: 'no-recent-discovery' };
}

function describePlace(place: InUsePlace): string {
  switch (place.kind) {
    case 'ecs-service':
      return `ECS service ${place.name} (cluster ${place.cluster ?? '?'}, ${place.count ?? 0} task${place.count === 1 ? '' : 's'})`;
    case 'ecs-task':
      return `ECS tasks of ${place.name} (cluster ${place.cluster ?? '?'}, ${place.count ?? 0} task${place.count === 1 ? '' : 's'})`;
    case 'lambda':
      return `Lambda ${place.name}`;
    case 'inspector':
      return `Amazon Inspector counts it in use${place.count !== undefined ? ` (${place.count})` : ''}`;
  }
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const daysBetween = (from: Date, to: Date) => Math.floor((to.getTime() - from.getTime()) / 86_400_000);

/**
 * The report's sentence: "Running in: ECS service payments-api (cluster prod, 4 tasks), Lambda
 * resize-images. Last pulled 2026-11-30.", "Not running, not pulled for 94 days (last pulled
 * 2026-08-28).", "Unknown (no in-use discovery in the last 49 hours). Never pulled, pushed 2026-10-01."
 */
export function inUseSummary(view: InUseView, pulls: { lastPulledAt?: Date; pushedAt?: Date; now: Date }, holdHours: number): string {
  const listed = view.places.slice(0, MAX_PLACES_LISTED).map(describePlace);
  const more = view.places.length - listed.length;
  const pulled = pulls.lastPulledAt
    ? `last pulled ${day(pulls.lastPulledAt)}`
    : pulls.pushedAt
      ? `never pulled, pushed ${day(pulls.pushedAt)}`
      : undefined;
  const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  switch (view.status) {
    case 'running':
      return `Running in: ${listed.join(', ')}${more > 0 ? ` and ${more} more` : ''}.${pulled ? ` ${sentence(pulled)}.` : ''}`;
    case 'not-running': {
      if (pulls.lastPulledAt) {
        const days = daysBetween(pulls.lastPulledAt, pulls.now);
        return days >= 1 ? `Not running, not pulled for ${days} day${days === 1 ? '' : 's'} (last pulled ${day(pulls.lastPulledAt)}).` : `Not running; last pulled ${day(pulls.lastPulledAt)}.`;
      }
      return `Not running${pulled ? `, ${pulled}` : ''}.`;
    }
    case 'unknown': {
      const why =
        view.unknownBecause === 'discovery-off'
          ? 'the in-use discovery is off'
          : view.unknownBecause === 'ledger-unreadable'
            ? 'the ledger could not be read'
            : `no in-use discovery in the last ${holdHours} hours`;
      return `Unknown (${why}).${pulled ? ` ${sentence(pulled)}.` : ''}`;
    }
  }
}

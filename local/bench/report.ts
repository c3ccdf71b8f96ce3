/**
 * The benchmark's result document (written as JSON) and its Markdown rendering, with the
 * issue's targets judged against the measured figures. Plain functions, no I/O.
 */
import type { BundleBudget } from './bundles';
import { CallCounts, Correctness, Floor, ratio } from './measure';
import type { RegistrySummary } from './registry';
import { DayRecord, WeekSettings, WeekSide, WeekSummary, renderWeek } from './week-report';

export interface Spread {
  readonly median: number;
  readonly runs: readonly number[];
}

export interface SideResult {
  /** e.g. "cdk-ecr-scan-reporter (this library)". */
  readonly name: string;
  readonly calls: CallCounts;
  readonly correctness: Correctness;
  /** The daily cycle, first handler call to empty queue, seconds: the functions' stages added up. */
  readonly wallSeconds: Spread;
  /** CPU seconds (user + system) of the side's own processes during the cycle. */
  readonly cpuSeconds: Spread;
  /** CPU seconds the emulator spent serving the side during the cycle (NaN where /proc is missing). */
  readonly emulatorCpuSeconds: Spread;
  /** Peak resident memory of the largest function's process (one process per function, as in Lambda). */
  readonly peakRssMiB: Spread;
  /** Whether every run made exactly the same ECR calls. */
  readonly callsStable: boolean;
  /** Seconds the side would have slept (the Python tool's sleep calls, replaced by no-ops). */
  readonly wouldHaveSleptSeconds: number;
  readonly details: Record<string, unknown>;
  /** The week (`--days N`): one record per simulated day, day 1 first (the first run's). */
  readonly days?: readonly DayRecord[];
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly python?: string;
  readonly emulator: string;
  /** 1-minute load average when the bench started: the machine may be shared. */
  readonly loadAverage: number;
}

export interface Target {
  readonly target: string;
  readonly met: boolean | null;
  readonly measured: string;
}

export interface BenchResult {
  readonly command: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: Machine;
  readonly registry: RegistrySummary & { readonly seed: number; readonly scanExpiryDays: number };
  readonly floor: Floor;
  readonly runs: number;
  /** The one-day figures (day 1 of the week) and, in `days`, the week of this library as deployed (ledger, NEW_FINDINGS). */
  readonly library: SideResult;
  /** This library with reportOn EVERY_SCAN, the behaviour before the ledger. */
  readonly everyScan?: SideResult;
  /** This library with reportScope ImageScope.inUse(): reports on images that run only. */
  readonly inUse?: SideResult;
  readonly python?: SideResult;
  readonly bundles?: readonly BundleBudget[];
  /** Each figure of one side divided by the other's; null where the divisor is 0. */
  readonly ratios?: Ratios;
  readonly targets: readonly Target[];
  /** The week's settings, summaries by side key, and its targets (measured, never asserted). */
  readonly week?: {
    readonly settings: WeekSettings;
    readonly summaries: Record<string, WeekSummary>;
    readonly targets: readonly Target[];
  };
}

export type Ratios = Record<string, { readonly libraryToPython: number | null; readonly pythonToLibrary: number | null }>;

/** The ratio of each side's figures to the other's, for the JSON document. */
export function ratiosOf(library: SideResult, python: SideResult): Ratios {
  const figures: Record<string, [number, number]> = {
    ecrCalls: [library.calls.total, python.calls.total],
    ecrCallsPerImage: [library.calls.perImage, python.calls.perImage],
    dueMissed: [library.correctness.missed, python.correctness.missed],
    needlessScanAttempts: [library.correctness.needless, python.correctness.needless],
    wallSeconds: [library.wallSeconds.median, python.wallSeconds.median],
    cpuSeconds: [library.cpuSeconds.median, python.cpuSeconds.median],
    emulatorCpuSeconds: [library.emulatorCpuSeconds.median, python.emulatorCpuSeconds.median],
    peakRssMiB: [library.peakRssMiB.median, python.peakRssMiB.median],
  };
  for (const op of new Set([...Object.keys(library.calls.byOperation), ...Object.keys(python.calls.byOperation)])) {
    figures[`ecrCalls.${op}`] = [library.calls.byOperation[op] ?? 0, python.calls.byOperation[op] ?? 0];
  }
  return Object.fromEntries(
    Object.entries(figures).map(([name, [l, p]]) => [name, { libraryToPython: ratio(l, p), pythonToLibrary: ratio(p, l) }]),
  );
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits = 2) => n.toFixed(digits);
const pct = (fraction: number) => `${fraction >= 0 ? '+' : '−'}${Math.abs(fraction * 100).toFixed(1)} %`;
const times = (r: number | null) => (r === null ? '—' : r >= 100 ? `${int(r)}×` : `${r.toFixed(r >= 10 ? 1 : 2)}×`);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

export function judgeTargets(
  library: SideResult,
  python: SideResult | undefined,
  bundles: readonly BundleBudget[] | undefined,
  floor: Floor,
): Target[] {
  const targets: Target[] = [
    {
      target: 'ECR API calls within 5 % of the floor',
      met: library.calls.overFloor <= 0.05,
      measured: `${int(library.calls.total)} calls, floor ${int(floor.total)}: ${pct(library.calls.overFloor)}`,
    },
  ];
  if (python) {
    const r = ratio(library.calls.total, python.calls.total);
    targets.push({
      target: "fewer than half of the Python tool's ECR calls",
      met: r === null ? null : r < 0.5,
      measured: `${int(library.calls.total)} against ${int(python.calls.total)}: ${times(r)}`,
    });
  }
  const c = library.correctness;
  targets.push({
    target: 'no due image missed and no needless scan attempt',
    met: c.missed === 0 && c.needless === 0,
    measured: `${int(c.missed)} missed of ${int(c.due)} due, ${int(c.needless)} needless` +
      (python ? ` (Python tool: ${int(python.correctness.missed)} missed, ${int(python.correctness.needless)} needless)` : ''),
  });
  if (python) {
    const r = ratio(library.wallSeconds.median, python.wallSeconds.median);
    targets.push({
      target: "daily-cycle wall time at most a third of the Python tool's",
      met: r === null ? null : r <= 1 / 3,
      measured: `${fixed(library.wallSeconds.median, 1)} s against ${fixed(python.wallSeconds.median, 1)} s: ${times(r)}` +
        (python.wouldHaveSleptSeconds > 0 ? ` (the Python tool would also have slept ${int(python.wouldHaveSleptSeconds)} s)` : ''),
    });
  }
  for (const b of bundles ?? []) {
    targets.push({
      target: `${b.handler}: own code adds less than 25 % to the SDK-only baseline's import time`,
      met: b.addedOverSdk < 0.25,
      measured: `${fixed(b.coldImport.medianMs, 1)} ms against ${fixed(b.sdkBaseline.coldImport.medianMs, 1)} ms: ${pct(b.addedOverSdk)}`,
    });
  }
  return targets;
}

/** The comparison table: one row per figure, both sides, and each side's ratio to the other. */
export function sidesTable(result: Pick<BenchResult, 'library' | 'python' | 'floor' | 'runs'>): string {
  const { library: a, python: b, floor } = result;
  const header = b
    ? `| | ${a.name} | ${b.name} | library ÷ Python | Python ÷ library |\n|---|---:|---:|---:|---:|`
    : `| | ${a.name} |\n|---|---:|`;
  const rows: string[] = [header];
  const row = (label: string, x: number, y: number | undefined, show: (n: number) => string = int, ratios = true) => {
    rows.push(
      !b || y === undefined
        ? `| ${label} | ${show(x)} |`
        : `| ${label} | ${show(x)} | ${show(y)} | ${ratios ? times(ratio(x, y)) : ''} | ${ratios ? times(ratio(y, x)) : ''} |`,
    );
  };
  const text = (label: string, x: string, y: string | undefined) => rows.push(b ? `| ${label} | ${x} | ${y ?? ''} | | |` : `| ${label} | ${x} |`);
  row('ECR API calls (HTTP requests, retries included)', a.calls.total, b?.calls.total);
  row('ECR API calls per image', a.calls.perImage, b?.calls.perImage, (n) => fixed(n));
  text(`over the floor of ${int(floor.total)} calls`, pct(a.calls.overFloor), b && pct(b.calls.overFloor));
  const operations = [...new Set([...Object.keys(a.calls.byOperation), ...Object.keys(b?.calls.byOperation ?? {})])].sort();
  for (const op of operations) {
    const refused = (s: SideResult | undefined) => s?.calls.refusedByOperation[op] ?? 0;
    const cell = (s: SideResult) => `${int(s.calls.byOperation[op] ?? 0)}${refused(s) > 0 ? ` (${int(refused(s))} errors)` : ''}`;
    if (b) rows.push(`| · ${op} | ${cell(a)} | ${cell(b)} | ${times(ratio(a.calls.byOperation[op] ?? 0, b.calls.byOperation[op] ?? 0))} | ${times(ratio(b.calls.byOperation[op] ?? 0, a.calls.byOperation[op] ?? 0))} |`);
    else rows.push(`| · ${op} | ${cell(a)} |`);
  }
  row(`due images missed (of ${int(a.correctness.due)} due)`, a.correctness.missed, b?.correctness.missed, int, false);
  row('due images whose scan ECR accepted', a.correctness.started, b?.correctness.started, int, false);
  row('needless scan attempts', a.correctness.needless, b?.correctness.needless, int, false);
  text('· on images that were not due', int(a.correctness.needlessNotDue), b && int(b.correctness.needlessNotDue));
  text('· repeats on a due image (per tag, retries)', int(a.correctness.needlessRepeats), b && int(b.correctness.needlessRepeats));
  row(`wall time of the daily cycle, s (median of ${result.runs})`, a.wallSeconds.median, b?.wallSeconds.median, (n) => fixed(n, 1));
  row('· CPU time of its own processes, s', a.cpuSeconds.median, b?.cpuSeconds.median, (n) => fixed(n, 1));
  row('· CPU time of the emulator serving it, s', a.emulatorCpuSeconds.median, b?.emulatorCpuSeconds.median, (n) => fixed(n, 1));
  text('seconds it would have slept (sleep calls replaced by no-ops)', int(a.wouldHaveSleptSeconds), b && int(b.wouldHaveSleptSeconds));
  row('peak memory of the largest function (max RSS), MiB', a.peakRssMiB.median, b?.peakRssMiB.median, (n) => fixed(n, 0));
  return rows.join('\n');
}

export function bundlesTable(bundles: readonly BundleBudget[], samples: number): string {
  const rows = [
    `| handler | bundle (gzip) | own code in it | cold import, median of ${samples} | SDK-only baseline | added | SDK + Powertools baseline | added |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const b of bundles) {
    rows.push(
      `| ${b.handler} | ${kib(b.bytes)} (${kib(b.gzipBytes)}) | ${kib(b.ownCodeBytes)} | ${fixed(b.coldImport.medianMs, 1)} ms | ` +
        `${fixed(b.sdkBaseline.coldImport.medianMs, 1)} ms (${kib(b.sdkBaseline.bytes)}) | ${pct(b.addedOverSdk)} | ` +
        `${fixed(b.sdkPowertoolsBaseline.coldImport.medianMs, 1)} ms (${kib(b.sdkPowertoolsBaseline.bytes)}) | ${pct(b.addedOverSdkPowertools)} |`,
    );
  }
  return rows.join('\n');
}

export function targetsTable(targets: readonly Target[]): string {
  const mark = (m: boolean | null) => (m === null ? 'n/a' : m ? 'met' : '**not met**');
  return ['| target | result | measured |', '|---|---|---|', ...targets.map((t) => `| ${t.target} | ${mark(t.met)} | ${t.measured} |`)].join('\n');
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node.js ${m.node}` +
    `${m.python ? `, Python ${m.python}` : ''}; ${m.emulator}; load average ${m.loadAverage.toFixed(2)} at start`;
}

/** The sides that ran a week, under their JSON keys. */
export function weekSides(result: Pick<BenchResult, 'library' | 'everyScan' | 'python'> & Partial<Pick<BenchResult, 'inUse'>>): WeekSide[] {
  const sides: WeekSide[] = [];
  const all = [['library', result.library], ['everyScan', result.everyScan], ['inUse', result.inUse], ['python', result.python]] as const;
  for (const [key, side] of all) {
    if (side?.days) sides.push({ key, name: side.name, days: side.days });
  }
  return sides;
}

export function renderMarkdown(result: BenchResult, samples: number): string {
  const r = result.registry;
  const parts = [
    '## Day 1: the daily cycle, side by side',
    '',
    `Registry: ${int(r.repositories)} repositories, ${int(r.images)} images (${int(r.imageIds)} tag or digest ids; ` +
      `${int(r.untagged)} untagged, ${int(r.multiTag)} with several tags); never scanned ${int(r.byKind.never)}, ` +
      `fresh ${int(r.byKind.fresh)} (${int(r.scannedToday)} scanned today), expired ${int(r.byKind.expired)}, FAILED ${int(r.byKind.failed)}; ` +
      `${int(r.due)} due with a ${r.scanExpiryDays}-day expiry; seed ${r.seed}.`,
    `Floor: ${int(result.floor.statusReads)} status reads + ${int(result.floor.scans)} scans + ${int(result.floor.imageListPages)} image list pages ` +
      `+ ${int(result.floor.repositoryListPages)} repository list page(s) = ${int(result.floor.total)} ECR calls.`,
    '',
    sidesTable(result),
  ];
  if (result.bundles) parts.push('', bundlesTable(result.bundles, samples));
  parts.push('', targetsTable(result.targets));
  if (result.week) parts.push('', renderWeek(weekSides(result), result.week.settings, result.week.targets));
  parts.push('', `Machine: ${machineLine(result.machine)}.`, `Command: \`${result.command}\`; the run took ${fixed(result.durationSeconds, 0)} s.`);
  return parts.join('\n');
}

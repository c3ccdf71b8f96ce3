import type { BundleBudget } from '../../local/bench/bundles';
import { Floor } from '../../local/bench/measure';
import { SideResult, bundlesTable, judgeTargets, ratiosOf, sidesTable, targetsTable, weekSides } from '../../local/bench/report';

const FLOOR: Floor = { statusReads: 100, scans: 50, imageListPages: 4, repositoryListPages: 1, total: 155 };

function side(name: string, over: Partial<SideResult> & { total: number; wall: number; missed?: number; needless?: number }): SideResult {
  return {
    name,
    calls: {
      total: over.total,
      byOperation: { DescribeImages: 4, StartImageScan: over.total - 4 },
      refusedByOperation: { StartImageScan: 2 },
      perImage: over.total / 100,
      overFloor: over.total / FLOOR.total - 1,
    },
    correctness: {
      due: 50,
      missed: over.missed ?? 0,
      started: 50 - (over.missed ?? 0),
      scanRequests: 50,
      needless: over.needless ?? 0,
      needlessNotDue: over.needless ?? 0,
      needlessRepeats: 0,
      unknown: 0,
    },
    wallSeconds: { median: over.wall, runs: [over.wall] },
    cpuSeconds: { median: over.wall / 4, runs: [over.wall / 4] },
    emulatorCpuSeconds: { median: over.wall / 2, runs: [over.wall / 2] },
    peakRssMiB: { median: 80, runs: [80] },
    callsStable: true,
    wouldHaveSleptSeconds: over.wouldHaveSleptSeconds ?? 0,
    details: {},
  };
}

function bundle(handler: 'dispatch' | 'rescan' | 'report', ms: number, baselineMs: number): BundleBudget {
  return {
    handler,
    bytes: 512 * 1024,
    gzipBytes: 150 * 1024,
    ownCodeBytes: 10 * 1024,
    largestPackages: [],
    sdkImports: {},
    powertoolsImports: {},
    coldImport: { medianMs: ms, samplesMs: [ms] },
    sdkBaseline: { bytes: 500 * 1024, coldImport: { medianMs: baselineMs, samplesMs: [baselineMs] } },
    sdkPowertoolsBaseline: { bytes: 505 * 1024, coldImport: { medianMs: baselineMs, samplesMs: [baselineMs] } },
    addedOverSdk: ms / baselineMs - 1,
    addedOverSdkPowertools: ms / baselineMs - 1,
  };
}

describe('judgeTargets', () => {
  test('all met', () => {
    const targets = judgeTargets(side('lib', { total: 160, wall: 10 }), side('py', { total: 400, wall: 40, missed: 3, needless: 9 }), [bundle('rescan', 110, 100)], FLOOR);
    expect(targets.map((t) => t.met)).toEqual([true, true, true, true, true]);
    expect(targets[0].measured).toBe('160 calls, floor 155: +3.2 %');
    expect(targets[2].measured).toBe('0 missed of 50 due, 0 needless (Python tool: 3 missed, 9 needless)');
  });

  test('each target fails on its own figure, at its boundary', () => {
    const targets = judgeTargets(
      side('lib', { total: 163, wall: 13.4, needless: 1 }),
      side('py', { total: 326, wall: 40, wouldHaveSleptSeconds: 90 }),
      [bundle('dispatch', 125, 100), bundle('report', 124, 100)],
      FLOOR,
    );
    expect(targets.map((t) => [t.target, t.met])).toEqual([
      ['ECR API calls within 5 % of the floor', false],
      ["fewer than half of the Python tool's ECR calls", false],
      ['no due image missed and no needless scan attempt', false],
      ["daily-cycle wall time at most a third of the Python tool's", false],
      ["dispatch: own code adds less than 25 % to the SDK-only baseline's import time", false],
      ["report: own code adds less than 25 % to the SDK-only baseline's import time", true],
    ]);
    expect(targets[3].measured).toContain('would also have slept 90 s');
  });

  test('without the Python side only the targets about this library are judged', () => {
    expect(judgeTargets(side('lib', { total: 155, wall: 1 }), undefined, undefined, FLOOR).map((t) => t.target)).toEqual([
      'ECR API calls within 5 % of the floor',
      'no due image missed and no needless scan attempt',
    ]);
  });
});

test('sidesTable: both sides, every operation of either, ratios both ways, errors shown', () => {
  const a = side('this library', { total: 160, wall: 10 });
  const b = { ...side('python', { total: 400, wall: 40, missed: 3 }), calls: { ...side('python', { total: 400, wall: 40 }).calls, byOperation: { ListImages: 10, StartImageScan: 390 } } };
  const table = sidesTable({ library: a, python: b, floor: FLOOR, runs: 3 });
  const lines = table.split('\n');
  expect(lines[0]).toBe('| | this library | python | library ÷ Python | Python ÷ library |');
  expect(lines).toContain('| ECR API calls (HTTP requests, retries included) | 160 | 400 | 0.40× | 2.50× |');
  expect(lines).toContain('| over the floor of 155 calls | +3.2 % | +158.1 % | | |');
  expect(lines).toContain('| · DescribeImages | 4 | 0 | — | 0.00× |');
  expect(lines).toContain('| · ListImages | 0 | 10 | 0.00× | — |');
  expect(lines).toContain('| · StartImageScan | 156 (2 errors) | 390 (2 errors) | 0.40× | 2.50× |');
  expect(lines).toContain('| due images missed (of 50 due) | 0 | 3 |  |  |');
  expect(lines).toContain('| wall time of the daily cycle, s (median of 3) | 10.0 | 40.0 | 0.25× | 4.00× |');
  expect(lines).toContain('| · CPU time of the emulator serving it, s | 5.0 | 20.0 | 0.25× | 4.00× |');
  expect(lines).toContain('| peak memory of the largest function (max RSS), MiB | 80 | 80 | 1.00× | 1.00× |');
  // Every row has as many cells as the header.
  for (const line of lines) expect(line.split('|').length).toBe(lines[0].split('|').length);
});

test('sidesTable with one side has two columns', () => {
  const table = sidesTable({ library: side('this library', { total: 160, wall: 10 }), floor: FLOOR, runs: 1 });
  for (const line of table.split('\n')) expect(line.split('|').length).toBe(4);
});

test('bundlesTable and targetsTable', () => {
  expect(bundlesTable([bundle('rescan', 110, 100)], 20).split('\n')[2]).toBe(
    '| rescan | 512 KiB (150 KiB) | 10 KiB | 110.0 ms | 100.0 ms (500 KiB) | +10.0 % | 100.0 ms (505 KiB) | +10.0 % |',
  );
  expect(targetsTable([{ target: 't', met: false, measured: 'm' }, { target: 'u', met: true, measured: 'n' }])).toBe(
    '| target | result | measured |\n|---|---|---|\n| t | **not met** | m |\n| u | met | n |',
  );
});

test('ratiosOf: each figure both ways, per operation too, null where a side has zero', () => {
  const ratios = ratiosOf(side('lib', { total: 160, wall: 10 }), side('py', { total: 400, wall: 40, missed: 3 }));
  expect(ratios.ecrCalls).toEqual({ libraryToPython: 0.4, pythonToLibrary: 2.5 });
  expect(ratios.wallSeconds).toEqual({ libraryToPython: 0.25, pythonToLibrary: 4 });
  expect(ratios['ecrCalls.StartImageScan']).toEqual({ libraryToPython: 156 / 396, pythonToLibrary: 396 / 156 });
  expect(ratios.dueMissed).toEqual({ libraryToPython: 0, pythonToLibrary: null });
  expect(ratios.needlessScanAttempts).toEqual({ libraryToPython: null, pythonToLibrary: null });
});

test('weekSides: the sides that ran a week, in the order library, EVERY_SCAN, reportScope inUse, Python', () => {
  const withDays = (name: string) => ({ ...side(name, { total: 1, wall: 1 }), days: [] });
  expect(weekSides({ library: withDays('l'), everyScan: undefined, inUse: withDays('u'), python: withDays('p') }).map((s) => [s.key, s.name])).toEqual([
    ['library', 'l'],
    ['inUse', 'u'],
    ['python', 'p'],
  ]);
  expect(weekSides({ library: withDays('l'), everyScan: withDays('e'), python: side('p', { total: 1, wall: 1 }) }).map((s) => s.key)).toEqual(['library', 'everyScan']);
});

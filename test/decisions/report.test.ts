import { ReportInput, Thresholds, decideReport, normalizeCounts, orderedSeverityNames, parseThresholds } from '../../src/decisions/report';
import completeEvent from '../fixtures/decisions/ecr-image-scan-complete.json';
import failedEvent from '../fixtures/decisions/ecr-image-scan-failed.json';
import untaggedEvent from '../fixtures/decisions/ecr-image-scan-untagged-no-counts.json';

describe('normalizeCounts', () => {
  test.each<[string, unknown, Record<string, number>, string[]]>([
    ['absent (undefined)', undefined, {}, []],
    ['null', null, {}, []],
    ['{} (ECR omits zero counts)', {}, {}, []],
    ['a string', 'CRITICAL: 2', {}, ['(not an object)']],
    ['a number', 7, {}, ['(not an object)']],
    ['a boolean', true, {}, ['(not an object)']],
    ['an array', [2, 3], {}, ['(not an object)']],
    ['an array of objects', [{ CRITICAL: 2 }], {}, ['(not an object)']],
    ['valid counts', { CRITICAL: 2, HIGH: 0, MEDIUM: 9 }, { CRITICAL: 2, HIGH: 0, MEDIUM: 9 }, []],
    ['a negative count', { CRITICAL: -1, HIGH: 3 }, { HIGH: 3 }, ['CRITICAL']],
    ['a fractional count', { HIGH: 1.5, LOW: 2 }, { LOW: 2 }, ['HIGH']],
    ['a numeric string', { MEDIUM: '3' }, {}, ['MEDIUM']],
    ['null, NaN, Infinity and an object as values', { CRITICAL: null, HIGH: NaN, MEDIUM: Infinity, LOW: { n: 1 } }, {}, ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']],
    ['lowercase keys', { critical: 2, high: 1, Medium: 4 }, { CRITICAL: 2, HIGH: 1, MEDIUM: 4 }, []],
    ['an unknown severity is kept by name', { UNTRIAGED: 4, HIGH: 1 }, { UNTRIAGED: 4, HIGH: 1 }, []],
  ])('%s', (_label, raw, counts, ignored) => {
    const result = normalizeCounts(raw);
    expect(result.counts).toEqual(counts);
    expect(result.ignored).toEqual(ignored);
  });

  test('the counts of a real COMPLETE event pass unchanged', () => {
    expect(normalizeCounts(completeEvent.detail['finding-severity-counts'])).toEqual({
      counts: { CRITICAL: 2, HIGH: 3, MEDIUM: 9, LOW: 14 },
      ignored: [],
    });
  });

  test('an event without finding-severity-counts has no counts and nothing ignored', () => {
    const detail = untaggedEvent.detail as Record<string, unknown>;
    expect(detail['finding-severity-counts']).toBeUndefined();
    expect(normalizeCounts(detail['finding-severity-counts'])).toEqual({ counts: {}, ignored: [] });
  });
});

const DEFAULT_LIKE: Thresholds = { CRITICAL: 1, HIGH: 1 };

function input(overrides: Partial<ReportInput>): ReportInput {
  return { scanStatus: 'COMPLETE', counts: {}, thresholds: DEFAULT_LIKE, notifyOnScanFailure: true, ...overrides };
}

describe('decideReport with thresholds {CRITICAL:1, HIGH:1}', () => {
  test.each<[string, Record<string, number>, boolean]>([
    ['no counts at all (nothing found)', {}, false],
    ['zero counts', { CRITICAL: 0, HIGH: 0 }, false],
    ['one CRITICAL (at the threshold)', { CRITICAL: 1 }, true],
    ['one HIGH (at the threshold)', { HIGH: 1 }, true],
    ['many of both (above)', { CRITICAL: 12, HIGH: 40 }, true],
    ['HIGH above, CRITICAL zero', { CRITICAL: 0, HIGH: 5 }, true],
    ['a huge MEDIUM count: MEDIUM has no threshold, so it is not evaluated', { MEDIUM: 1_000_000 }, false],
    ['LOW, INFORMATIONAL and UNDEFINED only', { LOW: 50, INFORMATIONAL: 7, UNDEFINED: 3 }, false],
    ['an unknown severity only', { UNTRIAGED: 9 }, false],
  ])('%s: due=%s', (_label, counts, due) => {
    const decision = decideReport(input({ counts }));
    expect(decision.due).toBe(due);
    expect(decision.reason).toBe(due ? 'threshold-reached' : 'below-threshold');
  });

  test('one evaluation per threshold, with the count (0 when missing) and whether it is reached', () => {
    const decision = decideReport(input({ counts: { HIGH: 3, MEDIUM: 8 } }));
    expect(decision.evaluations).toEqual([
      { severity: 'CRITICAL', count: 0, threshold: 1, breached: false },
      { severity: 'HIGH', count: 3, threshold: 1, breached: true },
    ]);
  });
});

describe('decideReport thresholds', () => {
  test.each<[string, Thresholds, Record<string, number>, boolean]>([
    ['below a threshold of 3', { CRITICAL: 3 }, { CRITICAL: 2 }, false],
    ['at a threshold of 3', { CRITICAL: 3 }, { CRITICAL: 3 }, true],
    ['above a threshold of 3', { CRITICAL: 3 }, { CRITICAL: 4 }, true],
    ['threshold 0 reports every completed scan, even without findings', { HIGH: 0 }, {}, true],
    ['threshold 0 with findings', { LOW: 0 }, { LOW: 2 }, true],
    ['no thresholds at all: nothing is evaluated', {}, { CRITICAL: 100 }, false],
    ['a MEDIUM threshold makes MEDIUM count', { MEDIUM: 10 }, { MEDIUM: 10 }, true],
    ['only one of several thresholds reached is enough', { CRITICAL: 1, HIGH: 5, MEDIUM: 20 }, { HIGH: 2, MEDIUM: 20 }, true],
  ])('%s: due=%s', (_label, thresholds, counts, due) => {
    expect(decideReport(input({ thresholds, counts })).due).toBe(due);
  });

  test('evaluations are ordered most severe first, whatever the order of the thresholds', () => {
    const decision = decideReport(input({ thresholds: { LOW: 1, CRITICAL: 1, UNDEFINED: 4, MEDIUM: 2 }, counts: { MEDIUM: 2 } }));
    expect(decision.evaluations.map((e) => e.severity)).toEqual(['CRITICAL', 'MEDIUM', 'LOW', 'UNDEFINED']);
    expect(decision.evaluations.map((e) => e.breached)).toEqual([false, true, false, false]);
  });

  test('no thresholds means no evaluations', () => {
    expect(decideReport(input({ thresholds: {}, counts: { CRITICAL: 3 } })).evaluations).toEqual([]);
  });
});

describe('decideReport scan status', () => {
  test.each<[string, ReportInput, boolean, string]>([
    ['FAILED, failures reported', input({ scanStatus: 'FAILED', notifyOnScanFailure: true }), true, 'scan-failed'],
    ['FAILED, failures not reported', input({ scanStatus: 'FAILED', notifyOnScanFailure: false }), false, 'scan-failed-not-reported'],
    ['IN_PROGRESS (never sent in this event) with counts over the thresholds', input({ scanStatus: 'IN_PROGRESS', counts: { CRITICAL: 5 } }), false, 'unexpected-scan-status'],
    ['lowercase complete', input({ scanStatus: 'complete', counts: { CRITICAL: 5 } }), false, 'unexpected-scan-status'],
    ['empty status', input({ scanStatus: '', counts: { HIGH: 5 } }), false, 'unexpected-scan-status'],
    ['Inspector INITIAL_SCAN_COMPLETE', input({ scanStatus: 'INITIAL_SCAN_COMPLETE', counts: { HIGH: 5 } }), false, 'unexpected-scan-status'],
  ])('%s', (_label, reportInput, due, reason) => {
    const decision = decideReport(reportInput);
    expect(decision.due).toBe(due);
    expect(decision.reason).toBe(reason);
  });

  test('a FAILED event from ECR is reported when failures are reported', () => {
    const counts = normalizeCounts((failedEvent.detail as Record<string, unknown>)['finding-severity-counts']).counts;
    const decision = decideReport(input({ scanStatus: failedEvent.detail['scan-status'], counts }));
    expect(decision).toMatchObject({ due: true, reason: 'scan-failed', highestSeverity: 'NONE', totalFindings: 0 });
  });

  test('a COMPLETE event from ECR with CRITICAL and HIGH findings is due', () => {
    const counts = normalizeCounts(completeEvent.detail['finding-severity-counts']).counts;
    const decision = decideReport(input({ scanStatus: completeEvent.detail['scan-status'], counts }));
    expect(decision).toMatchObject({ due: true, reason: 'threshold-reached', highestSeverity: 'CRITICAL', totalFindings: 2 + 3 + 9 + 14 });
  });

  test('an untagged COMPLETE event without counts is not due', () => {
    const counts = normalizeCounts((untaggedEvent.detail as Record<string, unknown>)['finding-severity-counts']).counts;
    const decision = decideReport(input({ scanStatus: untaggedEvent.detail['scan-status'], counts }));
    expect(decision).toMatchObject({ due: false, reason: 'below-threshold', highestSeverity: 'NONE', totalFindings: 0 });
  });
});

describe('decideReport highestSeverity and totalFindings', () => {
  test.each<[string, Record<string, number>, string, number]>([
    ['nothing found', {}, 'NONE', 0],
    ['only zero counts', { CRITICAL: 0, HIGH: 0 }, 'NONE', 0],
    ['CRITICAL present', { LOW: 5, CRITICAL: 1, HIGH: 2 }, 'CRITICAL', 8],
    ['a zero CRITICAL does not count', { CRITICAL: 0, HIGH: 2 }, 'HIGH', 2],
    ['MEDIUM without a threshold is still the highest', { MEDIUM: 4, LOW: 1 }, 'MEDIUM', 5],
    ['INFORMATIONAL only', { INFORMATIONAL: 3 }, 'INFORMATIONAL', 3],
    ['UNDEFINED only', { UNDEFINED: 1 }, 'UNDEFINED', 1],
    ['an unknown severity is ignored for the highest but counted in the total', { UNTRIAGED: 3, LOW: 1 }, 'LOW', 4],
    ['only unknown severities', { UNTRIAGED: 3, SEVERE: 2 }, 'NONE', 5],
  ])('%s', (_label, counts, highest, total) => {
    const decision = decideReport(input({ counts }));
    expect(decision.highestSeverity).toBe(highest);
    expect(decision.totalFindings).toBe(total);
  });

  test('highestSeverity and totalFindings are also given for FAILED and unexpected statuses', () => {
    expect(decideReport(input({ scanStatus: 'FAILED', counts: { HIGH: 2 } }))).toMatchObject({ highestSeverity: 'HIGH', totalFindings: 2 });
    expect(decideReport(input({ scanStatus: 'WHATEVER', counts: { LOW: 2 } }))).toMatchObject({ highestSeverity: 'LOW', totalFindings: 2 });
  });
});

describe('orderedSeverityNames', () => {
  test('names from counts and thresholds, once each, most severe first, unknown names last alphabetically', () => {
    expect(orderedSeverityNames({ LOW: 1, ZETA: 1, CRITICAL: 1, ALPHA: 2 }, { HIGH: 1, LOW: 2 })).toEqual(['CRITICAL', 'HIGH', 'LOW', 'ALPHA', 'ZETA']);
  });

  test('nothing in, nothing out', () => {
    expect(orderedSeverityNames({}, {})).toEqual([]);
  });
});

describe('parseThresholds', () => {
  test.each<[string, string, Thresholds]>([
    ['the default', '{"CRITICAL":1,"HIGH":1}', { CRITICAL: 1, HIGH: 1 }],
    ['an empty object', '{}', {}],
    ['zero', '{"MEDIUM":0}', { MEDIUM: 0 }],
    [
      'all six severities',
      '{"CRITICAL":1,"HIGH":2,"MEDIUM":3,"LOW":4,"INFORMATIONAL":5,"UNDEFINED":6}',
      { CRITICAL: 1, HIGH: 2, MEDIUM: 3, LOW: 4, INFORMATIONAL: 5, UNDEFINED: 6 },
    ],
    ['surrounding whitespace', '  { "HIGH" : 10 }\n', { HIGH: 10 }],
  ])('%s', (_label, json, expected) => {
    expect(parseThresholds(json)).toEqual(expected);
  });

  test.each<[string, string, string]>([
    ['invalid JSON', 'CRITICAL=1', '"CRITICAL=1"'],
    ['truncated JSON', '{"CRITICAL":1', '"{\\"CRITICAL\\":1"'],
    ['empty string', '', 'got ""'],
    ['a JSON array', '[1,1]', '"[1,1]"'],
    ['JSON null', 'null', '"null"'],
    ['a JSON number', '1', 'got "1"'],
    ['a JSON string', '"CRITICAL"', '"\\"CRITICAL\\""'],
  ])('%s is rejected as not an object, quoting the value', (_label, json, quoted) => {
    expect(() => parseThresholds(json)).toThrow(/thresholds must be a JSON object/);
    expect(() => parseThresholds(json)).toThrow(quoted);
  });

  test.each<[string, string, string[]]>([
    ['an unknown severity', '{"SEVERE":1}', ['unknown severity', '"SEVERE"', 'CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED']],
    ['a lowercase severity', '{"critical":1}', ['unknown severity', '"critical"']],
    ['Inspector\'s TOTAL', '{"TOTAL":1}', ['unknown severity', '"TOTAL"']],
    ['a negative threshold', '{"HIGH":-1}', ['threshold for HIGH', 'non-negative integer', 'got -1']],
    ['a fractional threshold', '{"CRITICAL":1.5}', ['threshold for CRITICAL', 'got 1.5']],
    ['a string threshold', '{"MEDIUM":"1"}', ['threshold for MEDIUM', 'got "1"']],
    ['a null threshold', '{"LOW":null}', ['threshold for LOW', 'got null']],
    ['a boolean threshold', '{"HIGH":true}', ['threshold for HIGH', 'got true']],
    ['a bad entry after a good one', '{"CRITICAL":1,"HIGH":-5}', ['threshold for HIGH', 'got -5']],
  ])('%s is rejected, naming the entry', (_label, json, parts) => {
    let message = '';
    try {
      parseThresholds(json);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toBe('');
    for (const part of parts) {
      expect(message).toContain(part);
    }
  });
});

describe('normalizeCounts with two spellings of one severity', () => {
  test('the first is kept and the second named as ignored, never silently merged or overwritten', () => {
    expect(normalizeCounts({ HIGH: 2, high: 7 })).toEqual({ counts: { HIGH: 2 }, ignored: ['high'] });
  });
});

import { SEVERITIES, isSeverity, severityRank } from '../../src/decisions/severity';

describe('SEVERITIES', () => {
  test('lists the six ECR severities, most severe first', () => {
    // ImageScanFinding.severity valid values (ECR API reference), ranked.
    expect([...SEVERITIES]).toEqual(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED']);
  });
});

describe('isSeverity', () => {
  test.each(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'])('%s is a severity', (value) => {
    expect(isSeverity(value)).toBe(true);
  });

  test.each<[string, unknown]>([
    ['lowercase name', 'critical'],
    ['Inspector-only severity', 'UNTRIAGED'],
    ['the TOTAL key of Inspector events', 'TOTAL'],
    ['empty string', ''],
    ['padded name', ' HIGH'],
    ['a number', 1],
    ['undefined', undefined],
    ['null', null],
    ['an array holding a severity', ['HIGH']],
  ])('%s is not a severity', (_label, value) => {
    expect(isSeverity(value)).toBe(false);
  });
});

describe('severityRank', () => {
  test.each<[string, number]>([
    ['CRITICAL', 0],
    ['HIGH', 1],
    ['MEDIUM', 2],
    ['LOW', 3],
    ['INFORMATIONAL', 4],
    ['UNDEFINED', 5],
  ])('%s ranks %i', (severity, rank) => {
    expect(severityRank(severity)).toBe(rank);
  });

  test.each(['UNTRIAGED', 'critical', '', 'SOMETHING_NEW'])('unknown name %j ranks after every known severity', (name) => {
    expect(severityRank(name)).toBe(6);
    expect(severityRank(name)).toBeGreaterThan(severityRank('UNDEFINED'));
  });
});

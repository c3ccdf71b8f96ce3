import { BasicFindingLike, EnhancedFindingLike, Finding, compareFindings, fromBasicFinding, fromEnhancedFinding } from '../../src/decisions/findings';
import basicResponse from '../fixtures/decisions/describe-image-scan-findings-basic.json';
import enhancedResponse from '../fixtures/decisions/describe-image-scan-findings-enhanced.json';

describe('fromBasicFinding', () => {
  test('maps every finding of a DescribeImageScanFindings response (basic scanning)', () => {
    const findings = basicResponse.imageScanFindings.findings.map((f) => fromBasicFinding(f));
    expect(findings).toEqual([
      {
        id: 'CVE-2023-4863',
        severity: 'HIGH',
        packageName: 'libwebp',
        packageVersion: '0.6.1-2.1',
        url: 'https://security-tracker.debian.org/tracker/CVE-2023-4863',
        // Both CVSS2_SCORE (6.8) and CVSS3_SCORE (8.8) are present: CVSS3 wins.
        score: 8.8,
      },
      {
        id: 'CVE-2024-3094',
        severity: 'CRITICAL',
        packageName: 'xz-utils',
        packageVersion: '5.6.0-0.2',
        url: 'https://security-tracker.debian.org/tracker/CVE-2024-3094',
        score: 10,
      },
      {
        id: 'CVE-2023-44487',
        severity: 'HIGH',
        packageName: 'nghttp2',
        packageVersion: '1.43.0-1',
        url: 'https://security-tracker.debian.org/tracker/CVE-2023-44487',
        score: 7.8,
      },
      {
        id: 'CVE-2022-40897',
        severity: 'MEDIUM',
        packageName: 'setuptools',
        packageVersion: '52.0.0-4',
        url: 'https://security-tracker.debian.org/tracker/CVE-2022-40897',
        score: undefined,
      },
    ]);
  });

  test.each<[string, BasicFindingLike, Partial<Finding>]>([
    [
      'CVSS3_SCORE is preferred over CVSS2_SCORE whatever their order',
      { name: 'CVE-1', severity: 'HIGH', attributes: [{ key: 'CVSS2_SCORE', value: '5.0' }, { key: 'CVSS3_SCORE', value: '9.1' }] },
      { score: 9.1 },
    ],
    ['CVSS2_SCORE when there is no CVSS3_SCORE', { name: 'CVE-1', attributes: [{ key: 'CVSS2_SCORE', value: '4.3' }] }, { score: 4.3 }],
    ['no score attribute', { name: 'CVE-1', attributes: [{ key: 'package_name', value: 'openssl' }] }, { score: undefined }],
    ['a score that is not a number', { name: 'CVE-1', attributes: [{ key: 'CVSS2_SCORE', value: 'n/a' }] }, { score: undefined }],
    ['a score of 0', { name: 'CVE-1', attributes: [{ key: 'CVSS3_SCORE', value: '0.0' }] }, { score: 0 }],
    ['an attribute with a key but no value', { name: 'CVE-1', attributes: [{ key: 'package_name' }] }, { packageName: undefined }],
    [
      'package name without version',
      { name: 'CVE-1', attributes: [{ key: 'package_name', value: 'zlib' }] },
      { packageName: 'zlib', packageVersion: undefined },
    ],
    ['attribute keys are case-sensitive', { name: 'CVE-1', attributes: [{ key: 'PACKAGE_NAME', value: 'zlib' }] }, { packageName: undefined }],
    ['no name', { severity: 'LOW' }, { id: '(unnamed finding)', severity: 'LOW' }],
    ['no severity', { name: 'CVE-2' }, { id: 'CVE-2', severity: 'UNDEFINED' }],
    ['no uri', { name: 'CVE-2' }, { url: undefined }],
  ])('%s', (_label, raw, expected) => {
    expect(fromBasicFinding(raw)).toMatchObject(expected);
    // Keys asserted as undefined must really be absent in value.
    for (const [key, value] of Object.entries(expected)) {
      expect(fromBasicFinding(raw)[key as keyof Finding]).toBe(value);
    }
  });

  test('an empty finding still yields a usable Finding', () => {
    expect(fromBasicFinding({})).toEqual({
      id: '(unnamed finding)',
      severity: 'UNDEFINED',
      packageName: undefined,
      packageVersion: undefined,
      url: undefined,
      score: undefined,
    });
  });
});

describe('fromEnhancedFinding', () => {
  test('maps every finding of a DescribeImageScanFindings response (enhanced scanning)', () => {
    const findings = enhancedResponse.imageScanFindings.enhancedFindings.map((f) => fromEnhancedFinding(f));
    expect(findings).toEqual([
      {
        id: 'CVE-2021-44228',
        severity: 'CRITICAL',
        packageName: 'org.apache.logging.log4j:log4j-core',
        packageVersion: '2.14.1',
        url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228',
        score: 10,

        // Inspector's status, for the accepted-risk rule (SUPPRESSED findings are left out).
        status: 'ACTIVE',
        // Inspector's fix and exploit availability, shown in the report.
        fixAvailable: 'YES',
        exploitAvailable: 'YES',
      },
      {
        // Two vulnerable packages: the first is named.
        id: 'CVE-2023-3817',
        severity: 'HIGH',
        packageName: 'openssl',
        packageVersion: '3.0.9',
        url: 'https://security-tracker.debian.org/tracker/CVE-2023-3817',
        score: 7.5,

        // Inspector's status, for the accepted-risk rule (SUPPRESSED findings are left out).
        status: 'ACTIVE',
        fixAvailable: 'YES',
        exploitAvailable: 'NO',
      },
    ]);
  });

  test.each<[string, EnhancedFindingLike, Partial<Finding>]>([
    ['the title when there is no vulnerabilityId', { title: 'IN1-PYTHON-REQUESTS-1234', severity: 'MEDIUM' }, { id: 'IN1-PYTHON-REQUESTS-1234' }],
    ['vulnerabilityId wins over the title', { title: 'CVE-9 - pkg', packageVulnerabilityDetails: { vulnerabilityId: 'CVE-9' } }, { id: 'CVE-9' }],
    ['neither', { severity: 'LOW' }, { id: '(unnamed finding)' }],
    ['no severity', { title: 'x' }, { severity: 'UNDEFINED' }],
    ['Inspector\'s UNTRIAGED severity is kept', { title: 'x', severity: 'UNTRIAGED' }, { severity: 'UNTRIAGED' }],
    ['no vulnerable packages', { title: 'x', packageVulnerabilityDetails: { vulnerablePackages: [] } }, { packageName: undefined, packageVersion: undefined }],
    ['no score', { title: 'x' }, { score: undefined }],
    ['a NaN score', { title: 'x', score: NaN }, { score: undefined }],
    ['a score of 0', { title: 'x', score: 0 }, { score: 0 }],
    ['no source url', { title: 'x', packageVulnerabilityDetails: { vulnerabilityId: 'CVE-1' } }, { url: undefined }],
  ])('%s', (_label, raw, expected) => {
    const finding = fromEnhancedFinding(raw);
    for (const [key, value] of Object.entries(expected)) {
      expect(finding[key as keyof Finding]).toBe(value);
    }
  });
});

describe('compareFindings', () => {
  const f = (id: string, severity: string, score?: number): Finding => ({ id, severity, score });

  test('sorts most severe first, then by score (highest first, none last), then by id', () => {
    const expected = [
      f('CVE-2024-0001', 'CRITICAL', 9.8),
      f('CVE-2024-0002', 'CRITICAL', 9.8),
      f('CVE-2024-0003', 'CRITICAL', 9.1),
      f('CVE-2024-0004', 'CRITICAL'),
      f('CVE-2024-0005', 'HIGH', 10),
      f('CVE-2024-0006', 'HIGH', 7.5),
      f('CVE-2024-0007', 'HIGH', 0),
      f('CVE-2024-0008', 'HIGH'),
      f('CVE-2024-0009', 'MEDIUM', 6.1),
      f('CVE-2024-0010', 'LOW', 3.3),
      f('CVE-2024-0011', 'INFORMATIONAL'),
      f('CVE-2024-0012', 'UNDEFINED', 8.0),
      f('CVE-2024-0013', 'UNTRIAGED', 9.9),
    ];
    // Several fixed permutations, so the result cannot depend on the input order.
    const permutations = [
      [...expected].reverse(),
      [6, 12, 0, 9, 3, 11, 1, 8, 4, 10, 2, 7, 5].map((i) => expected[i]),
      [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 12].map((i) => expected[i]),
    ];
    for (const permutation of permutations) {
      expect([...permutation].sort(compareFindings).map((x) => x.id)).toEqual(expected.map((x) => x.id));
    }
  });

  test.each<[string, Finding, Finding]>([
    ['severity outranks score', f('B', 'CRITICAL', 4.0), f('A', 'HIGH', 10)],
    ['higher score first within a severity', f('Z', 'HIGH', 8.1), f('A', 'HIGH', 7.9)],
    ['a score of 0 before no score', f('Z', 'LOW', 0), f('A', 'LOW')],
    ['id breaks a tie', f('CVE-2023-1', 'MEDIUM', 5), f('CVE-2023-2', 'MEDIUM', 5)],
    ['a known severity before an unknown one', f('Z', 'UNDEFINED'), f('A', 'UNTRIAGED', 10)],
  ])('%s', (_label, first, second) => {
    expect(compareFindings(first, second)).toBeLessThan(0);
    expect(compareFindings(second, first)).toBeGreaterThan(0);
  });

  test('a finding compares equal to itself', () => {
    const x = f('CVE-2024-1', 'HIGH', 7);
    expect(compareFindings(x, { ...x })).toBe(0);
  });

  test('fixture findings, basic and enhanced together, come out most severe first', () => {
    const all = [
      ...basicResponse.imageScanFindings.findings.map((x) => fromBasicFinding(x)),
      ...enhancedResponse.imageScanFindings.enhancedFindings.map((x) => fromEnhancedFinding(x)),
    ].sort(compareFindings);
    expect(all.map((x) => x.id)).toEqual(['CVE-2021-44228', 'CVE-2024-3094', 'CVE-2023-4863', 'CVE-2023-44487', 'CVE-2023-3817', 'CVE-2022-40897']);
  });
});

describe('score fallback', () => {
  test('an unreadable CVSS3_SCORE falls back to CVSS2_SCORE', () => {
    const finding = fromBasicFinding({
      name: 'CVE-2024-0001',
      severity: 'HIGH',
      attributes: [
        { key: 'CVSS3_SCORE', value: '' },
        { key: 'CVSS2_SCORE', value: '6.8' },
      ],
    });
    expect(finding.score).toBe(6.8);
  });
});

import { InvalidInputError } from '../../src/decisions/inputs';
import {
  InspectorFindingEvent,
  findingCounts,
  enhancedScanKey,
  groupFindingEvents,
  parseInspectorEvent,
  repositoryNameFromArn,
} from '../../src/decisions/inspector-events';
import { loadEventFixture } from '../aws/helpers';

const scanEvent = () => loadEventFixture('eventbridge-inspector2-scan.json');
const findingEvent = () => loadEventFixture('eventbridge-inspector2-finding-ecr.json');

describe('parseInspectorEvent: Inspector2 Scan, as the ECR user guide shows it', () => {
  test('the repository ARN becomes its name, INITIAL_SCAN_COMPLETE a COMPLETE scan, and TOTAL is no severity', () => {
    expect(parseInspectorEvent(scanEvent())).toEqual({
      kind: 'scan',
      scan: {
        eventId: '739c0d3c-4f02-85c7-5a88-94a9EXAMPLE',
        accountId: '123456789012',
        region: 'us-east-2',
        time: new Date('2021-12-03T18:03:16Z'),
        repositoryName: 'amazon/amazon-ecs-sample',
        imageDigest: 'sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e59e3a8e4914',
        imageTags: ['latest'],
        scanStatus: 'COMPLETE',
        rawSeverityCounts: { CRITICAL: 7, HIGH: 61, MEDIUM: 62 },
        ignoredTags: 0,
        enhanced: true,
      },
    });
  });

  test('another scan status is passed on as it is, for the report decision to count as unexpected', () => {
    const event = scanEvent();
    event.detail['scan-status'] = 'SCAN_FAILED_SOMEHOW';
    expect(parseInspectorEvent(event)).toMatchObject({ kind: 'scan', scan: { scanStatus: 'SCAN_FAILED_SOMEHOW' } });
  });

  test('a repository given by name rather than ARN is taken as it is', () => {
    const event = scanEvent();
    event.detail['repository-name'] = 'team-a/api';
    expect(parseInspectorEvent(event)).toMatchObject({ scan: { repositoryName: 'team-a/api' } });
  });
});

describe('parseInspectorEvent: Inspector2 Finding on an ECR image, as the Inspector user guide shows it', () => {
  test('the image from resources[0].details.awsEcrContainerImage, the finding\'s arn, status, vulnerability and EPSS', () => {
    expect(parseInspectorEvent(findingEvent())).toEqual({
      kind: 'finding',
      finding: {
        eventId: 'b6a1c2d3-1111-2222-3333-444455556666',
        accountId: '111122223333',
        region: 'us-east-1',
        // The sample's updatedAt ("Jan 19, 2023, 10:46:15 PM") has no zone: the event's time is taken.
        time: new Date('2023-01-19T22:46:15Z'),
        findingArn: 'arn:aws:inspector2:us-east-1:111122223333:finding/FINDING_ID',
        status: 'ACTIVE',
        vulnerabilityId: 'CVE-2022-40897',
        severity: 'MEDIUM',
        epssScore: 0.00143,
        repositoryName: 'inspector2',
        imageDigest: 'sha256:98c8b060d3a1e3f8c8c4a4b7d2f1e0c9b8a7f6e5d4c3b2a1908f7e6d5c4b3a21',
        imageTags: ['latest'],
      },
    });
  });

  test('an ISO updatedAt is the finding\'s time', () => {
    const event = findingEvent();
    event.detail.updatedAt = '2026-12-01T10:00:00Z';
    expect(parseInspectorEvent(event)).toMatchObject({ finding: { time: new Date('2026-12-01T10:00:00Z') } });
  });

  test('a finding on an EC2 instance is not an ECR image: a counted skip, not an error', () => {
    expect(parseInspectorEvent(loadEventFixture('eventbridge-inspector2-finding-ec2.json'))).toEqual({ kind: 'not-an-ecr-image', resourceType: 'AWS_EC2_INSTANCE' });
  });
});

describe('parseInspectorEvent: what it refuses, naming the problem', () => {
  const withDetail = (base: () => any, change: (d: any) => void) => {
    const event = base();
    change(event.detail);
    return event;
  };
  test.each<[string, unknown, RegExp]>([
    ['not an object', 'event', /^event is not an object/],
    ['an ECR basic scan event', { 'source': 'aws.ecr', 'detail-type': 'ECR Image Scan', 'detail': {} }, /expected source "aws.inspector2"/],
    ['an Inspector coverage event', { 'source': 'aws.inspector2', 'detail-type': 'Inspector2 Coverage', 'detail': {} }, /detail-type "Inspector2 Scan" or "Inspector2 Finding"; got aws.inspector2 \/ Inspector2 Coverage/],
    ['no detail', { ...scanEvent(), detail: null }, /event detail is missing/],
    ['no account', { ...scanEvent(), account: 'me' }, /event account and region are required/],
    ['a scan of a repository ARN of another service', withDetail(scanEvent, (d) => (d['repository-name'] = 'arn:aws:s3:::bucket')), /detail.repository-name is not an ECR repository ARN or name/],
    ['a scan without a digest', withDetail(scanEvent, (d) => delete d['image-digest']), /detail.image-digest is not an image digest/],
    ['a scan with tags that are not a list', withDetail(scanEvent, (d) => (d['image-tags'] = 'latest')), /detail.image-tags must be a list/],
    ['a finding without resources', withDetail(findingEvent, (d) => (d.resources = [])), /detail.resources is not a list of resources/],
    ['a finding on an image without its details', withDetail(findingEvent, (d) => (d.resources[0].details = {})), /awsEcrContainerImage is missing/],
    ['a finding without an arn', withDetail(findingEvent, (d) => delete d.findingArn), /detail.findingArn is not an ARN/],
    ['a finding in no known status', withDetail(findingEvent, (d) => (d.status = 'RESOLVED')), /detail.status is not ACTIVE, SUPPRESSED or CLOSED: RESOLVED/],
    ['a finding whose image hash is no digest', withDetail(findingEvent, (d) => (d.resources[0].details.awsEcrContainerImage.imageHash = 'latest')), /imageHash is not an image digest/],
  ])('%s', (_what, event, message) => {
    expect(() => parseInspectorEvent(event)).toThrow(InvalidInputError);
    expect(() => parseInspectorEvent(event)).toThrow(message);
  });
});

test('repositoryNameFromArn', () => {
  expect(repositoryNameFromArn('arn:aws:ecr:eu-west-1:123456789012:repository/team-a/api')).toBe('team-a/api');
  expect(repositoryNameFromArn('arn:aws-cn:ecr:cn-north-1:123456789012:repository/x/y')).toBe('x/y');
  expect(repositoryNameFromArn('team-a/api')).toBe('team-a/api');
  expect(repositoryNameFromArn('arn:aws:ecr:eu-west-1:123456789012:repository/Bad_Name')).toBeUndefined();
  expect(repositoryNameFromArn(42)).toBeUndefined();
});

describe('groupFindingEvents: a burst makes one group per image', () => {
  const finding = (n: number, over: Partial<InspectorFindingEvent> = {}): InspectorFindingEvent => ({
    eventId: `e-${n}`,
    accountId: '111122223333',
    region: 'us-east-1',
    time: new Date(Date.UTC(2026, 11, 1, 10, n)),
    findingArn: `arn:aws:inspector2:us-east-1:111122223333:finding/f${n}`,
    status: 'ACTIVE',
    vulnerabilityId: `CVE-2026-000${n}`,
    severity: 'HIGH',
    repositoryName: 'team-a/api',
    imageDigest: `sha256:${'a'.repeat(64)}`,
    imageTags: ['v1'],
    ...over,
  });

  test('findings of one image together, of another apart; one per findingArn, the latest; EPSS by vulnerability', () => {
    const other = `sha256:${'b'.repeat(64)}`;
    const groups = groupFindingEvents([
      finding(1, { epssScore: 0.9 }),
      finding(2),
      finding(3, { imageDigest: other }),
      // A second delivery of finding 1, later, now CLOSED: it replaces the first.
      finding(1, { eventId: 'e-1b', time: new Date(Date.UTC(2026, 11, 1, 11)), status: 'CLOSED', epssScore: 0.9 }),
      // An older copy of finding 2 arriving late: ignored.
      finding(2, { eventId: 'e-2-old', time: new Date(Date.UTC(2026, 11, 1, 9)), status: 'SUPPRESSED' }),
    ]);
    expect(groups.map((g) => [g.imageDigest.slice(7, 8), g.findings.map((f) => `${f.findingArn.slice(-2)} ${f.status}`), g.closedOnly])).toEqual([
      ['a', ['f1 CLOSED', 'f2 ACTIVE'], false],
      ['b', ['f3 ACTIVE'], false],
    ]);
    expect(groups[0].epss).toEqual({ 'CVE-2026-0001': 0.9 });
    expect(groups[0].time).toEqual(new Date(Date.UTC(2026, 11, 1, 11)));
  });

  test('a group with no ACTIVE finding is closed only', () => {
    const [group] = groupFindingEvents([finding(1, { status: 'CLOSED' }), finding(2, { status: 'SUPPRESSED' })]);
    expect(group.closedOnly).toBe(true);
  });

  test('the group\'s event id is the same for the same findings in the same states, whatever order or batch they came in', () => {
    const a = groupFindingEvents([finding(1), finding(2)])[0].eventId;
    const b = groupFindingEvents([finding(2), finding(1)])[0].eventId;
    const c = groupFindingEvents([finding(1), finding(2, { status: 'CLOSED' })])[0].eventId;
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(a).toMatch(/^inspector-findings\/[0-9a-f]{32}$/);
  });
});

test('enhancedScanKey: the same reached findings are the same report, in any order; another finding is another', () => {
  expect(enhancedScanKey(['CVE-1', 'CVE-2'])).toBe(enhancedScanKey(['CVE-2', 'CVE-1', 'CVE-1']));
  expect(enhancedScanKey(['CVE-1', 'CVE-2'])).not.toBe(enhancedScanKey(['CVE-1', 'CVE-2', 'CVE-3']));
  expect(enhancedScanKey([])).toMatch(/^ENHANCED#[0-9a-f]{32}$/);
});

test('findingCounts leaves CLOSED findings out, and counts SUPPRESSED ones for the report to take off with accepted risks', () => {
  expect(
    findingCounts([
      { severity: 'HIGH', status: 'ACTIVE' },
      { severity: 'HIGH' },
      { severity: 'LOW', status: 'SUPPRESSED' },
      { severity: 'CRITICAL', status: 'CLOSED' },
      { severity: 'LOW', status: 'ACTIVE' },
    ]),
  ).toEqual({ HIGH: 2, LOW: 2 });
});

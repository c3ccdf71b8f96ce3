import { InvalidInputError, isRepositoryName, parseRescanMessage, parseScanEvent, rescanMessageBody } from '../../src/decisions/inputs';
import completeEvent from '../fixtures/decisions/ecr-image-scan-complete.json';
import failedEvent from '../fixtures/decisions/ecr-image-scan-failed.json';
import untaggedEvent from '../fixtures/decisions/ecr-image-scan-untagged-no-counts.json';

/** The error thrown by fn; fails the test when fn does not throw. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, but none was thrown');
}

/** A deep copy of a fixture, for a test to change freely. */
function copy<T>(value: T): Record<string, any> {
  return JSON.parse(JSON.stringify(value));
}

const NAME_256 = ['a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60), 'd'.repeat(73)].join('/');

describe('isRepositoryName', () => {
  test.each(['ab', 'team/payments-api', 'a.b_c-d', 'base-images/distroless', 'a/b/c/d', '0day', NAME_256])('%j is valid', (name) => {
    expect(isRepositoryName(name)).toBe(true);
  });

  test.each<[string, unknown]>([
    ['one character', 'a'],
    ['empty', ''],
    ['257 characters', `${NAME_256}x`],
    ['uppercase', 'Team/Payments'],
    ['leading separator', '-app'],
    ['trailing slash', 'app/'],
    ['empty path segment', 'a//b'],
    ['two separators in a row', 'a--b'],
    ['space', 'my app'],
    ['an ARN (Inspector events carry one)', 'arn:aws:ecr:us-east-1:123456789012:repository/team/app'],
    ['a number', 42],
    ['null', null],
  ])('%s is not valid', (_label, value) => {
    expect(isRepositoryName(value)).toBe(false);
  });
});

describe('parseRescanMessage', () => {
  test('a valid body', () => {
    expect(parseRescanMessage('{"repositoryName":"team/payments-api"}')).toEqual({ repositoryName: 'team/payments-api' });
  });

  test('extra fields are dropped', () => {
    expect(parseRescanMessage('{"repositoryName":"batch-worker","extra":true}')).toEqual({ repositoryName: 'batch-worker' });
  });

  test('a body written by rescanMessageBody reads back', () => {
    expect(parseRescanMessage(rescanMessageBody({ repositoryName: 'base-images/distroless' }))).toEqual({ repositoryName: 'base-images/distroless' });
  });

  test('a 256-character name is accepted', () => {
    expect(parseRescanMessage(JSON.stringify({ repositoryName: NAME_256 })).repositoryName).toBe(NAME_256);
  });

  test.each<[string, string, RegExp]>([
    ['not JSON', 'team/payments-api', /message body is not JSON: team\/payments-api/],
    ['empty body', '', /message body is not JSON/],
    ['a JSON array', '[{"repositoryName":"team/payments-api"}]', /must be a JSON object with repositoryName/],
    ['JSON null', 'null', /must be a JSON object with repositoryName: null/],
    ['a JSON number', '42', /must be a JSON object with repositoryName: 42/],
    ['a JSON string', '"team/payments-api"', /must be a JSON object with repositoryName/],
    ['repositoryName missing', '{}', /repositoryName is not a valid ECR repository name/],
    ['repositoryName misspelt', '{"repository":"team/api"}', /repositoryName is not a valid ECR repository name/],
    ['repositoryName empty', '{"repositoryName":""}', /repositoryName is not a valid ECR repository name/],
    ['repositoryName not a string', '{"repositoryName":42}', /repositoryName is not a valid ECR repository name: 42/],
    ['repositoryName invalid', '{"repositoryName":"team//api"}', /repositoryName is not a valid ECR repository name: team\/\/api/],
    ['repositoryName uppercase', '{"repositoryName":"Team/Payments"}', /repositoryName is not a valid ECR repository name: Team\/Payments/],
    ['repositoryName over 256 characters', JSON.stringify({ repositoryName: `${NAME_256}x` }), /repositoryName is not a valid ECR repository name/],
  ])('%s: InvalidInputError naming the problem', (_label, body, expected) => {
    const error = thrown(() => parseRescanMessage(body));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidInputError');
    expect(error.message).toMatch(expected);
  });

  test('a very long bad value is shortened in the message, with its length', () => {
    const body = 'x'.repeat(5000);
    const error = thrown(() => parseRescanMessage(body));
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).toContain('(5000 characters)');
  });
});

describe('parseScanEvent with real events', () => {
  test('a COMPLETE event with tags and counts', () => {
    expect(parseScanEvent(completeEvent)).toEqual({
      accountId: '123456789012',
      region: 'us-east-1',
      time: new Date('2026-11-26T02:36:48Z'),
      repositoryName: 'team/payments-api',
      imageDigest: 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678',
      imageTags: ['v1.4.2', 'latest'],
      scanStatus: 'COMPLETE',
      rawSeverityCounts: { CRITICAL: 2, HIGH: 3, MEDIUM: 9, LOW: 14 },
    });
  });

  test('a FAILED event without counts', () => {
    const event = parseScanEvent(failedEvent);
    expect(event.scanStatus).toBe('FAILED');
    expect(event.repositoryName).toBe('batch-worker');
    expect(event.region).toBe('eu-west-1');
    expect(event.imageTags).toEqual(['2026.11.26']);
    expect(event.rawSeverityCounts).toBeUndefined();
  });

  test('an untagged event: image-tags [] and no finding-severity-counts', () => {
    const event = parseScanEvent(untaggedEvent);
    expect(event.imageTags).toEqual([]);
    expect(event.rawSeverityCounts).toBeUndefined();
    expect(event.repositoryName).toBe('base-images/distroless');
    expect(event.scanStatus).toBe('COMPLETE');
  });

  test('the event passed in is not modified', () => {
    const event = copy(completeEvent);
    parseScanEvent(event);
    expect(event).toEqual(copy(completeEvent));
  });
});

describe('parseScanEvent image-tags', () => {
  test.each<[string, unknown, string[]]>([
    ['absent', undefined, []],
    ['null', null, []],
    ['[]', [], []],
    ['one tag', ['latest'], ['latest']],
    ['non-string and empty entries are dropped', ['v1', 42, null, '', { tag: 'x' }, 'latest'], ['v1', 'latest']],
  ])('%s', (_label, tags, expected) => {
    const event = copy(completeEvent);
    if (tags === undefined) delete event.detail['image-tags'];
    else event.detail['image-tags'] = tags;
    expect(parseScanEvent(event).imageTags).toEqual(expected);
  });
});

describe('parseScanEvent time', () => {
  test.each<[string, unknown]>([
    ['absent', undefined],
    ['not a date', 'yesterday-ish'],
    ['a number', 1764124608],
  ])('%s: no time, no error', (_label, time) => {
    const event = copy(completeEvent);
    if (time === undefined) delete event.time;
    else event.time = time;
    expect(parseScanEvent(event).time).toBeUndefined();
  });
});

describe('parseScanEvent rejects', () => {
  type Change = (event: Record<string, any>) => void;
  test.each<[string, Change, RegExp[]]>([
    ['wrong source (Inspector)', (e) => { e.source = 'aws.inspector2'; }, [/source/, /aws\.inspector2/]],
    ['missing source', (e) => { delete e.source; }, [/source/]],
    ['wrong detail-type', (e) => { e['detail-type'] = 'ECR Image Action'; }, [/detail-type/, /ECR Image Action/]],
    ['missing detail-type', (e) => { delete e['detail-type']; }, [/detail-type/]],
    ['missing detail', (e) => { delete e.detail; }, [/detail is missing/]],
    ['null detail', (e) => { e.detail = null; }, [/detail is missing/]],
    ['string detail', (e) => { e.detail = 'COMPLETE'; }, [/detail is missing or not an object/]],
    ['missing repository-name', (e) => { delete e.detail['repository-name']; }, [/detail\.repository-name/]],
    ['uppercase repository-name', (e) => { e.detail['repository-name'] = 'Team/Payments'; }, [/detail\.repository-name/, /Team\/Payments/]],
    [
      'an ARN as repository-name',
      (e) => { e.detail['repository-name'] = 'arn:aws:ecr:us-east-1:123456789012:repository/team/payments-api'; },
      [/detail\.repository-name/],
    ],
    ['missing image-digest', (e) => { delete e.detail['image-digest']; }, [/detail\.image-digest/]],
    ['a tag as image-digest', (e) => { e.detail['image-digest'] = 'latest'; }, [/detail\.image-digest/, /latest/]],
    ['non-hex image-digest', (e) => { e.detail['image-digest'] = 'sha256:not-hex'; }, [/detail\.image-digest/, /sha256:not-hex/]],
    ['empty image-digest', (e) => { e.detail['image-digest'] = ''; }, [/detail\.image-digest/]],
    ['missing scan-status', (e) => { delete e.detail['scan-status']; }, [/detail\.scan-status/]],
    ['empty scan-status', (e) => { e.detail['scan-status'] = ''; }, [/detail\.scan-status/]],
    ['numeric scan-status', (e) => { e.detail['scan-status'] = 1; }, [/detail\.scan-status/]],
    ['image-tags a string', (e) => { e.detail['image-tags'] = 'latest'; }, [/detail\.image-tags must be a list/, /latest/]],
    ['image-tags an object', (e) => { e.detail['image-tags'] = { 0: 'latest' }; }, [/detail\.image-tags must be a list/]],
    ['missing account', (e) => { delete e.account; }, [/account/, /region/]],
    ['short account', (e) => { e.account = '1234'; }, [/account/, /1234/]],
    ['missing region', (e) => { delete e.region; }, [/account/, /region/]],
    ['empty region', (e) => { e.region = ''; }, [/region/]],
  ])('%s: InvalidInputError naming the field', (_label, change, expected) => {
    const event = copy(completeEvent);
    change(event);
    const error = thrown(() => parseScanEvent(event));
    expect(error).toBeInstanceOf(InvalidInputError);
    for (const pattern of expected) {
      expect(error.message).toMatch(pattern);
    }
  });

  test.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a string', '{"source":"aws.ecr"}'],
    ['a number', 42],
  ])('an event that is not an object (%s)', (_label, event) => {
    const error = thrown(() => parseScanEvent(event));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(/event is not an object/);
  });

  test('an array is not an ECR event', () => {
    const error = thrown(() => parseScanEvent([completeEvent]));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(/source/);
  });
});

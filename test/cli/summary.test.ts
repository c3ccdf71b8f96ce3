import { imagesAtOrAbove, renderSummary } from '../../src/cli/summary';
import { SummaryBuilder } from '../../src/decisions/summary';

const NOW = new Date('2026-12-07T08:00:00Z');
const summary = (() => {
  const builder = new SummaryBuilder({ now: NOW, periodMs: 7 * 86_400_000, inUse: { discoveryOn: false, holdMs: 3600_000 } });
  const add = (n: number, counts: Record<string, number>) =>
    builder.addImage({
      repositoryName: 'r',
      imageDigest: `sha256:${String(n).padStart(64, '0')}`,
      imageTags: [],
      version: 0,
      scan: { status: 'COMPLETE', observedAt: NOW, source: 'status-read', completedAt: NOW, severityCounts: counts },
    });
  add(1, { HIGH: 2 });
  add(2, { MEDIUM: 1 });
  add(3, {});
  return builder.build();
})();

describe('the summary command\'s gate and forms', () => {
  test('--fail-on counts the images whose highest severity is that level or worse', () => {
    expect(imagesAtOrAbove(summary, 'CRITICAL')).toBe(0);
    expect(imagesAtOrAbove(summary, 'HIGH')).toBe(1);
    expect(imagesAtOrAbove(summary, 'MEDIUM')).toBe(2);
    expect(imagesAtOrAbove(summary, 'INFORMATIONAL')).toBe(2);
    expect(imagesAtOrAbove(summary, undefined)).toBe(0);
  });

  test('each format ends with a newline; json is the document, indented', () => {
    expect(JSON.parse(renderSummary(summary, 'json'))).toEqual(summary);
    expect(renderSummary(summary, 'json')).toContain('\n  "version": 1');
    expect(renderSummary(summary, 'markdown')).toMatch(/^## ECR registry summary[^\n]*\n[\s\S]*\n$/);
    expect(renderSummary(summary, 'text')).toMatch(/^Registry summary, 2026-11-30 to 2026-12-07\n[\s\S]*\n$/);
  });
});

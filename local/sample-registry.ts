/**
 * A small but realistic registry with a known truth, shared by the demo and the
 * end-to-end suite: what the demo shows is what the suite proves.
 *
 * With SAMPLE_SETTINGS (repositories under shop/, not ending in -legacy; expiry 7 days)
 * every image says what the rescan must do with it and what StartImageScan answers.
 */
import type { SeedImage, SeedRepository } from './registry';
import type { RescanReason } from '../src/decisions/rescan';

export const SAMPLE_SETTINGS = {
  repositoryPattern: '^shop/',
  excludePattern: '-legacy$',
  scanExpiryDays: 7,
} as const;

export interface SampleImage extends SeedImage {
  readonly expected: {
    readonly action: 'scan' | 'skip';
    readonly reason: RescanReason;
    /** StartImageScan's answer on the first run of the day. */
    readonly outcome?: 'started' | 'recently-scanned';
  };
}

export interface SampleRepository extends SeedRepository {
  /** Whether SAMPLE_SETTINGS' patterns select it. */
  readonly selected: boolean;
  readonly images: readonly SampleImage[];
}

export const SAMPLE_REGISTRY: readonly SampleRepository[] = [
  {
    name: 'shop/web',
    selected: true,
    images: [
      { tags: ['v1.4.2', 'latest'], scan: { kind: 'never' }, expected: { action: 'scan', reason: 'never-scanned', outcome: 'started' } },
      {
        tags: ['v1.4.1'],
        scan: { kind: 'complete', daysAgo: 2, severityCounts: { HIGH: 2, MEDIUM: 5 } },
        expected: { action: 'skip', reason: 'fresh' },
      },
      {
        tags: ['v1.3.0'],
        scan: { kind: 'complete', daysAgo: 12, severityCounts: { CRITICAL: 1, HIGH: 3, MEDIUM: 7, LOW: 2 } },
        expected: { action: 'scan', reason: 'expired', outcome: 'started' },
      },
      {
        tags: [],
        scan: { kind: 'complete', daysAgo: 30, severityCounts: { MEDIUM: 4, LOW: 2 } },
        expected: { action: 'scan', reason: 'expired', outcome: 'started' },
      },
    ],
  },
  {
    name: 'shop/api',
    selected: true,
    images: [
      {
        tags: ['2026.11.26'],
        scan: { kind: 'complete', daysAgo: 0, severityCounts: { LOW: 1 } },
        expected: { action: 'skip', reason: 'fresh' },
      },
      {
        tags: ['2026.11.20'],
        scan: { kind: 'status', status: 'FAILED', description: 'Unable to retrieve the image layers.', daysAgo: 3 },
        expected: { action: 'scan', reason: 'failed', outcome: 'started' },
      },
      {
        tags: ['2026.11.25'],
        // Failed a moment ago: ECR allows one scan per image per 24 hours, so it refuses another today.
        scan: { kind: 'status', status: 'FAILED', description: 'Unable to retrieve the image layers.', daysAgo: 0 },
        expected: { action: 'scan', reason: 'failed', outcome: 'recently-scanned' },
      },
      {
        tags: ['distroless-debug'],
        scan: {
          kind: 'status',
          status: 'UNSUPPORTED_IMAGE',
          description: 'The operating system and/or package manager are not supported.',
          daysAgo: 5,
        },
        expected: { action: 'skip', reason: 'unsupported-image' },
      },
    ],
  },
  {
    name: 'shop/worker',
    selected: true,
    images: [{ tags: ['main', 'sha-1a2b3c4'], scan: { kind: 'never' }, expected: { action: 'scan', reason: 'never-scanned', outcome: 'started' } }],
  },
  {
    // Matches ^shop/ but also -legacy$: excluded.
    name: 'shop/web-legacy',
    selected: false,
    images: [{ tags: ['2019'], scan: { kind: 'never' }, expected: { action: 'scan', reason: 'never-scanned' } }],
  },
  {
    // Outside ^shop/: not selected.
    name: 'tools/ci-runner',
    selected: false,
    images: [{ tags: ['v2'], scan: { kind: 'complete', daysAgo: 40, severityCounts: { CRITICAL: 2 } }, expected: { action: 'scan', reason: 'expired' } }],
  },
];

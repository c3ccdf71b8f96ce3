/**
 * A minimal ECR endpoint over HTTP (the AWS JSON 1.1 protocol), for the tests that
 * run the bundled command in a child process: one large repository of never-scanned
 * images, so every image costs a DescribeImageScanFindings call, and a count of the
 * requests by operation, to tell how far a run walked.
 */
import { createHash } from 'crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'http';
import { AddressInfo } from 'net';

/** What the server holds: repository name to image count. */
export interface FakeRegistry {
  readonly repositories: Record<string, number>;
  /** True: every image has a completed scan in its DescribeImages entry, so no DescribeImageScanFindings is needed. */
  readonly scanned?: boolean;
  /** Images per DescribeImages page, whatever maxResults asks. @default 1000, ECR's largest page */
  readonly pageSize?: number;
}

export interface FakeEcrServer {
  /** For AWS_ENDPOINT_URL. */
  readonly url: string;
  /** Requests received, by operation (the X-Amz-Target's part after the dot). */
  readonly requests: Map<string, number>;
  close(): Promise<void>;
}

function digestOf(repository: string, index: number): string {
  return `sha256:${createHash('sha256').update(`${repository}#${index}`).digest('hex')}`;
}

function answer(operation: string, input: Record<string, any>, registry: FakeRegistry): { status: number; body: unknown } {
  switch (operation) {
    case 'GetRegistryScanningConfiguration':
      return { status: 200, body: { registryId: '123456789012', scanningConfiguration: { scanType: 'BASIC', rules: [] } } };
    case 'DescribeRepositories':
      return { status: 200, body: { repositories: Object.keys(registry.repositories).map((repositoryName) => ({ repositoryName, registryId: '123456789012' })) } };
    case 'DescribeImages': {
      const count = registry.repositories[input.repositoryName];
      if (count === undefined) return { status: 400, body: { __type: 'RepositoryNotFoundException', message: 'no such repository' } };
      const start = input.nextToken ? Number(input.nextToken) : 0;
      const end = Math.min(start + (registry.pageSize ?? 1000), count);
      const imageDetails = [];
      const scanFields = registry.scanned
        ? { imageScanStatus: { status: 'COMPLETE' }, imageScanFindingsSummary: { imageScanCompletedAt: 1_700_000_000, findingSeverityCounts: { HIGH: 2 } } }
        : {};
      for (let i = start; i < end; i++) {
        imageDetails.push({ registryId: '123456789012', repositoryName: input.repositoryName, imageDigest: digestOf(input.repositoryName, i), imageTags: [`v${i}`], ...scanFields });
      }
      return { status: 200, body: { imageDetails, ...(end < count ? { nextToken: String(end) } : {}) } };
    }
    case 'DescribeImageScanFindings':
      return { status: 400, body: { __type: 'ScanNotFoundException', message: 'Image scan does not exist for the image' } };
    default:
      return { status: 400, body: { __type: 'UnknownOperationException', message: `not served: ${operation}` } };
  }
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startFakeEcr(registry: FakeRegistry): Promise<FakeEcrServer> {
  const requests = new Map<string, number>();
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const operation = String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      requests.set(operation, (requests.get(operation) ?? 0) + 1);
      const input = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      const { status, body } = answer(operation, input, registry);
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

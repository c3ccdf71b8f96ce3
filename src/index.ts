export * from './constructs/ecr-scan-reporter';
export * from './constructs/image-scope';
export * from './constructs/summary-schedule';

export * from './constructs/ecr-scan-reporter';
export * from './constructs/image-scope';

export * from './constructs/ecr-scan-reporter';

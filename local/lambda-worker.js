// A Lambda execution environment in a child process, for measuring what one function's
// invocations really use: loads one handler bundle (assets/lambda/NAME/index.js), then runs
// each event the parent sends over IPC with a Lambda-like context whose deadline is
// `timeoutMs` away. Before each invocation it collects garbage (node --expose-gc) and then
// samples the heap every 2 ms, so the reported peak is what the invocation itself held; its CPU
// time is the process's user and system time during it.
// Logs and EMF metric lines go to stdout as in Lambda. Used by local/lambda-process.ts.
'use strict';
const { randomUUID } = require('crypto');

const bundle = process.argv[2];
const functionName = process.argv[3] || 'function';
const { handler } = require(bundle);

process.on('message', async ({ id, event, timeoutMs }) => {
  if (typeof global.gc === 'function') global.gc();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 2);
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const deadline = started + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/27/[$LATEST]worker',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let reply;
  try {
    const result = await handler(event, context);
    reply = { id, result };
  } catch (error) {
    reply = { id, error: { name: error && error.name, message: error && error.message } };
  }
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpuBefore);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  process.send({
    ...reply,
    durationMs: Date.now() - started,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    heapBeforeBytes: before,
    peakHeapBytes: peak,
    maxRssKb: process.resourceUsage().maxRSS,
  });
});
process.send({ ready: true });

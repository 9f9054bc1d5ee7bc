// doors.mjs: real clients for the streaming doors, run by the HTTP suites
// (t0065-loki.sh, t0066-otlp.sh).
//   node doors.mjs loki BASE TOKEN json|proto N TAG
//     winston-loki (the npm transport) sends N lines "TAG line i" with
//     labels {job: TAG, component: TAG}, then flushes.
//   node doors.mjs otlp BASE TOKEN json|proto N TAG
//     the OpenTelemetry JS SDK's real OTLP/HTTP log exporter (-http sends
//     JSON, -proto protobuf) exports N records; prints the export results.
//   node doors.mjs snappy FILE-IN FILE-OUT
//     snappy-compresses a file (to craft bad protobuf bodies).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const [cmd, ...args] = process.argv.slice(2);

async function loki([base, token, enc, n, tag]) {
  const winston = require('winston');
  const LokiTransport = require('winston-loki');
  const errors = [];
  // winston-loki quietly falls back to JSON without snappy's binary.
  if (enc !== 'json') {
    try { require('snappy'); } catch (e) { errors.push(`snappy missing: ${e}`); }
  }
  const transport = new LokiTransport({
    host: base,
    json: enc === 'json',
    batching: true,
    interval: 0.2,
    labels: { job: tag, component: tag },
    headers: { Authorization: `Bearer ${token}` },
    gracefulShutdown: false,
    onConnectionError: (e) => errors.push(String(e)),
  });
  const logger = winston.createLogger({ transports: [transport] });
  for (let i = 0; i < Number(n); i++) {
    logger.log({ level: i % 2 ? 'error' : 'info', message: `${tag} line ${i}` });
  }
  await transport.flush();
  transport.close();
  console.log(JSON.stringify({ sent: Number(n), errors }));
}

async function otlp([base, token, enc, n, tag]) {
  const { LoggerProvider, SimpleLogRecordProcessor } = require('@opentelemetry/sdk-logs');
  const { Resource } = require('@opentelemetry/resources');
  const { OTLPLogExporter } = require(enc === 'json'
    ? '@opentelemetry/exporter-logs-otlp-http'
    : '@opentelemetry/exporter-logs-otlp-proto');
  const exporter = new OTLPLogExporter({
    url: `${base}/v1/logs`,
    headers: { Authorization: `Bearer ${token}` },
  });
  const results = [];
  const exportOrig = exporter.export.bind(exporter);
  exporter.export = (logs, done) => exportOrig(logs, (res) => {
    results.push({ code: res.code, error: res.error ? String(res.error) : null });
    done(res);
  });
  const provider = new LoggerProvider({
    resource: new Resource({ 'service.name': tag, 'host.name': 'node-host' }),
  });
  provider.addLogRecordProcessor(new SimpleLogRecordProcessor(exporter));
  const logger = provider.getLogger('doors-test');
  for (let i = 0; i < Number(n); i++) {
    logger.emit({
      severityNumber: i % 2 ? 17 : 9,
      severityText: i % 2 ? 'ERROR' : 'INFO',
      body: `${tag} record ${i}`,
      attributes: { component: tag },
    });
  }
  await provider.forceFlush();
  await provider.shutdown();
  console.log(JSON.stringify({ sent: Number(n), ok: results.filter((r) => r.code === 0).length, results }));
}

function snappy([inFile, outFile]) {
  const s = require('snappy');
  writeFileSync(outFile, s.compressSync(readFileSync(inFile)));
}

if (cmd === 'loki') await loki(args);
else if (cmd === 'otlp') await otlp(args);
else if (cmd === 'snappy') snappy(args);
else { console.error('usage: doors.mjs loki|otlp|snappy ...'); process.exit(2); }

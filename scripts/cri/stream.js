#!/usr/bin/env node
// The streaming half of the CRI client (what kubectl exec, kubectl attach and kubectl port-forward
// reach through the kubelet): connects to the URL an Exec, Attach or PortForward call returned, on
// containerd's streaming server, over WebSocket with the Kubernetes channel protocol
// (v4.channel.k8s.io: each message starts with its channel's number; 0 stdin, 1 stdout, 2 stderr,
// 3 the status, 4 terminal resizes).
//   node stream.js exec URL            prints "stdout: LINE" and "stderr: LINE" for what the command
//                                      wrote, then "exit N" (N from the v4 status on channel 3)
//   node stream.js attach URL STEP...  runs the steps in order: "send:TEXT" writes TEXT to the
//                                      container's stdin, "stdout:TEXT" and "stderr:TEXT" wait until
//                                      that stream has shown TEXT, "detach" closes the connection
//                                      (which ends the attach's stdin); \n and \r in TEXT are the
//                                      control characters. Without "detach" it waits for the server
//                                      to end the stream. Prints each output stream as one JSON
//                                      string ('stdout: "got:x\r\n"', control characters visible),
//                                      then "status: ..." (the v4 status) or "detached"
//   node stream.js portforward URL PORT 'DATA'
//                                      sends DATA to PORT in the pod, prints what comes back (its
//                                      first line and its last non-empty line) until the pod closes
//                                      the connection or 10 s pass
// Exit status 0 when the stream ran to its end; 1 with one line on stderr otherwise (for attach:
// a step still waiting when the stream ended or 10 s passed, naming it and what had come).
'use strict';
const WebSocket = require('ws');

const [mode, url, port, data = ''] = process.argv.slice(2);
const steps = mode === 'attach' ? process.argv.slice(4) : [];
const usage = 'usage: stream.js exec URL | stream.js attach URL STEP... | stream.js portforward URL PORT DATA';
if (!['exec', 'attach', 'portforward'].includes(mode) || !url || (mode === 'portforward' && !port)) {
  console.error(usage);
  process.exit(2);
}
const unescape = (s) => s.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
for (const step of steps) {
  if (step !== 'detach' && !/^(send|stdout|stderr):./s.test(step)) {
    console.error(`stream.js: attach step '${step}' is not send:TEXT, stdout:TEXT, stderr:TEXT or detach`);
    process.exit(2);
  }
}
const fail = (message) => {
  console.error(`stream.js: ${mode}: ${message}`);
  process.exit(1);
};
const target = mode === 'portforward' ? `${url}${url.includes('?') ? '&' : '?'}port=${port}` : url;
const ws = new WebSocket(target.replace(/^http/, 'ws'), ['v4.channel.k8s.io']);
const chunks = new Map(); // channel -> Buffer[]
const text = (channel) => Buffer.concat(chunks.get(channel) || []).toString('utf8');
const seen = () => `stdout ${JSON.stringify(text(1))}, stderr ${JSON.stringify(text(2))}`;
// attach: the steps run as far as the output allows, again after each message
let next = 0;
let detached = false;
const timer = setTimeout(() => fail(mode === 'attach' && next < steps.length
  ? `no ${steps[next]} within 10 s (${seen()})` : 'no end within 10 s'), 10000);
const advance = () => {
  while (next < steps.length) {
    const step = steps[next];
    if (step === 'detach') {
      next++;
      detached = true;
      ws.close();
      return;
    }
    const colon = step.indexOf(':');
    const kind = step.slice(0, colon);
    const arg = unescape(step.slice(colon + 1));
    if (kind === 'send') {
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(arg)]));
    } else if (!text(kind === 'stdout' ? 1 : 2).includes(arg)) {
      return;
    }
    next++;
  }
};
if (mode === 'attach') ws.on('open', advance);

ws.on('error', (e) => fail(e.message));
ws.on('message', (message) => {
  const buffer = Buffer.from(message);
  if (buffer.length === 0) return;
  const channel = buffer[0];
  let payload = buffer.subarray(1);
  if (mode === 'portforward') {
    // each channel's first message is the port it serves (two bytes, little-endian)
    const seenBefore = chunks.has(channel);
    if (!seenBefore) {
      chunks.set(channel, []);
      if (payload.length >= 2 && payload.readUInt16LE(0) !== Number(port)) fail(`channel ${channel} serves port ${payload.readUInt16LE(0)}`);
      payload = payload.subarray(2);
      if (channel === 0 && data) ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(data.replace(/\\r\\n/g, '\r\n'))]));
    }
  } else if (!chunks.has(channel)) {
    chunks.set(channel, []);
  }
  if (payload.length) chunks.get(channel).push(payload);
  if (mode === 'attach' && !detached) advance();
});
// The v4 status on channel 3: "Success", or a failure with the exit code as a cause (exec) or a
// message (attach's own errors).
const status = () => {
  try {
    return JSON.parse(text(3) || '{}');
  } catch (e) {
    return fail(`the status on channel 3 is not JSON: ${text(3)}`);
  }
};
ws.on('close', () => {
  clearTimeout(timer);
  if (mode === 'exec') {
    for (const [channel, name] of [[1, 'stdout'], [2, 'stderr']]) {
      for (const line of text(channel).split('\n').filter((l) => l !== '')) console.log(`${name}: ${line.replace(/\r$/, '')}`);
    }
    const s = status();
    if (s.status === 'Success') {
      console.log('exit 0');
    } else {
      const cause = ((s.details || {}).causes || []).find((c) => c.reason === 'ExitCode');
      if (!cause) fail(`no exit code in the status: ${text(3)}`);
      console.log(`exit ${cause.message}`);
    }
  } else if (mode === 'attach') {
    if (next < steps.length) fail(`the stream ended before ${steps[next]} (${seen()}, status ${JSON.stringify(text(3))})`);
    for (const [channel, name] of [[1, 'stdout'], [2, 'stderr']]) {
      if (text(channel)) console.log(`${name}: ${JSON.stringify(text(channel))}`);
    }
    if (detached) {
      console.log('detached');
    } else {
      const s = status();
      console.log(`status: ${s.status || 'none'}${s.message ? ` ${s.message}` : ''}`);
    }
  } else {
    if (text(1)) fail(`error channel: ${text(1)}`);
    const lines = text(0).split(/\r?\n/).filter((l) => l !== '');
    if (!lines.length) fail('nothing came back');
    console.log(lines[0]);
    if (lines.length > 1) console.log(lines[lines.length - 1]);
  }
  process.exit(0);
});

#!/usr/bin/env node
// The streaming half of the CRI client (what kubectl exec and kubectl port-forward reach through
// the kubelet): connects to the URL an Exec or PortForward call returned, on containerd's streaming
// server, over WebSocket with the Kubernetes channel protocol (v4.channel.k8s.io: each message
// starts with its channel's number).
//   node stream.js exec URL            prints "stdout: LINE" and "stderr: LINE" for what the command
//                                      wrote, then "exit N" (N from the v4 status on channel 3)
//   node stream.js portforward URL PORT 'DATA'
//                                      sends DATA to PORT in the pod, prints what comes back (its
//                                      first line and its last non-empty line) until the pod closes
//                                      the connection or 10 s pass
// Exit status 0 when the stream ran to its end; 1 with one line on stderr otherwise.
'use strict';
const WebSocket = require('ws');

const [mode, url, port, data = ''] = process.argv.slice(2);
if (!['exec', 'portforward'].includes(mode) || !url || (mode === 'portforward' && !port)) {
  console.error('usage: stream.js exec URL | stream.js portforward URL PORT DATA');
  process.exit(2);
}
const fail = (message) => {
  console.error(`stream.js: ${mode}: ${message}`);
  process.exit(1);
};
const target = mode === 'portforward' ? `${url}${url.includes('?') ? '&' : '?'}port=${port}` : url;
const ws = new WebSocket(target.replace(/^http/, 'ws'), ['v4.channel.k8s.io']);
const timer = setTimeout(() => fail('no end within 10 s'), 10000);
const chunks = new Map(); // channel -> Buffer[]
const text = (channel) => Buffer.concat(chunks.get(channel) || []).toString('utf8');
ws.on('error', (e) => fail(e.message));
ws.on('message', (message) => {
  const buffer = Buffer.from(message);
  if (buffer.length === 0) return;
  const channel = buffer[0];
  let payload = buffer.subarray(1);
  if (mode === 'portforward') {
    // each channel's first message is the port it serves (two bytes, little-endian)
    const seen = chunks.has(channel);
    if (!seen) {
      chunks.set(channel, []);
      if (payload.length >= 2 && payload.readUInt16LE(0) !== Number(port)) fail(`channel ${channel} serves port ${payload.readUInt16LE(0)}`);
      payload = payload.subarray(2);
      if (channel === 0 && data) ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(data.replace(/\\r\\n/g, '\r\n'))]));
    }
  } else if (!chunks.has(channel)) {
    chunks.set(channel, []);
  }
  if (payload.length) chunks.get(channel).push(payload);
});
ws.on('close', () => {
  clearTimeout(timer);
  if (mode === 'exec') {
    for (const [channel, name] of [[1, 'stdout'], [2, 'stderr']]) {
      for (const line of text(channel).split('\n').filter((l) => l !== '')) console.log(`${name}: ${line.replace(/\r$/, '')}`);
    }
    let status;
    try {
      status = JSON.parse(text(3) || '{}');
    } catch (e) {
      fail(`the status on channel 3 is not JSON: ${text(3)}`);
    }
    if (status.status === 'Success') {
      console.log('exit 0');
    } else {
      const cause = ((status.details || {}).causes || []).find((c) => c.reason === 'ExitCode');
      if (!cause) fail(`no exit code in the status: ${text(3)}`);
      console.log(`exit ${cause.message}`);
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

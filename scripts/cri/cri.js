#!/usr/bin/env node
// A minimal CRI client (what crictl does, for the calls scripts/oci-cri makes): one unary call of
// the CRI runtime.v1 API over containerd's unix socket, the request as JSON (proto field names), the
// response printed as JSON, or one field of it when a dotted path is given; bytes fields (ExecSync's
// stdout and stderr) are printed as UTF-8 text.
//   node cri.js SOCKET METHOD 'JSON' [FIELD.PATH]     e.g. node cri.js /run/c.sock Version '{}' runtime_version
// Exit status 0 on success; on a gRPC error one line "METHOD: CODE message" on stderr and exit 1.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [socket, method, json = '{}', field] = process.argv.slice(2);
if (!socket || !method) {
  console.error('usage: cri.js SOCKET METHOD JSON [FIELD.PATH]');
  process.exit(2);
}
let request;
try {
  request = JSON.parse(json);
} catch (e) {
  console.error(`cri.js: request for ${method} is not JSON: ${e.message}`);
  process.exit(2);
}
const definition = protoLoader.loadSync(path.join(__dirname, 'runtime-v1.proto'), {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
const api = grpc.loadPackageDefinition(definition).runtime.v1;
const service = ['RuntimeService', 'ImageService'].find((s) => api[s].service[method]);
if (!service) {
  console.error(`cri.js: unknown method ${method} (not in runtime-v1.proto)`);
  process.exit(2);
}
const client = new api[service](`unix://${socket}`, grpc.credentials.createInsecure());
const deadline = new Date(Date.now() + 120 * 1000);
client[method](request, { deadline }, (err, response) => {
  client.close();
  if (err) {
    console.error(`${method}: ${grpc.status[err.code] || err.code} ${err.details || err.message}`);
    process.exit(1);
  }
  const text = (k, v) => (v && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString('utf8') : v);
  let out = JSON.parse(JSON.stringify(response, text));
  if (field) {
    for (const part of field.split('.')) out = out == null ? undefined : out[part];
    if (out === undefined) {
      console.error(`cri.js: ${method} response has no ${field}`);
      process.exit(1);
    }
    process.stdout.write(typeof out === 'string' ? out : JSON.stringify(out));
    process.stdout.write(typeof out === 'string' && out.endsWith('\n') ? '' : '\n');
  } else {
    console.log(JSON.stringify(out));
  }
});

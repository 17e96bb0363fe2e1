// OpenSSH ProxyCommand that runs AWS's session-manager-plugin against the sandbox, the way the AWS CLI does:
// ssm:StartSession (AWS-StartSSHSession) through the SDK, then the plugin with the response, the region, the
// request and the SSM endpoint, its stdin/stdout handed to ssh. The plugin is one you built yourself outside this
// project (reference §10); nothing here fetches or builds it. Used by data-channel.mjs when BENCH_AWS_PLUGIN names
// the binary:
//
//   ProxyCommand=node aws-plugin-proxy.mjs /path/to/session-manager-plugin %h
import { spawn } from 'node:child_process';
import { SSMClient, StartSessionCommand } from '@aws-sdk/client-ssm';

const [plugin, target, port = '22'] = process.argv.slice(2);
if (!plugin || !target) {
  process.stderr.write('usage: aws-plugin-proxy.mjs <session-manager-plugin> <mi-id> [port]\n');
  process.exit(2);
}
const endpoint = process.env.AWS_ENDPOINT_URL_SSM;
const region = process.env.AWS_REGION ?? 'us-east-1';
if (!endpoint) {
  process.stderr.write('aws-plugin-proxy: AWS_ENDPOINT_URL_SSM must point at the sandbox\n');
  process.exit(2);
}
const request = { Target: target, DocumentName: 'AWS-StartSSHSession', Parameters: { portNumber: [port] } };
const client = new SSMClient({ region });
const response = await client.send(new StartSessionCommand(request));
const child = spawn(
  plugin,
  [
    JSON.stringify({ SessionId: response.SessionId, TokenValue: response.TokenValue, StreamUrl: response.StreamUrl }),
    region,
    'StartSession',
    '',
    JSON.stringify(request),
    endpoint
  ],
  { stdio: 'inherit' }
);
for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT']) {
  process.once(signal, () => child.kill(signal));
}
child.once('exit', code => process.exit(code ?? 1));

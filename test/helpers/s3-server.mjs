// A real S3-protocol server (s3rver) for the tests, in a process of its own so that its memory
// is not counted as the tested process's: `node s3-server.mjs <directory> <bucket>` prints
// {"port":N} once listening on 127.0.0.1, and stops when its standard input closes.
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
const address = await server.run();
process.stdout.write(JSON.stringify({ port: address.port }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => void server.close().finally(() => process.exit(0)));

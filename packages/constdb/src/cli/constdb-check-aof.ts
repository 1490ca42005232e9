// constdb-check-aof [--fix] <file>: reports whether an AOF is intact, has a torn tail (a
// crash mid-append: the server cuts it itself at start) or is damaged in the middle (the
// server refuses to start); --fix cuts the file at the first damage.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { scanAof, countIntactFrom } from '../storage/aofScan.js';
import { truncateFile } from '../storage/aof.js';

// The package's own version (dist/cli/x.js and src/cli/x.ts both sit two levels below it).
const { version: packageVersion } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command()
  .name('constdb-check-aof')
  .version(packageVersion, '--version', 'print the version and exit')
  .description('check (and with --fix, repair) a constdb append-only file')
  .argument('<file>', 'path of constdb.aof')
  .option('--fix', 'cut the file at the first damaged byte (the ops after it are lost)')
  // The CLI convention (issue 23): a bad flag or a missing <file> is one `Error:` line and
  // one usage line on stderr and exit 2; --help and --version exit 0.
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'Error: ')) })
  .showHelpAfterError('usage: constdb-check-aof [--fix] <file>')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
program.parse();
const file = program.args[0]!;
const fix = program.opts<{ fix?: boolean }>().fix === true;

if (!existsSync(file)) {
  process.stderr.write(`constdb-check-aof: ${file}: no such file\n`);
  process.exit(2);
}
const buf = readFileSync(file);
const scan = scanAof(buf);
const say = (s: string) => process.stdout.write(s + '\n');
if (scan.goodBytes === buf.length) {
  say(`AOF is valid: ${scan.ops.length} ops, ${buf.length} bytes`);
  process.exit(0);
}
const at = scan.damageAt ?? scan.goodBytes;
if (scan.intactAfter === undefined) {
  const unit = scan.unitOpsDropped > 0 ? ` (${scan.unitOpsDropped} ops of an unfinished EXEC unit before it)` : '';
  say(`AOF has a torn tail at byte ${at} of ${buf.length}${unit}: ${scan.ops.length} intact ops before it; constdb-server cuts it at byte ${scan.goodBytes} at start`);
} else {
  const after = countIntactFrom(buf, scan.intactAfter);
  say(`AOF is corrupt at byte ${at} of ${buf.length}: ${scan.ops.length} intact ops before it, ${after} intact ops after it (lost by a fix); constdb-server refuses to start on it`);
}
if (!fix) {
  say(`run constdb-check-aof --fix ${file} to cut it at byte ${scan.goodBytes}`);
  process.exit(1);
}
truncateFile(file, scan.goodBytes);
say(`fixed: cut at byte ${scan.goodBytes}, ${scan.ops.length} ops kept`);
process.exit(0);

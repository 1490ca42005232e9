#!/usr/bin/env node
// Publishes the @quorumkit packages in dependency order (shared-storage first, the five
// systems last), so that at every moment each published version's siblings are already on
// the registry: someone installing during the release never meets an E404. A version that
// is already on the registry is skipped, so a failed release can be re-run as is.
// `changeset publish` would publish them all at once, in no order.
//   node scripts/publish.mjs [--dry-run] [--tag <dist-tag>] [--otp <code>]
// Run through `npm run release:publish` (builds, runs pack-check, publishes, tags).
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGES, readPackageJson, repoRoot } from './pack-check.mjs';

const argv = process.argv.slice(2);
const dryRun = argv.includes('--dry-run');
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const tag = opt('--tag');
const otp = opt('--otp');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function onRegistry(name, version) {
  const r = spawnSync('npm', ['view', `${name}@${version}`, 'version', '--json'], { cwd: repoRoot, encoding: 'utf8', env });
  if (r.status === 0) return r.stdout.trim() !== '';
  if (/E404|404 Not Found/.test(r.stderr)) return false;
  throw new Error(`npm view ${name}@${version} failed: ${r.stderr.trim().split('\n').pop()}`);
}

let failed = false;
for (const short of PACKAGES) {
  const { name, version } = readPackageJson(join(repoRoot, 'packages', short));
  if (onRegistry(name, version)) {
    console.log(`publish: ${name}@${version} is already on the registry, skipped`);
    continue;
  }
  const args = ['publish', '-w', `packages/${short}`, '--access', 'public'];
  if (dryRun) args.push('--dry-run');
  if (tag) args.push('--tag', tag);
  if (otp) args.push('--otp', otp);
  console.log(`publish: ${name}@${version}${dryRun ? ' (dry run)' : ''}`);
  try {
    execFileSync('npm', args, { cwd: repoRoot, stdio: 'inherit', env });
  } catch {
    // later packages depend on this one: stop here rather than publish them without it
    console.error(`publish: ${name}@${version} failed; nothing after it was published. Fix and re-run.`);
    failed = true;
    break;
  }
}
process.exit(failed ? 1 : 0);

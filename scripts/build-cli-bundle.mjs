// Bundles the `sm-ssh` CLI (sdk/src/cli/main.ts and everything it loads: the AWS SDK clients, ssh2, ws, commander)
// into ONE ES module inside the Python package, sagemaker_ssh_jupyterlab/sm_ssh/sm-ssh.mjs, so that a Jupyter host
// with `pip install sagemaker_ssh_jupyterlab` and Node >= 20 can run `sm-ssh serve` (jupyter-server-proxy) and the
// terminal's `sm-ssh connect` without npm or a PATH entry. `npm run build` and `npm run build:prod` run it, so the
// hatch build hook of `pip install .` produces it; the wheel ships it (pyproject.toml), git ignores it.
//
// What the SDK's sources do at run time that a bundle must do differently (rewritten on load, see `rewrite`):
// - `createRequire(import.meta.url)` loaders (aws/sdk.ts, ssh/ssh2.ts, the version in cli/program.ts) load packages
//   lazily from node_modules; in the bundle they become plain `require()` calls that esbuild bundles (still lazy:
//   esbuild runs a CommonJS module on its first require), so nothing is looked up beside the installed file;
// - `new URL('../main.js', import.meta.url)` (the CLI's own file, for ProxyCommand lines and `sandbox up --detach`)
//   becomes the bundle itself;
// - `new URL('../../remote/', import.meta.url)` (sdk/remote/: the scripts jobs and models launched with SSH upload,
//   jobs/bundle.ts) becomes `./remote/` beside the bundle, where the files of sdk/remote/ are copied.
// A new `import.meta.url` use the rewrite does not know fails the build, rather than a bundle that breaks once
// installed (where no node_modules is above it to hide the mistake).
//
// Left out: aws-cdk-lib/constructs (only the separate `sm-ssh-cdk` uses them; the build fails if they get in),
// ssh2's optional native parts (cpu-features, sshcrypto.node: ssh2 falls back to pure JS) and ws's optional
// bufferutil/utf-8-validate (ws falls back too). The bundled packages' licenses go to THIRD-PARTY-LICENSES.txt.
//
// Usage: node scripts/build-cli-bundle.mjs [--minify|--no-minify] [--outfile PATH]
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = name => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const outfile = option('--outfile') ?? join(root, 'sagemaker_ssh_jupyterlab', 'sm_ssh', 'sm-ssh.mjs');
// Minified by default: the file is parsed on every start (every ssh through `sm-ssh proxy` is one), and identifiers
// are kept so error names and stack traces stay readable.
const minify = !args.includes('--no-minify');

const sdkSrc = join(root, 'sdk', 'src') + sep;
const sdkRemote = join(root, 'sdk', 'remote') + sep;
/** The bundle's own `remote/` folder, as the rewritten URLs name it. */
const BUNDLE_REMOTE = "new URL('./remote/', import.meta.url)";
/** Files whose `import.meta.url` is fine as it is in the bundle (with why). */
const KEEP_IMPORT_META = new Map([
  // the moto_server of a checkout's .venv, looked up only if it exists; elsewhere PATH or SM_SSH_MOTO_SERVER
  ['sandbox/daemon.ts', /new URL\(\s*'\.\.\/\.\.\/\.\.\/\.venv\/bin\/moto_server',\s*import\.meta\.url\s*\)/g]
]);

function rewrite(path, text) {
  let out = text;
  // `const load = createRequire(import.meta.url);` … `load('x')` → `require('x')`
  for (const [, name] of text.matchAll(/const (\w+) = createRequire\(import\.meta\.url\);/g)) {
    out = out
      .replace(`const ${name} = createRequire(import.meta.url);`, '')
      .replace(new RegExp(`\\b${name}\\(`, 'g'), 'require(');
  }
  // `createRequire(import.meta.url)('../../package.json')` → `require('../../package.json')` (inlined as JSON)
  out = out.replace(/createRequire\(import\.meta\.url\)\(/g, 'require(');
  // the CLI's own file → the bundle
  out = out.replace(/new URL\(\s*(['"])(?:\.\.?\/)+(?:cli\/)?main\.js\1,\s*import\.meta\.url\s*\)/g, 'new URL(import.meta.url)');
  // sdk/remote/ → remote/ beside the bundle (only a URL that names sdk/remote/ from this file)
  out = out.replace(/new URL\(\s*(['"])((?:\.\.\/)+remote\/)\1,\s*import\.meta\.url\s*\)/g, (whole, _quote, folder) =>
    resolve(dirname(path), folder) + sep === sdkRemote ? BUNDLE_REMOTE : whole
  );
  const file = path.slice(sdkSrc.length).split(sep).join('/');
  const known = KEEP_IMPORT_META.get(file);
  const rest = (known ? out.replace(known, '') : out)
    .replace(/new URL\(import\.meta\.url\)/g, '')
    .split(BUNDLE_REMOTE)
    .join('');
  if (rest.includes('import.meta.url')) {
    throw new Error(
      `sdk/src/${file} uses import.meta.url in a way the CLI bundle does not know: in the installed bundle it names ` +
        'sm-ssh.mjs, not the file in sdk/. Teach scripts/build-cli-bundle.mjs (rewrite or KEEP_IMPORT_META).'
    );
  }
  return out;
}

const sdkSources = {
  name: 'sdk-sources-for-bundle',
  setup(context) {
    // the SDK's package.json is read for its version only: the bundle carries that, not its dev tooling
    context.onLoad({ filter: /[\\/]sdk[\\/]package\.json$/ }, ({ path }) => {
      const { name, version } = JSON.parse(readFileSync(path, 'utf8'));
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
    context.onLoad({ filter: /[\\/]sdk[\\/]src[\\/].*\.ts$/ }, ({ path }) => {
      const text = readFileSync(path, 'utf8');
      return { contents: rewrite(path, text), loader: 'ts' };
    });
  }
};

const started = Date.now();
mkdirSync(dirname(outfile), { recursive: true });
const result = await build({
  // The metafile's paths are relative to this; the license pass below joins them to root.
  absWorkingDir: root,
  entryPoints: [join(root, 'sdk', 'src', 'cli', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // CommonJS packages inside an ES module need require, and ssh2's poly1305 (emscripten) reads __dirname: both
  // from the bundle's own location (the names of the latter are unlikely to clash with a bundled module's own)
  banner: {
    js: [
      "import { createRequire as __smSshCreateRequire } from 'node:module';",
      "import { fileURLToPath as __smSshFileURLToPath } from 'node:url';",
      'const require = __smSshCreateRequire(import.meta.url);',
      'const __smSshFilename = __smSshFileURLToPath(import.meta.url);',
      "const __smSshDirname = __smSshFilename.slice(0, __smSshFilename.lastIndexOf('/'));"
    ].join('\n')
  },
  define: { __filename: '__smSshFilename', __dirname: '__smSshDirname' },
  external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cpu-features', '*.node', 'bufferutil', 'utf-8-validate'],
  tsconfig: join(root, 'sdk', 'tsconfig.build.json'),
  plugins: [sdkSources],
  minify,
  keepNames: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning'
});

// No CDK in the CLI: it is the separate `sm-ssh-cdk`, with aws-cdk-lib as an optional peer.
const inputs = Object.keys(result.metafile.inputs);
const cdk = inputs.filter(input => /node_modules\/(aws-cdk-lib|constructs|cdk-nag)\/|sdk\/src\/cdk\//.test(input));
if (cdk.length) {
  throw new Error(`the CLI bundle must not contain the CDK apps or aws-cdk-lib, but it has ${cdk.slice(0, 3).join(', ')}`);
}
const imports = Object.values(result.metafile.outputs)[0].imports.filter(i => i.external);
const allowedExternal = /^(cpu-features|bufferutil|utf-8-validate|.*\.node)$/;
const stray = imports.filter(i => !allowedExternal.test(i.path) && !isBuiltin(i.path));
if (stray.length) {
  throw new Error(`the CLI bundle would load ${stray.map(i => i.path).join(', ')} from beside it at run time`);
}

function isBuiltin(name) {
  return builtinModules.includes(name.replace(/^node:/, ''));
}

// The licenses of what is inside: one section per bundled package (name, version, license, its LICENSE file).
const packages = new Map();
for (const input of inputs) {
  const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
  if (match && !packages.has(match[2])) {
    packages.set(match[2], join(root, match[1]));
  }
}
// Packages with the same license text (the AWS SDK's 25 copies of Apache-2.0) share one section.
const byText = new Map();
for (const [name, dir] of [...packages.entries()].sort(([a], [b]) => a.localeCompare(b))) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licenseFile = readdirSync(dir).find(file => /^(licen[cs]e|copying)(\.|$)/i.test(file));
  const text = licenseFile
    ? readFileSync(join(dir, licenseFile), 'utf8').trim()
    : 'No license file in the package; see its license field above.';
  const license = pkg.license ?? pkg.licenses?.map(entry => entry.type).join(' OR ') ?? 'unknown';
  const names = byText.get(text) ?? [];
  names.push(`${name}@${pkg.version} (${license})`);
  byText.set(text, names);
}
const sections = [...byText.entries()].map(([text, names]) => `${names.join('\n')}\n\n${text}\n`);
const sdkPackage = JSON.parse(readFileSync(join(root, 'sdk', 'package.json'), 'utf8'));
writeFileSync(
  join(dirname(outfile), 'THIRD-PARTY-LICENSES.txt'),
  `sm-ssh.mjs bundles the sagemaker-ssh SDK and CLI ${sdkPackage.version} (${sdkPackage.license}) with these packages:\n\n` +
    sections.join(`\n${'-'.repeat(78)}\n\n`)
);

// The scripts jobs and models launched with SSH upload (every file of sdk/remote/ but its README), where the
// rewritten URLs look for them: each replaced in one rename (a CLI running from here never reads half a file), and a
// copy of a file sdk/remote/ no longer has removed.
const remoteOut = join(dirname(outfile), 'remote');
mkdirSync(remoteOut, { recursive: true });
const remoteFiles = readdirSync(sdkRemote).filter(name => name !== 'README.md');
for (const name of remoteFiles) {
  copyFileSync(join(sdkRemote, name), join(remoteOut, `${name}.tmp`));
  renameSync(join(remoteOut, `${name}.tmp`), join(remoteOut, name));
}
for (const name of readdirSync(remoteOut)) {
  if (!remoteFiles.includes(name)) {
    rmSync(join(remoteOut, name), { force: true });
  }
}

const size = Object.values(result.metafile.outputs)[0].bytes;
console.log(
  `${relative(root, outfile)}: ${(size / 1024 / 1024).toFixed(1)} MiB, ${packages.size} packages, ${inputs.length} files${minify ? ', minified' : ''}; ${relative(root, remoteOut)}/: ${remoteFiles.join(', ')} (${Date.now() - started} ms)`
);
if (!existsSync(outfile)) {
  throw new Error(`${outfile} was not written`);
}

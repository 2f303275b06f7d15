import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, used when it is installed. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags for Debian's Chromium: headless, no sandbox (tests run as root in CI), no background traffic. */
const SYSTEM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Flags of `@sparticuz/chromium`'s recommended set that are left out: `--single-process` (needed on
 * AWS Lambda only; under Playwright the browser exits when its first page's context closes) and the
 * two that turn web security off (a test of a self-contained page runs with it on, as Debian's does).
 */
const LAMBDA_ONLY_ARGS: ReadonlySet<string> = new Set(['--single-process', '--disable-web-security', '--allow-running-insecure-content']);

/** How to start one Chromium: its binary, the flags it needs and the environment it runs in. */
export interface ChromiumLaunch {
  /** Absolute path of the binary. */
  readonly executablePath: string;
  /** Where it came from: Debian's package, the `@sparticuz/chromium` devDependency, or `FUSEFLOW_CHROMIUM`. */
  readonly source: 'system' | 'bundled' | 'env';
  /** Command-line flags. */
  readonly args: readonly string[];
  /** Environment of the browser process. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Finds a headless Chromium for the tests that render pages, without needing a system package.
 *
 * Order: `FUSEFLOW_CHROMIUM` (a path to a binary, or `bundled` to force the npm one); Debian's
 * `/usr/bin/chromium` when present; else the build that the `@sparticuz/chromium` devDependency
 * ships inside its npm package (brotli-compressed, Linux x64), unpacked once per version into
 * `<tmpdir>/fuseflow-chromium-<version>` (unpacked in a private folder first, then renamed, so an
 * interrupted or concurrent unpack never leaves a half-written binary that a later run would use),
 * started with that package's recommended flags (less {@link LAMBDA_ONLY_ARGS}) and a fontconfig file that adds its bundled fonts
 * to the system's (text renders on a machine with no fonts installed).
 *
 * @example
 * const browser = await chromium.launch(launchOptions(await findChromium()));
 * @throws Error when no Chromium can be found or unpacked, saying how to provide one.
 */
export async function findChromium(): Promise<ChromiumLaunch> {
  const chosen = process.env.FUSEFLOW_CHROMIUM;
  if (chosen !== undefined && chosen !== '' && chosen !== 'bundled') {
    if (!existsSync(chosen)) throw new Error(`FUSEFLOW_CHROMIUM=${chosen}: no such file`);
    return { executablePath: chosen, source: 'env', args: SYSTEM_ARGS, env: environment() };
  }
  if (chosen !== 'bundled' && existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, source: 'system', args: SYSTEM_ARGS, env: environment() };
  return bundledChromium();
}

/** Starts the Chromium that {@link findChromium} finds, headless. */
export async function launchChromium(): Promise<Browser> {
  const found = await findChromium();
  return chromium.launch({ executablePath: found.executablePath, args: [...found.args], env: { ...found.env } });
}

/** The process environment without its unset entries (playwright wants strings). */
function environment(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  return { ...env, ...extra };
}

/** Unpacks (once per version) and describes the Chromium that `@sparticuz/chromium` carries. */
async function bundledChromium(): Promise<ChromiumLaunch> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `no Chromium: ${SYSTEM_CHROMIUM} is missing and @sparticuz/chromium carries a Linux x64 build only (this is ${process.platform} ${process.arch}); install Chromium or set FUSEFLOW_CHROMIUM to its binary`,
    );
  }
  const require = createRequire(import.meta.url);
  const packageDir = dirname(dirname(dirname(require.resolve('@sparticuz/chromium'))));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const { default: Sparticuz } = await import('@sparticuz/chromium');
  const folder = join(tmpdir(), `fuseflow-chromium-${version}`);
  const fontsConf = join(folder, 'fonts.conf');
  if (!existsSync(join(folder, 'chromium')) || !existsSync(fontsConf)) {
    // The package unpacks into os.tmpdir(): point that at a private staging folder for the duration.
    const staging = mkdtempSync(`${folder}.tmp-`);
    const before = process.env.TMPDIR;
    try {
      process.env.TMPDIR = staging;
      await Sparticuz.executablePath();
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
    writeFileSync(
      join(staging, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n  <dir>${folder}/fonts</dir>\n  <cachedir>${folder}/fonts-cache</cachedir>\n</fontconfig>\n`,
    );
    try {
      renameSync(staging, folder);
    } catch (err) {
      // Another run finished first (the folder exists and is complete): use its copy.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(join(folder, 'chromium'))) throw err;
    }
  }
  const args = Sparticuz.args.filter((flag) => !LAMBDA_ONLY_ARGS.has(flag));
  return { executablePath: join(folder, 'chromium'), source: 'bundled', args, env: environment({ FONTCONFIG_FILE: fontsConf }) };
}
